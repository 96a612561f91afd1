"""When a draft's backups are asked, and who may decide on it: pure rules, no database, no Slack.

The due time is stored on the draft (`escalate_at`), so every instance and every restart agrees on it; these
functions only compute it. A draft is escalated once and stays so (`escalated_at`): the backups who got its card
keep it, and may decide on every later version.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

from storage.models import Draft, Status

BEFORE_TIME = timedelta(hours=1)  # a draft with a time to go out is escalated at the latest this long before it


def due_at(asked_at: datetime, publish_at: datetime | None, after: timedelta | None) -> datetime | None:
    """When the backups get the card of a draft the approvers were asked about at `asked_at`.

    The earlier of `asked_at + after` and an hour before `publish_at` (the backups need time to decide before it
    goes out); never before `asked_at`, so a time less than an hour away escalates at once. None: escalation off.
    """
    if after is None:
        return None
    due = asked_at + after
    if publish_at is not None:
        due = min(due, publish_at - BEFORE_TIME)
    return max(asked_at, due)


def clock_start(draft: Draft, now: datetime) -> datetime:
    """Since when the approvers are waited for once the writer's new version of `draft` goes to them at `now`.

    Still pending: they have not answered since they were first asked, so the clock keeps running (a writer who
    edits every few hours doesn't hold the escalation off). Coming back from a decision (changes requested, new
    images on an approved draft): they answered, so the clock starts again.
    """
    if draft.status == Status.PENDING and draft.waiting_since is not None:
        return draft.waiting_since
    return now


def revised_due(draft: Draft, now: datetime, publish_at: datetime | None, after: timedelta | None) -> datetime | None:
    """The due time once the writer's new version (with `publish_at`) goes to the approvers at `now`. Escalated
    already: unchanged (it stays escalated; the backups keep their cards)."""
    if draft.escalated_at is not None:
        return draft.escalate_at
    return due_at(clock_start(draft, now), publish_at, after)


def may_decide(user_id: str, draft: Draft | None, approvers: Collection[str], backups: Collection[str]) -> bool:
    """Whether `user_id` is among the people who may decide on `draft` now: an approver always, a backup once the
    draft was escalated; never its writer. (The organisation check is `Policy`'s.)"""
    if draft is not None and draft.writer_id == user_id:
        return False
    if user_id in approvers:
        return True
    return user_id in backups and draft is not None and draft.escalated_at is not None


def still_to_decide(draft: Draft, approvers: Iterable[str], answered: Collection[str] = ()) -> list[str]:
    """The approvers the why-line names: every approver but the writer and those who `answered` (with today's
    rule, `any`, a pending draft has none; a rule that waits for several yeses passes who gave theirs)."""
    return [a for a in approvers if a != draft.writer_id and a not in answered]
