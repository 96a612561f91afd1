"""The brand's kill switch: `/countersign pause` stops publishing until `resume`; approvals still queue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.approval.outcomes import Kind, Outcome
from bot.approval.policy import Policy
from bot.approval.refs import Actor
from storage import brands, reports
from storage.models import BrandState
from storage.store import Store
from storage.types import utcnow


class BrandSwitch:
    def __init__(
        self, store: Store, policy: Policy, *, brand: str = "default", clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.store = store
        self.policy = policy
        self.brand = brand
        self.clock = clock

    def paused(self) -> bool:
        with self.store.read() as tx:
            return reports.is_paused(tx.session, self.brand)

    def set_paused(self, actor: Actor, paused: bool) -> Outcome:
        """Approvers only; the change and every refusal are audited."""
        action = "paused" if paused else "resumed"
        with self.store.transaction() as tx:
            refusal = self.policy.refusal(actor)
            if refusal is not None:
                tx.audit(
                    None,
                    f"refused_{refusal.value}",
                    actor_id=actor.user_id,
                    actor_team_id=actor.team_id,
                    detail=f"{action} publishing",
                    brand=self.brand,
                )
                return Outcome(refusal, detail=self.policy.brand_name)
            tx._insert_ignore(BrandState, brand=self.brand, paused=False)
            if not brands.set_paused(tx.session, self.brand, paused, actor.user_id, self.clock()):
                return Outcome(Kind.UNCHANGED, detail=action)
            tx.audit(
                None, action, actor_id=actor.user_id, actor_team_id=actor.team_id, detail=self.brand, brand=self.brand
            )
        return Outcome(Kind.PAUSED if paused else Kind.RESUMED)
