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
from bot.approval.outcomes import Kind, Outcome
from bot.approval.workflow import Workflow
from bot.delivery.deleter import Deleter
from bot.delivery.media_publish import MediaUploader
from bot.delivery.pause import BrandSwitch
from bot.delivery.publish_wait import goes_out_now
from bot.delivery.publisher import Published, Publisher
from bot.intake.inbox import Inbox
from bot.jobs.scheduler import Scheduler
from bot.networks.base import Account
from bot.networks.registry import Accounts
from bot.runtime import failures
from bot.runtime.brands import Brands, from_settings
from bot.runtime.desks import Desk, Shared, build_desk, nobodys
from bot.runtime.logs import ContextExecutor
from bot.runtime.settings import Settings
from bot.slack.directory import SlackDirectory
from bot.slack.files import SlackFiles
from bot.slack.home import Home
from bot.slack.http import keep_connections
from bot.slack.notify import Notifier
from bot.slack.organisation import Organisation
from bot.slack.retry import SafeConnectionErrorRetryHandler
from storage import deliveries
from storage.engine import make_engine
from storage.store import Store
from storage.types import utcnow

log = logging.getLogger(__name__)
LISTENER_THREADS = 16
SLACK_HOOKS_URL = "https://hooks.slack.com/"  # where real Slack's response_urls point
FRESH = frozenset({Kind.APPROVED, Kind.EDITED})  # decisions that make their version's deliveries


class StartupError(Exception):
    """A problem that stops the start, said in one sentence an operator can act on."""


@dataclass
class Services:
    settings: Settings
    client: WebClient
    store: Store
    workflow: Workflow  # the first brand's (the one-brand shortcut's); a draft's own is `desk_of(id).workflow`
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
    brands: Brands = field(default_factory=lambda: Brands(()))
    desks: dict[str, Desk] = field(default_factory=dict)  # by brand key, in the file's order
    nobodys: Desk | None = None  # drafts of a brand no longer configured: nobody decides them
    listeners: ThreadPoolExecutor = field(
        default_factory=lambda: ContextExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener")
    )
    _brand_of: dict[int, str] = field(default_factory=dict, repr=False)  # a draft's brand never changes

    # -- brands ----------------------------------------------------------------------------------

    def desk(self, key: str) -> Desk:
        """The desk of brand `key`. A key no brand has (rows written before the file named its brands) belongs to
        the one brand when there is one, else to nobody: every approver is refused as another brand's."""
        found = self.desks.get(key)
        if found is not None:
            return found
        if len(self.desks) == 1 or self.nobodys is None:
            return next(iter(self.desks.values()))
        return self.nobodys

    def desk_of(self, draft_id: int) -> Desk:
        """The desk of the draft's brand (the first brand's for a draft that doesn't exist: it refuses as such)."""
        if len(self.desks) == 1:  # one brand: every draft is its (`desk`), with no read of the draft to say so
            return next(iter(self.desks.values()))
        brand = self._brand_of.get(draft_id)
        if brand is None:
            draft = self.store.get(draft_id)
            if draft is None:
                return next(iter(self.desks.values()))
            brand = self._brand_of.setdefault(draft_id, draft.brand)
        return self.desk(brand)

    def desk_for_channel(self, channel: object) -> Desk | None:
        """The brand whose drafts channel `channel` is, or None (for anything that isn't a channel id too: a
        payload's `channel` is whatever the sender put there)."""
        brand = self.brands.for_channel(channel) if isinstance(channel, str) else None
        return self.desks.get(brand.key) if brand is not None else None

    def desks_of(self, user_id: str | None) -> list[Desk]:
        """The brands `user_id` approves (or backs up), in the file's order."""
        return [d for d in self.desks.values() if user_id and d.approves(user_id)]

    def accounts_for(self, brand_key: str) -> Accounts:
        """The accounts a brand's drafts go out on, by network: the one seam publishing asks."""
        return self.desk(brand_key).accounts

    def decided(self, draft_id: int, outcome: Outcome | None = None) -> None:
        """Cards and the writer's thread hear of a move, from the desk of the draft's brand."""
        self.desk_of(draft_id).notifier.decided(draft_id, outcome)

    def published(self, published: Published) -> None:
        self.desk(published.draft.brand).notifier.published(published)

    def _goes_out_now(self, outcome: Outcome, now: datetime) -> bool:
        draft = outcome.draft
        if draft is None or draft.id is None:
            return False
        if outcome.kind in FRESH:  # its deliveries were made by this decision: none has a retry or look booked
            return goes_out_now(draft, (), now)
        with self.store.read() as tx:
            delivered = deliveries.of_draft(tx.session, draft.id, draft.version)
        return goes_out_now(draft, delivered, now)

    def refresh_cards(self, draft_id: int) -> None:
        self.desk_of(draft_id).notifier.refresh_cards(draft_id)

    def decision_taken(
        self, draft_id: int, by: str, *, refresh_home: bool = True, outcome: Outcome | None = None
    ) -> None:
        """What follows any decision: publish if approved, show it on every card and in the writer's
        thread, and refresh the decider's App Home queue when they may be looking at it (Slack sends
        `app_home_opened`, which publishes it afresh, whenever they open the tab). `outcome`: the decision's own.
        One that goes out now waits a moment for the publisher (bot.delivery.publish_wait), so the cards get one update,
        with the outcome, unless publishing is slow."""
        now = self.workflow.clock()
        waiter = self.publisher.expect(draft_id) if outcome is not None and self._goes_out_now(outcome, now) else None
        self.publisher.wake()
        try:
            if waiter is None or not waiter.wait():
                self.decided(draft_id, outcome)
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


