"""The app's collaborators, built once from settings and handed to every listener."""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.approval.marking import Marking
from bot.approval.outcomes import Outcome
from bot.approval.policy import Policy, Voice
from bot.approval.workflow import Workflow
from bot.delivery.deleter import Deleter
from bot.delivery.media_publish import MediaUploader
from bot.delivery.pause import BrandSwitch
from bot.delivery.publish_wait import goes_out_now
from bot.delivery.publisher import Publisher
from bot.intake.inbox import Inbox
from bot.jobs.escalation import Escalations
from bot.jobs.reminders import Reminders
from bot.jobs.scheduler import DigestJob, Scheduler
from bot.jobs.timekeeper import Timekeeper
from bot.networks.base import Account, Network
from bot.networks.registry import Accounts
from bot.networks.registry import x_account as build_x_account
from bot.runtime import failures
from bot.runtime.logs import ContextExecutor
from bot.runtime.settings import Settings
from bot.slack.directory import SlackDirectory
from bot.slack.files import SlackFiles
from bot.slack.home import Home
from bot.slack.http import keep_connections
from bot.slack.notify import Notifier
from bot.slack.organisation import Organisation
from bot.slack.retry import SafeConnectionErrorRetryHandler
from storage.engine import make_engine
from storage.store import Store
from storage.types import utcnow

log = logging.getLogger(__name__)
LISTENER_THREADS = 16
SLACK_HOOKS_URL = "https://hooks.slack.com/"  # where real Slack's response_urls point


class StartupError(Exception):
    """A problem that stops the start, said in one sentence an operator can act on."""


@dataclass
class Services:
    settings: Settings
    client: WebClient
    store: Store
    workflow: Workflow
    notifier: Notifier
    publisher: Publisher
    account: Account  # X's: every brand posts there today
    accounts: Accounts  # every network's, by brand (bot.networks.registry)
    switch: BrandSwitch
    home: Home
    scheduler: Scheduler
    inbox: Inbox
    organisation: Organisation
    team_id: str
    team_url: str
    bot_user_id: str
    marking: Marking
    deleter: Deleter
    listeners: ThreadPoolExecutor = field(
        default_factory=lambda: ContextExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener")
    )

    def decision_taken(
        self, draft_id: int, by: str, *, refresh_home: bool = True, outcome: Outcome | None = None
    ) -> None:
        """What follows any decision: publish if approved, show it on every card and in the writer's
        thread, and refresh the decider's App Home queue when they may be looking at it (Slack sends
        `app_home_opened`, which publishes it afresh, whenever they open the tab). `outcome`: the decision's own.
        One that goes out now waits a moment for the publisher (bot.delivery.publish_wait), so the cards get one update,
        with the outcome, unless publishing is slow."""
        now = self.workflow.clock()
        waiter = self.publisher.expect(draft_id) if outcome is not None and goes_out_now(outcome.draft, now) else None
        self.publisher.wake()
        try:
            if waiter is None or not waiter.wait():
                self.notifier.decided(draft_id, outcome)
        finally:
            if waiter is not None:
                self.publisher.waiters.forget(draft_id, waiter)
        if refresh_home:
            self.home.publish(by)

    def close(self) -> None:
        """Finish the work listeners already started, then stop publishing."""
        self.listeners.shutdown(wait=True)
        self.inbox.close()
        self.scheduler.stop()
        self.publisher.stop()
        self.store.engine.dispose()


def default_worker_id(host: str | None = None, pid: int | None = None) -> str:
    """`<host>-<pid>`, within the audit trail's 32 characters (actor_id): a longer name (a cloud VM's FQDN)
    keeps its start and gets a short hash of the whole, so instances on different hosts stay apart."""
    host = socket.gethostname() if host is None else host
    if len(host) > 20:
        host = f"{host[:13]}~{hashlib.sha1(host.encode()).hexdigest()[:6]}"
    return f"{host}-{os.getpid() if pid is None else pid}"


