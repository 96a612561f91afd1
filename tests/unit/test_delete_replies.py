"""What people are told about Delete from X: the writer's thread, the command's answer, refusals."""

from __future__ import annotations

from bot.approval.outcomes import Kind, Outcome
from bot.slack.replies import decision_reply, delete_refusal, deletion_result
from storage.models import Draft, Status
from tests.unit.delivery_rows import delivered


def draft(**fields: object) -> Draft:
    values = {"id": 7, "channel": "C0DRAFTS", "ts": "1.1", "writer_id": "U0WRITER", "text": "t"} | fields
    return Draft(**values)  # type: ignore[arg-type]


def on_x(draft: Draft, **fields: object) -> list:
    """Its one X delivery, the thread's three posts up (`fields`: what the deletion left)."""
    return delivered(draft, post_ids=["1", "2", "3"], **fields)


def test_the_writer_hears_who_deleted_it_and_why_quoted() -> None:
    told = decision_reply(draft(status=Status.DELETED, deleted_by="U0OWNER", delete_reason="Wrong <price>\nSorry"))
    assert told == "This post was deleted from X by <@U0OWNER>:\n>Wrong &lt;price&gt;\n>Sorry"
    assert decision_reply(draft(status=Status.DELETED, deleted_by="U0OWNER")) == (
        "This post was deleted from X by <@U0OWNER>."
    )
    assert decision_reply(draft(status=Status.DELETE_FAILED)) is None  # the approvers' card says it; not the writer
    assert decision_reply(draft(status=Status.DELETING)) is None


def test_the_command_says_what_happened_and_what_is_left() -> None:
    deleted = draft(status=Status.DELETED)
    assert deletion_result(deleted, [], on_x(deleted)) == (
        ":wastebasket: Draft #7 is deleted from X (all 3 posts). Every card says so."
    )
    stopping = draft(status=Status.DELETE_FAILED)
    stopped = deletion_result(stopping, [1, 2], on_x(stopping, last_error="X answered 503"))
    assert "stopped: X answered 503. Still on X: part 1, 2 of 3." in stopped and "*Retry*" in stopped


def test_refusals_name_who_may_delete() -> None:
    assert "Only this brand's approvers can delete" in delete_refusal(Outcome(Kind.NOT_AN_APPROVER))
    assert "Only approvers from this workspace" in delete_refusal(Outcome(Kind.OTHER_ORGANISATION))
    assert "no such draft" in delete_refusal(Outcome(Kind.NOT_FOUND))
    assert "being deleted from X already" in delete_refusal(Outcome(Kind.ALREADY_DELETING))
    assert "Only a published post" in delete_refusal(Outcome(Kind.NOT_DELETABLE))
