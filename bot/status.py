"""What `/countersign status` says: counts by state and the queue waiting on the owner, from our database."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from bot.replies import status_words
from storage.models import Draft, Status
from storage.store import Store
from storage.types import utcnow

QUEUE_SHOWN = 10

HELP = {
    "status": "counts by state and the drafts waiting for approval (also the bare command)",
    "help": "this list",
}


def help_text() -> str:
    lines = [f"• `/countersign {name}` — {what}" for name, what in HELP.items()]
    return "*Countersign commands*\n" + "\n".join(lines)


def status_text(store: Store, drafts_channel: str, now: datetime | None = None) -> str:
    now = now or utcnow()
    with store.transaction() as tx:
        counts = dict(tx.session.exec(select(Draft.status, func.count()).group_by(Draft.status)).all())
        pending = tx.session.exec(
            select(Draft).where(Draft.status == Status.PENDING).order_by(col(Draft.created_at)).limit(QUEUE_SHOWN)
        ).all()
    lines = ["*Countersign status*"]
    shown = [f"{status_words(s)}: {counts[s]}" for s in Status if counts.get(s)]
    lines.append(" · ".join(shown) if shown else f"No drafts yet. Post one in <#{drafts_channel}>.")
    if pending:
        lines.append("*Waiting for approval, oldest first*")
        lines += [f"• #{d.id} by <@{d.writer_id}>, waiting {_age(now - d.created_at)}" for d in pending]
    return "\n".join(lines)


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 3600:
        return f"{max(1, seconds // 60)} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"
