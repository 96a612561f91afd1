"""Who may decide on a draft, and whose voice the post carries: the brand's rules, as plain values.

`Policy` is the one place that says who may decide now (approvers of this organisation, backups once a draft
escalated, never the writer) and how the approval rule counts their yeses; `Voice` is the attribution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.approval.approval_rule import Progress, Rule, progress
from bot.approval.escalation_rule import may_decide
from bot.approval.outcomes import Kind
from bot.approval.refs import Actor
from storage.models import Draft


class Directory(Protocol):
    def name(self, user_id: str) -> str: ...


@dataclass(frozen=True)
class Policy:
    """Who may decide: listed approvers of this organisation, never on their own draft.

    The organisation is the install's workspace (`team_id`) or, on Enterprise Grid, its enterprise
    (`enterprise_id`, from auth.test): a Grid user's own workspace may be another of the same organisation.
    A Slack Connect user of another organisation has another enterprise (or none) and another workspace."""

    approvers: frozenset[str]
    team_id: str
    enterprise_id: str | None = None
    rule: Rule = field(default_factory=Rule)  # APPROVAL_RULE
    order: tuple[str, ...] = ()  # APPROVERS as listed (cards name who is waiting in this order)
    backups: frozenset[str] = frozenset()  # BACKUP_APPROVERS: deciders once a draft is escalated (jobs/escalation)
    # Several brands (bot/runtime/brands): this policy is one brand's; `elsewhere` are those who decide only for
    # others, refused as such (`refused_other_brand`), and `brand_name` is what a refusal calls this brand.
    elsewhere: frozenset[str] = frozenset()
    brand_name: str = ""

    @property
    def listed(self) -> tuple[str, ...]:
        return tuple(a for a in self.order if a in self.approvers) or tuple(sorted(self.approvers))

    def escalated_to(self, draft: Draft) -> tuple[str, ...]:
        """The backups who may say yes on `draft` under the rule: every backup once it escalated, never its writer.
        Under `all` a backup's yes stands in for an approver who hasn't answered (the number needed stays)."""
        if draft.escalated_at is None:
            return ()
        return tuple(b for b in sorted(self.backups) if b != draft.writer_id)

    def progress(self, draft: Draft, yeses: Sequence[str]) -> Progress:
        """Where `draft`'s version stands under the rule given who said yes on it (oldest first)."""
        return progress(self.rule, self.listed, yeses, writer=draft.writer_id, backups=self.escalated_to(draft))

    def deciders(self, draft: Draft | None) -> frozenset[str]:
        """Who may decide on `draft` now: the approvers, and its backups once it was escalated (never its writer).
        An approval rule counts its yeses among these."""
        pool = self.approvers | self.backups
        return frozenset(u for u in pool if may_decide(u, draft, self.approvers, self.backups))

    def of_this_organisation(self, actor: Actor) -> bool:
        if actor.team_id == self.team_id:
            return True
        return self.enterprise_id is not None and actor.enterprise_id == self.enterprise_id

    def refusal(self, actor: Actor, draft: Draft | None = None) -> Kind | None:
        if not self.of_this_organisation(actor):
            return Kind.OTHER_ORGANISATION
        if actor.user_id not in self.approvers | self.backups:
            return Kind.OTHER_BRAND if actor.user_id in self.elsewhere else Kind.NOT_AN_APPROVER
        if draft is not None and draft.writer_id == actor.user_id:
            return Kind.OWN_DRAFT
        if not may_decide(actor.user_id, draft, self.approvers, self.backups):  # a backup, before escalation
            return Kind.NOT_YET_ESCALATED if draft is not None else Kind.NOT_AN_APPROVER
        return None


@dataclass(frozen=True)
class Voice:
    """The brand's attribution: which agency, and the template that discloses it."""

    agency: str
    template: str
