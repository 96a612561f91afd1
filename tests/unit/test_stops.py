"""The Stops section of `/countersign show`: every stop from the audit trail, with who, when and why."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.reports import stops
from storage.models import AuditEvent

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def event(action: str, actor: str = "U0OWNER", detail: str | None = None) -> AuditEvent:
    return AuditEvent(draft_id=1, action=action, actor_id=actor, detail=detail, at=AT)


def test_each_stop_with_who_when_and_the_reason_others_left_out() -> None:
    trail = [
        event("submitted", "U0WRITER"),
        event("changes_requested", detail="Shorter, please"),
        event("revised", "U0WRITER"),
        event("rejected", "U0OWNER2", detail="Off brand & <late>"),
        event("undone", detail="approval by U0OWNER2 undone 12s before the window closed"),
        event("undo_reason", detail="Wrong day"),
        event("delete_requested"),
        event("part_deleted", detail="part 1 of 1: 9 (deleted)"),
        event("cancelled", detail="X didn't confirm the post"),
        event("refused_not_an_approver", "U0OUTSIDER"),
    ]
    lines = stops.lines(trail)
    assert [line.split("> ", 1)[1] for line in lines] == [
        "Changes requested by <@U0OWNER>: Shorter, please",
        "Rejected by <@U0OWNER2>: Off brand &amp; &lt;late&gt;",
        "Undone by <@U0OWNER>: approval by U0OWNER2 undone 12s before the window closed",
        "Reason for Undo, added by <@U0OWNER>: Wrong day",
        "Delete from X by <@U0OWNER>: _no reason given_",
        "Cancelled by <@U0OWNER>: X didn't confirm the post",
    ]
    assert all(line.startswith("• <!date^") for line in lines)


def test_a_draft_nobody_stopped_has_no_stops() -> None:
    assert stops.lines([event("submitted", "U0WRITER"), event("approved")]) == []
