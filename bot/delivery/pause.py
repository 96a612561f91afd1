"""The brand's kill switch: `/countersign pause` stops publishing until `resume`; approvals still queue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col

from bot.approval.outcomes import Kind, Outcome
from bot.approval.policy import Policy
from bot.approval.refs import Actor
from storage import reports
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
            changed = tx.session.execute(
                update(BrandState)
                .where(col(BrandState.brand) == self.brand, col(BrandState.paused) == (not paused))
                .values(paused=paused, changed_by=actor.user_id, changed_at=self.clock()),
                execution_options={"synchronize_session": False},
            )
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                return Outcome(Kind.UNCHANGED, detail=action)
            tx.audit(
                None, action, actor_id=actor.user_id, actor_team_id=actor.team_id, detail=self.brand, brand=self.brand
            )
        return Outcome(Kind.PAUSED if paused else Kind.RESUMED)