def slack_client(settings: Settings) -> WebClient:
    """slack_sdk retries connection errors (a post only when it never reached Slack: bot.slack.retry) and,
    with the second handler, 429s after `Retry-After`. Calls to the Web API and to response_urls reuse
    connections (bot.slack.http: slack_sdk's sync client has no pool of its own)."""
    keep_connections(settings.slack_api_url, SLACK_HOOKS_URL)
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            SafeConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


def x_account(settings: Settings) -> Account:
    return build_x_account(settings)


def build_services(
    settings: Settings, *, worker_id: str | None = None, clock: Callable[[], datetime] = utcnow
) -> Services:
    """`clock` is what "now" is for times to go out (tests give their own, to move time without sleeping)."""
    client = slack_client(settings)
    try:
        identity = client.auth_test()
    except SlackApiError as exc:
        raise StartupError(f"Slack refused SLACK_BOT_TOKEN ({exc.response.get('error')})") from None
    except OSError as exc:
        raise StartupError(f"could not reach Slack at {settings.slack_api_url} ({exc})") from None
    store = Store(make_engine(settings.database_url))
    worker_id = worker_id or default_worker_id()
    directory = SlackDirectory(client)
    directory.warm(settings.approvers + settings.backup_approvers)
    enterprise_id = identity.get("enterprise_id") or None  # on Enterprise Grid: the install's organisation
    policy = Policy(
        approvers=frozenset(settings.approvers),
        team_id=str(identity["team_id"]),
        enterprise_id=enterprise_id,
        rule=settings.approval_rule,
        order=settings.approvers,
        backups=frozenset(settings.backup_approvers),
    )
    voice = Voice(agency=settings.agency_name, template=settings.attribution_template)
    accounts = Accounts.from_settings(settings)  # built here: no call to any network yet
    workflow = Workflow(
        store,
        policy,
        voice,
        directory,
        clock=clock,
        zone=settings.timezone,
        grace=settings.schedule_grace,
        undo_window=settings.undo_window,
        escalate_after=settings.escalate_after,
        networks=accounts.networks,
    )
    team_url = str(identity.get("url") or "")
    notifier = Notifier(
        client,
        store,
        workflow,
        approvers=settings.approvers,
        approval_channel=settings.approval_channel,
        team_url=team_url,
        bot_user_id=str(identity["user_id"]),
        backups=settings.backup_approvers,
    )
    account = accounts[Network.X]
    switch = BrandSwitch(store, policy)
    publisher = Publisher(
        store,
        accounts,
        notifier.decided,
        worker_id=worker_id,
        paused=switch.paused,
        lease=settings.publish_lease,
        media=MediaUploader(SlackFiles(settings.slack_bot_token, settings.slack_api_url).download, account),
        clock=clock,
        grace=settings.schedule_grace,
        on_published=notifier.published,
    )
    deleter = Deleter(store, accounts, policy, notifier.decided, worker_id=worker_id, clock=clock)
    inbox = Inbox(store, worker_id, settings.request_lease, on_error=partial(failures.report, notifier))
    scheduler = Scheduler(
        DigestJob(store, client, accounts, settings, worker_id),
        Reminders(store, notifier, settings.reminder_after, settings.timezone),
        catch_up=lambda now: notifier.catch_up(now) + deleter.resume(now),  # a stopped deletion is finished
        replay=inbox.replay,
        replay_due=inbox.next_expiry,
        tell_writers=notifier.tell_writers,
        keep_time=Timekeeper(store, notifier, settings.timezone, settings.schedule_grace).run,
        escalate=Escalations(store, notifier, settings.backup_approvers).run,
        clock=clock,
    )
    return Services(
        settings=settings,
        client=client,
        store=store,
        workflow=workflow,
        notifier=notifier,
        publisher=publisher,
        account=account,
        accounts=accounts,
        switch=switch,
        home=Home(client, store, workflow, settings),
        scheduler=scheduler,
        inbox=inbox,
        organisation=Organisation(client, policy),
        team_id=str(identity["team_id"]),
        team_url=team_url,
        bot_user_id=str(identity["user_id"]),
        marking=Marking(store, workflow, accounts),
        deleter=deleter,
    )
