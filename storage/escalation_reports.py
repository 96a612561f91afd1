"""The digest's escalation figures, from audit rows: how often backups were asked, and whether it sped things up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import AuditEvent
from storage.reports import decisions_with_wait

ESCALATED = "escalated"  # the audit action bot/jobs/escalation.py writes


@dataclass(frozen=True)
class EscalationWaits:
    escalations: int  # drafts escalated in the period
    with_escalation: list[float]  # seconds from asking to decision, for decisions on drafts escalated before them
    without_escalation: list[float]


def escalation_waits(session: Session, brand: str, start: datetime, end: datetime) -> EscalationWaits:
    """Escalations in [start, end), and each decision's wait split by whether the draft had been escalated first
    (the wait is the digest's: from the submission or revision the decision answered)."""
    count = session.exec(
        select(func.count())
        .where(AuditEvent.brand == brand, AuditEvent.action == ESCALATED)
        .where(col(AuditEvent.at) >= start, col(AuditEvent.at) < end)
    ).one()
    decisions = [d for d in decisions_with_wait(session, brand, start, end) if d["asked_at"] is not None]
    ids = {d["draft_id"] for d in decisions}
    first: dict[int, datetime] = {}
    if ids:
        rows = session.exec(
            select(AuditEvent.draft_id, func.min(AuditEvent.at))
            .where(AuditEvent.action == ESCALATED, col(AuditEvent.draft_id).in_(ids))
            .group_by(AuditEvent.draft_id)
        ).all()
        first = {draft_id: at for draft_id, at in rows if draft_id is not None}
    with_, without = [], []
    for d in decisions:
        wait = (d["at"] - d["asked_at"]).total_seconds()
        escalated = first.get(d["draft_id"])
        (with_ if escalated is not None and escalated <= d["at"] else without).append(wait)
    return EscalationWaits(count, with_, without)