def build_services(
    settings: Settings,
    *,
    worker_id: str | None = None,
    clock: Callable[[], datetime] = utcnow,
    brands: Brands | None = None,
) -> Services:
    """`clock` is what "now" is for times to go out (tests give their own, to move time without sleeping).
    `brands`: the deployment's (bot.runtime.brands.for_deployment); default the one-brand shortcut from `settings`."""
    brands = brands or from_settings(settings)
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
    directory.warm(tuple(dict.fromkeys(u for b in brands for u in (*b.approvers, *b.backup_approvers))))
    team_url = str(identity.get("url") or "")
    shared = Shared(
        settings=settings,
        store=store,
        client=client,
        directory=directory,
        team_id=str(identity["team_id"]),
        enterprise_id=identity.get("enterprise_id") or None,  # on Enterprise Grid: the install's organisation
        team_url=team_url,
        bot_user_id=str(identity["user_id"]),
        worker_id=worker_id,
        clock=clock,
    )
    desks = {b.key: build_desk(b, brands, shared) for b in brands}
    first = next(iter(desks.values()))
    nobody = build_desk(nobodys(brands), brands, shared, account=first.account) if len(desks) > 1 else None
    services_ref: list[Services] = []  # the publisher routes each draft to its brand's desk, built below

    def route(name: str) -> Callable[..., None]:
        return lambda *args: getattr(services_ref[0], name)(*args)

    publisher = Publisher(
        store,
        first.accounts,
        route("decided"),
        worker_id=worker_id,
        lease=settings.publish_lease,
        media=MediaUploader(SlackFiles(settings.slack_bot_token, settings.slack_api_url).download, first.account),
        clock=clock,
        grace=settings.schedule_grace,
        on_published=route("published"),
        accounts_for=lambda key: services_ref[0].accounts_for(key),
    )
    inbox = Inbox(store, worker_id, settings.request_lease, on_error=partial(failures.report, first.notifier))
    every = list(desks.values())
    scheduler = Scheduler(
        first.digest,
        Every(every, lambda d, now: d.reminders.run(now)),  # type: ignore[arg-type]
        # a stopped deletion is finished by its own brand's deleter, with that brand's accounts
        catch_up=lambda now: sum(d.notifier.catch_up(now) + d.deleter.resume(now) for d in every),
        replay=inbox.replay,
        replay_due=inbox.next_expiry,
        tell_writers=lambda now: sum(d.notifier.tell_writers(now) for d in every),
        keep_time=lambda now: sum(d.timekeeper.run(now) for d in every),
        escalate=lambda now: sum(d.escalations.run(now) for d in every),
        clock=clock,
        digests=[d.digest for d in every],
    )
    services = Services(
        settings=settings,
        client=client,
        store=store,
        workflow=first.workflow,
        notifier=first.notifier,
        publisher=publisher,
        account=first.account,
        accounts=first.accounts,
        switch=first.switch,
        home=Home(client, store, first.workflow, settings),
        scheduler=scheduler,
        inbox=inbox,
        organisation=Organisation(client, first.policy),
        team_id=shared.team_id,
        team_url=team_url,
        bot_user_id=shared.bot_user_id,
        marking=first.marking,
        deleter=first.deleter,
        brands=brands,
        desks=desks,
        nobodys=nobody,
    )
    services.home.desks = lambda: services  # the viewer's brands (bot.slack.home)
    services_ref.append(services)
    return services


class Every:
    """Several brands' job as one: `run(now)` runs each brand's and adds up what they did."""

    def __init__(self, desks: list[Desk], run: Callable[[Desk, datetime], int]) -> None:
        self.desks = desks
        self._run = run

    def run(self, now: datetime) -> int:
        return sum(self._run(desk, now) for desk in self.desks)
