"""One brand's collaborators: who decides its drafts and how (policy, workflow), where its cards go (notifier),
its kill switch, its jobs (reminders, escalation, times, digest) and its network accounts.

A deployment serves several brands (bot/runtime/brands); each gets a desk, built once at start. Everything about
a draft is done by the desk of the draft's brand, so one brand's rules never decide another's drafts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient

from bot.approval.marking import Marking
from bot.approval.outcomes import Kind, Outcome
from bot.approval.policy import Policy, Voice
from bot.approval.refs import Actor
from bot.approval.workflow import Workflow
from bot.delivery.deleter import Deleter
from bot.delivery.pause import BrandSwitch
from bot.jobs.escalation import Escalations
from bot.jobs.reminders import Reminders
from bot.jobs.scheduler import DigestJob
from bot.jobs.timekeeper import Timekeeper
from bot.networks.base import Account, Network
from bot.networks.registry import Accounts
from bot.networks.x.client import XAccount
from bot.runtime.accounts import accounts_of
from bot.runtime.brands import Brand, Brands
from bot.runtime.settings import Settings
from bot.slack.cards import card_targets
from bot.slack.directory import SlackDirectory
from bot.slack.notify import Notifier
from storage.store import Store


@dataclass
class Desk:
    brand: Brand
    policy: Policy
    workflow: Workflow
    notifier: Notifier
    switch: BrandSwitch
    marking: Marking
    deleter: Deleter
    account: Account  # X's, which publishing posts to until every network is a delivery of its own
    accounts: Accounts  # every network of the brand, built from its config (bot/runtime/accounts.py)
    digest: DigestJob
    reminders: Reminders
    escalations: Escalations
    timekeeper: Timekeeper

    @property
    def key(self) -> str:
        return self.brand.key

    @property
    def name(self) -> str:
        """What people are shown: the brand's name, or its key (the one-brand shortcut has neither shown)."""
        return self.brand.name or self.brand.key

    def elsewhere(self, user_id: str) -> bool:
        """An approver (or backup) of another brand only: this brand's drafts are none of theirs."""
        return user_id in self.policy.elsewhere

    def approves(self, user_id: str) -> bool:
        """An approver or backup of this brand: who may decide, pause, delete and see its drafts everywhere."""
        return user_id in self.policy.approvers | self.policy.backups


def x_account_of(accounts: Accounts) -> Account:
    """The brand's X account (its `[brands.<key>.x]`, or the environment's X_* for the one-brand shortcut)."""
    if Network.X in accounts:
        return accounts[Network.X]
    # config check refuses a brand without a network; X is the one publishing knows today
    return XAccount(api_key="", api_secret="", access_token="", access_token_secret="")


def deciders_elsewhere(brand: Brand, brands: Brands) -> frozenset[str]:
    """Those who approve (or back up) another brand and not this one: refused as another brand's, by name."""
    here = set(brand.approvers) | set(brand.backup_approvers)
    others = {u for b in brands if b.key != brand.key for u in (*b.approvers, *b.backup_approvers)}
    return frozenset(others - here)


@dataclass(frozen=True)
class Shared:
    """What every desk shares: the process's store, Slack, people, identity and clock."""

    settings: Settings
    store: Store
    client: WebClient
    directory: SlackDirectory
    team_id: str
    enterprise_id: str | None
    team_url: str
    bot_user_id: str
    worker_id: str
    clock: Callable[[], datetime]


def build_desk(brand: Brand, brands: Brands, shared: Shared, *, account: Account | None = None) -> Desk:
    settings, store = shared.settings, shared.store
    policy = Policy(
        approvers=frozenset(brand.approvers),
        team_id=shared.team_id,
        enterprise_id=shared.enterprise_id,
        rule=brand.approval_rule,
        order=brand.approvers,
        backups=frozenset(brand.backup_approvers),
        elsewhere=deciders_elsewhere(brand, brands),
        brand_name=brand.name or brand.key,
    )
    accounts = Accounts.of(*accounts_of(brand))  # built here: no call to any network yet
    workflow = Workflow(
        store,
        policy,
        Voice(agency=brand.agency_name, template=brand.attribution_template),
        shared.directory,
        brand=brand.key,
        clock=shared.clock,
        zone=brand.timezone,
        grace=settings.schedule_grace,
        undo_window=settings.undo_window,
        escalate_after=brand.escalate_after,
        networks=lambda _brand: list(accounts),  # one delivery per network of the brand
        rules=lambda _brand: {n: a.rules() for n, a in accounts.items()},  # a post must fit each
        media_limits=lambda _brand: {n: a.media_limits() for n, a in accounts.items()},  # and its images suit each
        card_slots=[approver for approver, _ in card_targets(brand.approvers, brand.approval_channel)],
    )
    notifier = Notifier(
        shared.client,
        store,
        workflow,
        approvers=brand.approvers,
        approval_channel=brand.approval_channel,
        team_url=shared.team_url,
        bot_user_id=shared.bot_user_id,
        backups=brand.backup_approvers,
    )
    account = account or x_account_of(accounts)
    digest = DigestJob(
        store,
        shared.client,
        accounts,
        shared.worker_id,
        brand=brand.key,
        channel=brand.digest_channel or brand.drafts_channels[0],
        approvers=brand.approvers,
        cron=brand.digest_cron,
        zone=brand.timezone,
    )
    return Desk(
        brand=brand,
        policy=policy,
        workflow=workflow,
        notifier=notifier,
        switch=BrandSwitch(store, policy, brand=brand.key),
        marking=Marking(store, workflow, accounts),
        deleter=Deleter(
            store, accounts, policy, notifier.decided, worker_id=shared.worker_id, clock=shared.clock, brand=brand.key
        ),
        account=account,
        accounts=accounts,
        digest=digest,
        reminders=Reminders(store, notifier, settings.reminder_after, brand.timezone, brand=brand.key),
        escalations=Escalations(store, notifier, brand.backup_approvers, brand=brand.key),
        timekeeper=Timekeeper(store, notifier, brand.timezone, settings.schedule_grace, brand=brand.key),
    )


def nobodys(brands: Brands) -> Brand:
    """The brand of a draft whose key no brand has any more (the file changed): nobody decides it, and every
    approver of the deployment is refused as another brand's."""
    first = brands.all[0]
    return Brand(
        key="",
        name="a brand no longer configured",
        drafts_channels=(),
        approvers=(),
        agency_name=first.agency_name,
        networks=first.networks,
        digest_channel=first.digest_channel or first.drafts_channels[0],
    )


def refused_here(desk: Desk, actor: Actor, what: str, draft_id: int | None = None) -> Outcome:
    """`actor` approves another brand than `desk`'s and asked for something of this one (`what`): refused,
    audited as `refused_other_brand` on this brand's trail."""
    with desk.workflow.store.transaction() as tx:
        tx.audit(
            draft_id,
            f"refused_{Kind.OTHER_BRAND.value}",
            actor_id=actor.user_id,
            actor_team_id=actor.team_id,
            detail=what,
            brand=desk.key,
        )
    return Outcome(Kind.OTHER_BRAND, detail=desk.name)
