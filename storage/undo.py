"""Queries about Undo windows (bot/undo.py): when the publisher must look again because one ends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import Draft, Status


def next_window_end(session: Session, now: datetime) -> datetime | None:
    """The earliest end of an open Undo window: the publisher sleeps until then, not a tick more."""
    stmt = select(func.min(Draft.undo_until)).where(Draft.status == Status.APPROVED, col(Draft.undo_until) > now)
    return session.exec(stmt).one()
