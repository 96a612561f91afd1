"""Issue 11, part 4: Delete from X — every part of a thread, at most once each, whoever clicks and whatever X says.

Signed Slack payloads over HTTP to the running app; tweepy unpatched against the X sandbox, which answers
`DELETE /2/tweets/:id` as X does (200 `{"data": {"deleted": true}}`; for a post already gone, `deleted: false` or
a 404; 5xx and 429 when told to). Both databases.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.sandbox.slack_api import Message
from bot.slack.ids import ActionId, BlockId, CallbackId, InputId
from tests.e2e.harness import OTHER_TEAM, OUTSIDER, OWNER, OWNER2, WRITER, Harness, block_text

THREAD = "One: we roast.\n---\nTwo: we brew.\n---\nThree: you sip."
DELETE = "DELETE /2/tweets/:id"


def published_thread(bot: Harness, text: str = THREAD) -> tuple[str, list[Message], list[str]]:
    """A three-part draft approved and posted; both approvers' cards and the posts' ids (in thread order)."""
    ts = bot.draft(text)
    first_line = text.splitlines()[0]
    cards = [bot.card(OWNER, containing=first_line), bot.card(OWNER2, containing=first_line)]
    bot.click(cards[0], "Approve")
    bot.wait_status(ts, "published")
    for card in cards:
        bot.wait_card(card, lambda m: "view on X" in block_text(m.blocks))
    ids = bot.on_x(ts).post_ids
    assert ids is not None
    return ts, cards, list(ids)


def accessory(message: Message) -> dict:
    return next(b["accessory"] for b in message.blocks if b.get("type") == "section" and "accessory" in b)


def command(bot: Harness, text: str, user: str = OWNER, **kw: object) -> str:
    response = bot.driver.command(text, user, **kw)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["response_type"] == "ephemeral"
    return body["text"]


def test_a_published_card_offers_delete_from_x_behind_slacks_confirmation(bot: Harness) -> None:
    _, cards, _ = published_thread(bot)
    button = accessory(bot.fresh(cards[0]))
    assert button["action_id"] == ActionId.DELETE_FROM_X and button["style"] == "danger"
    confirm = button["confirm"]
    assert confirm["title"]["text"] == "Delete from X?" and confirm["style"] == "danger"
    assert "all 3 posts" in confirm["text"]["text"] and confirm["confirm"]["text"] == "Delete from X"


def test_delete_from_x_deletes_every_part_last_first_updates_every_card_and_tells_the_writer(bot: Harness) -> None:
    ts, cards, ids = published_thread(bot)

    bot.click(cards[0], "Delete from X")

    draft = bot.wait_status(ts, "deleted")
    assert bot.x.delete_requests() == list(reversed(ids))  # three calls, the last part first
    assert bot.x.live_posts() == []  # gone from the timeline and lookups
    gone = bot.on_x(ts)
    assert draft.deleted_by == OWNER and gone.deleted_at is not None and sorted(gone.deleted_ids or []) == sorted(ids)
    for card in cards:
        shown = bot.wait_card(card, lambda m: "deleted from X by" in block_text(m.blocks))
        assert f"deleted from X by <@{OWNER}>" in block_text(shown.blocks)
        assert accessory(shown)["action_id"] == ActionId.ADD_DELETE_REASON  # no Delete again: only a reason
    told = bot.thread(ts, containing="deleted from X")[0]
    assert f"deleted from X by <@{OWNER}>" in told.text
    trail = [a for a in bot.audit(draft.id) if a.action in ("delete_requested", "part_deleted", "deleted_from_x")]
    assert [a.action for a in trail] == [
        "delete_requested",
        "part_deleted",
        "part_deleted",
        "part_deleted",
        "deleted_from_x",
    ]
    assert all(a.actor_id == OWNER for a in trail)
    assert [a.detail for a in trail[1:4]] == [
        f"part 3 of 3: {ids[2]} (deleted)",
        f"part 2 of 3: {ids[1]} (deleted)",
        f"part 1 of 3: {ids[0]} (deleted)",
    ]


def test_a_double_click_and_a_click_on_the_other_card_delete_each_part_once(bot: Harness) -> None:
    ts, cards, ids = published_thread(bot)
    shown = [bot.fresh(c) for c in cards]

    with ThreadPoolExecutor(3) as pool:  # a double click, and the other approver at the same moment
        clicks = [
            pool.submit(bot.driver.click, shown[0], "Delete from X", OWNER),
            pool.submit(bot.driver.click, shown[0], "Delete from X", OWNER),
            pool.submit(bot.driver.click, shown[1], "Delete from X", OWNER2),
        ]
        assert all(c.result().status_code == 200 for c in clicks)

    bot.wait_status(ts, "deleted")
    bot.settle()
    assert sorted(bot.x.delete_requests()) == sorted(ids)  # still three
    refusals = [a for a in bot.audit() if a.action in ("refused_already_deleting", "refused_already_deleted")]
    assert len(refusals) == 2
    assert len([a for a in bot.audit() if a.action == "delete_requested"]) == 1
    assert len(bot.thread(ts, count=1, containing="deleted from X")) == 1  # the writer told once


@pytest.mark.parametrize("gone_answer", ["deleted_false", "not_found"])
def test_a_part_already_gone_from_x_counts_as_deleted(bot: Harness, gone_answer: str) -> None:
    ts, cards, ids = published_thread(bot)
    bot.x.answer_gone_with(gone_answer)
    bot.x.drop_post(ids[1])  # someone deleted part 2 on x.com already

    bot.click(cards[0], "Delete from X")

    draft = bot.wait_status(ts, "deleted")
    assert bot.x.delete_requests() == list(reversed(ids))
    details = [a.detail for a in bot.audit(draft.id) if a.action == "part_deleted"]
    assert f"part 2 of 3: {ids[1]} (already gone)" in details
    bot.wait_card(cards[1], lambda m: "deleted from X by" in block_text(m.blocks))


def test_a_500_on_part_2_names_what_remains_and_retry_finishes_without_deleting_anything_twice(bot: Harness) -> None:
    ts, cards, ids = published_thread(bot)
    bot.x.fail(DELETE, status=500, after=1)  # part 3 goes, then X answers 500 for part 2

    bot.click(cards[0], "Delete from X")

    bot.wait_status(ts, "delete_failed")
    stopped = bot.on_x(ts)
    assert stopped.deleted_ids == [ids[2]] and stopped.last_error == "X answered 500"
    for card in cards:
        shown = bot.wait_card(card, lambda m: "stopped" in block_text(m.blocks))
        text = block_text(shown.blocks)
        assert "Still on X: part 1" in text and "2" in text.split("Still on X:")[1] and "Deleted: part 3." in text
        assert accessory(shown)["action_id"] == ActionId.RETRY_DELETE
    assert [p.id for p in bot.x.live_posts()] == ids[:2]

    bot.click(cards[1], "Retry", user=OWNER2)

    draft = bot.wait_status(ts, "deleted")
    sent = bot.x.delete_requests()
    assert sent == [ids[2], ids[1], ids[1], ids[0]]  # part 2 again (its first answer was a 500); 1 and 3 once
    assert sent.count(ids[0]) == 1 and sent.count(ids[2]) == 1
    assert draft.deleted_by == OWNER2
    bot.wait_card(cards[0], lambda m: f"deleted from X by <@{OWNER2}>" in block_text(m.blocks))
    assert [a.action for a in bot.audit(draft.id) if a.action.startswith("delete")] == [
        "delete_requested",
        "delete_failed",
        "delete_requested",
        "deleted_from_x",
    ]


def test_a_rate_limited_delete_says_when_to_retry(bot: Harness) -> None:
    ts, cards, _ = published_thread(bot)
    bot.x.fail(DELETE, status=429, reset_in=600)

    bot.click(cards[0], "Delete from X")

    draft = bot.wait_status(ts, "delete_failed")
    error = bot.on_x(ts).last_error or ""
    assert "429" in error and "Retry after" in error
    assert len(bot.x.live_posts()) == 3
    status = command(bot, "status")
    assert "0 being deleted, 1 deletion stopped" in status
    assert (
        f"#{draft.id}> delete_failed: X's limit on deletions" in status
        and "press Retry on the card to finish deleting it from X" in status
    )


def test_a_non_approvers_delete_is_refused_and_audited(bot: Harness) -> None:
    ts, cards, _ = published_thread(bot)

    bot.click(cards[0], "Delete from X", user=OUTSIDER)
    assert "Only this brand's approvers can delete" in bot.ephemeral(OUTSIDER)
    bot.click(cards[0], "Delete from X", user=WRITER)
    assert "Only this brand's approvers can delete" in bot.ephemeral(WRITER)
    bot.click(cards[0], "Delete from X", user=OWNER, user_team_id=OTHER_TEAM)  # a Slack Connect look-alike
    assert "Only approvers from this workspace" in bot.ephemeral(OWNER)

    bot.settle()
    assert bot.x.delete_requests() == []
    assert bot.row(ts).status == "published"
    refused = [(a.action, a.actor_id) for a in bot.audit() if a.action.startswith("refused")]
    assert refused == [
        ("refused_not_an_approver", OUTSIDER),
        ("refused_not_an_approver", WRITER),
        ("refused_other_organisation", OWNER),
    ]


def test_the_delete_command_deletes_with_a_reason_kept_in_show(bot: Harness) -> None:
    ts, cards, ids = published_thread(bot)
    draft_id = bot.row(ts).id

    answer = command(bot, f"delete #{draft_id} Wrong price in part 2")

    assert f"Deleting draft #{draft_id} from X (3 posts)" in answer
    done = bot.slack.wait_for_call("response_url")
    assert f"Draft #{draft_id} is deleted from X (all 3 posts)" in done.args["text"]
    draft = bot.wait_status(ts, "deleted")
    assert sorted(bot.x.delete_requests()) == sorted(ids)
    assert draft.delete_reason == "Wrong price in part 2"
    shown = bot.wait_card(cards[1], lambda m: "deleted from X by" in block_text(m.blocks))
    assert "Wrong price in part 2" in block_text(shown.blocks)
    assert "Wrong price in part 2" in bot.thread(ts, containing="deleted from X")[0].text

    story = command(bot, f"show {draft_id}")
    assert "now *deleted*" in story and f"Deleted from X by <@{OWNER}> <!date^" in story
    stops = story.split("*Stops*")[1].split("*Audit trail*")[0]
    assert f"Delete from X by <@{OWNER}>: Wrong price in part 2" in stops

    assert "deleted from X already" in command(bot, f"delete {draft_id}")  # again: nothing sent
    assert len(bot.x.delete_requests()) == 3


def test_the_delete_command_is_refused_for_a_non_approver_and_a_guest(bot: Harness) -> None:
    ts, _, _ = published_thread(bot)
    draft_id = bot.row(ts).id

    assert "Only this brand's approvers can delete" in command(bot, f"delete {draft_id} because", OUTSIDER)
    guest = command(bot, f"delete {draft_id}", OWNER, user_team_id=OTHER_TEAM)
    assert "Only approvers from this workspace" in guest
    assert "isn't a draft number" in command(bot, "delete abc")
    assert "no such draft" in command(bot, "delete 999999")

    assert bot.x.delete_requests() == [] and bot.row(ts).status == "published"
    refused = [(a.action, a.actor_id, a.detail) for a in bot.audit() if a.action.startswith("refused")]
    assert refused[:2] == [
        ("refused_not_an_approver", OUTSIDER, "delete from X (command)"),
        ("refused_other_organisation", OWNER, "delete from X (command)"),
    ]


def test_a_pending_draft_cant_be_deleted_from_x(bot: Harness) -> None:
    ts = bot.draft("Not out yet.")
    bot.card(OWNER, containing="Not out yet")
    assert "Only a published post can be deleted" in command(bot, f"delete {bot.row(ts).id}")
    assert bot.x.delete_requests() == []


def test_status_and_the_digest_count_deletions(bot: Harness) -> None:
    ts, cards, _ = published_thread(bot)
    bot.click(cards[0], "Delete from X")
    bot.wait_status(ts, "deleted")

    assert "1 deleted from X this week" in command(bot, "status")
    bot.driver.command("digest", OWNER)
    call = bot.slack.wait_for_call("response_url")
    assert "1 deleted from X" in block_text(call.args["blocks"])


def test_two_instances_clicked_at_once_delete_each_part_once(start_bot: Callable[..., Harness]) -> None:
    first, second = start_bot(), start_bot()  # one database, one Slack, one X
    ts, cards, ids = published_thread(first)
    shown = [first.fresh(c) for c in cards]

    with ThreadPoolExecutor(2) as pool:
        clicks = [
            pool.submit(first.driver.click, shown[0], "Delete from X", OWNER),
            pool.submit(second.driver.click, shown[1], "Delete from X", OWNER2),
        ]
        assert all(c.result().status_code == 200 for c in clicks)

    first.wait_status(ts, "deleted")
    first.settle()
    second.settle()
    assert sorted(first.x.delete_requests()) == sorted(ids)
    assert len([a for a in first.audit() if a.action == "delete_requested"]) == 1
    late = ("refused_already_deleting", "refused_already_deleted")  # the loser came mid-way, or after the end
    assert len([a for a in first.audit() if a.action in late]) == 1


def test_a_reason_can_be_added_after_a_button_delete_once_by_an_approver(bot: Harness) -> None:
    ts, cards, _ = published_thread(bot)
    bot.click(cards[0], "Delete from X")
    bot.wait_status(ts, "deleted")
    shown = bot.wait_card(cards[0], lambda m: "Add a reason" in [accessory(m)["text"]["text"]])

    bot.click(shown, "Add a reason", user=OUTSIDER)
    assert "Only this brand's approvers can delete" in bot.ephemeral(OUTSIDER)

    bot.click(shown, "Add a reason", user=OWNER2)
    form = bot.modal(CallbackId.DELETE_REASON)
    response = bot.submit(form, {BlockId.REASON: {InputId.REASON: "Posted a day early"}}, user=OWNER2)
    assert response.status_code == 200 and response.text in ("", "{}")

    assert bot.row(ts).delete_reason == "Posted a day early"
    for card in cards:
        after = bot.wait_card(card, lambda m: "Posted a day early" in block_text(m.blocks))
        assert not [b for b in after.blocks if "accessory" in b]
    again = bot.submit(form, {BlockId.REASON: {InputId.REASON: "Second thoughts"}}, user=OWNER)
    assert "kept already" in again.json()["errors"][BlockId.REASON]
    stops = command(bot, f"show {bot.row(ts).id}").split("*Stops*")[1]
    assert f"Delete from X by <@{OWNER}>: _no reason given_" in stops
    assert f"Reason for Delete from X, added by <@{OWNER2}>: Posted a day early" in stops
