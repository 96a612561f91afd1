"""Point 3 and 4: the owner's decisions, the writer's edits and deletions, and what every card shows after."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from bot.slack.ids import BlockId, CallbackId, InputId
from tests.e2e.harness import (
    OWNER,
    OWNER2,
    WRITER,
    Harness,
    attribution,
    block_text,
    buttons,
    posted,
)


def test_approve_publishes_with_attribution_and_tells_everyone(bot: Harness) -> None:
    ts = bot.draft("Fresh beans are in.")
    card = bot.card(OWNER, containing="Fresh beans")
    other = bot.card(OWNER2, containing="Fresh beans")

    bot.click(card, "Approve")

    [post] = bot.x.wait_for_posts(1)
    assert post.text == posted("Fresh beans are in.", OWNER)
    link = bot.x.link_of(0)
    assert link == f"https://x.com/{bot.x.username}/status/{post.id}"
    reply = bot.thread(ts, containing="published")[0]
    assert f"Approved by <@{OWNER}>" in reply.text and link in reply.text
    for shown in (card, other):
        final = bot.wait_card(shown, lambda m: link in block_text(m.blocks))
        assert buttons(final) == []
        assert f"<@{OWNER}>" in block_text(final.blocks)
        # Both cards now show the text as posted, with the approver's name in the attribution.
        assert attribution(OWNER) in block_text(final.blocks)
    bot.wait_status(ts, "published")
    sent = bot.on_x(ts)
    assert (sent.post_url, sent.post_ids) == (link, [post.id])


def test_the_audit_trail_has_every_step_of_an_approval(bot: Harness) -> None:
    ts = bot.draft("Audit me.")
    bot.click(bot.card(OWNER, containing="Audit me"), "Approve")
    draft = bot.wait_status(ts, "published")
    trail = [(a.action, a.from_status, a.to_status, a.actor_id) for a in bot.audit(draft.id)]
    assert trail[0] == ("submitted", None, "pending", WRITER)
    assert trail[1] == ("approved", "pending", "approved", OWNER)
    assert trail[2][:3] == ("publish_claimed", "approved", "publishing")
    assert trail[3][:3] == ("published", "publishing", "published")
    assert all(a.at.tzinfo is not None for a in bot.audit(draft.id))


def test_three_concurrent_approve_clicks_post_once(bot: Harness) -> None:
    bot.draft("Click me thrice.")
    card = bot.card(OWNER, containing="Click me thrice")
    with ThreadPoolExecutor(3) as pool:
        responses = list(pool.map(lambda _: bot.driver.click(bot.fresh(card), "Approve", OWNER), range(3)))
    assert [r.status_code for r in responses] == [200, 200, 200]
    bot.x.wait_for_posts(1)
    told = bot.slack.wait_for(
        lambda s: len(found := [e for e in s.ephemerals(OWNER) if "already decided" in e.text]) >= 2 and found
    )
    assert len(told) == 2
    bot.settle()
    assert [p.text.split("\n")[0] for p in bot.x.posts] == ["Click me thrice."]


def test_the_second_approver_clicking_later_is_told_who_decided(bot: Harness) -> None:
    bot.draft("First come, first served.")
    first = bot.card(OWNER, containing="First come")
    second = bot.card(OWNER2, containing="First come")
    bot.click(first, "Approve", OWNER)
    bot.x.wait_for_posts(1)
    bot.driver.click(second, "Approve", OWNER2)  # the stale copy of the card, buttons still there
    text = bot.ephemeral(OWNER2, containing="already decided")
    assert f"<@{OWNER}>" in text
    assert len(bot.x.posts) == 1


def test_edit_opens_the_text_and_submitting_posts_the_owners_version(bot: Harness) -> None:
    ts = bot.draft("Fresh beens are in.")
    bot.click(bot.card(OWNER, containing="Fresh beens"), "Edit")
    modal = bot.modal(CallbackId.EDIT)
    field = next(b for b in modal.blocks if b.get("block_id") == BlockId.EDIT_TEXT)
    assert field["element"]["initial_value"] == "Fresh beens are in."

    response = bot.submit(modal, {BlockId.EDIT_TEXT: {InputId.TEXT: "Fresh beans are in!"}})
    assert response.status_code == 200 and not response.content.strip(b"{} \n")

    [post] = bot.x.wait_for_posts(1)
    assert post.text == posted("Fresh beans are in!", OWNER)
    draft = bot.wait_status(ts, "published")
    assert draft.version == 2
    with bot.store.transaction() as tx:
        versions = [(v.version, v.author_id, v.text) for v in tx.versions(draft.id)]
    assert versions == [(1, WRITER, "Fresh beens are in."), (2, OWNER, "Fresh beans are in!")]
    assert "edited" in [a.action for a in bot.audit(draft.id)]


def test_an_edit_over_the_limit_is_refused_inside_the_modal_with_the_count(bot: Harness) -> None:
    ts = bot.draft("Short.")
    bot.click(bot.card(OWNER, containing="Short."), "Edit")
    modal = bot.modal(CallbackId.EDIT)
    response = bot.submit(modal, {BlockId.EDIT_TEXT: {InputId.TEXT: "x" * 280}})
    body = response.json()
    assert body["response_action"] == "errors"
    over = 280 + 2 + len(attribution(OWNER)) - 280
    assert f"{over} over" in body["errors"][BlockId.EDIT_TEXT]
    assert bot.row(ts).status == "pending" and bot.x.posts == []


def test_request_changes_asks_why_and_tells_the_writer(bot: Harness) -> None:
    ts = bot.draft("We is open late.")
    card = bot.card(OWNER, containing="We is open")
    bot.click(card, "Request changes")
    modal = bot.modal(CallbackId.REQUEST_CHANGES)
    bot.submit(modal, {BlockId.REASON: {InputId.REASON: "Grammar: 'we are'. And <!here> is not ok"}})

    reply = bot.thread(ts, containing="requested changes")[0]
    assert "Grammar: 'we are'" in reply.text and "<!here>" not in reply.text
    bot.wait_card(card, lambda m: "Changes requested" in block_text(m.blocks) and not buttons(m))
    assert bot.row(ts).status == "changes_requested" and bot.x.posts == []


def test_the_writer_fixes_a_draft_sent_back_and_it_is_pending_again(bot: Harness) -> None:
    ts = bot.draft("We is open late.")
    card = bot.card(OWNER, containing="We is open")
    bot.click(card, "Request changes")
    bot.submit(bot.modal(CallbackId.REQUEST_CHANGES), {BlockId.REASON: {InputId.REASON: "Grammar"}})
    bot.wait_status(ts, "changes_requested")

    bot.edit(ts, "We are open late.", "We is open late.")
    refreshed = bot.wait_card(card, lambda m: "We are open late." in block_text(m.blocks) and buttons(m))
    assert "version 2" in block_text(refreshed.blocks)
    assert bot.row(ts).status == "pending"
    bot.thread(ts, containing="version 2")

    bot.click(refreshed, "Approve")
    assert bot.x.wait_for_posts(1)[0].text == posted("We are open late.", OWNER)


def test_reject_with_a_reason_tells_the_writer_and_posts_nothing(bot: Harness) -> None:
    ts = bot.draft("Competitors are clowns.")
    card = bot.card(OWNER, containing="Competitors")
    bot.click(card, "Reject")
    bot.submit(bot.modal(CallbackId.REJECT), {BlockId.REASON: {InputId.REASON: "Not our tone."}})
    reply = bot.thread(ts, containing="rejected")[0]
    assert "Not our tone." in reply.text
    other = bot.card(OWNER2, containing="Competitors")
    bot.wait_card(other, lambda m: "Rejected by" in block_text(m.blocks) and not buttons(m))
    assert bot.row(ts).status == "rejected" and bot.x.posts == []


def test_a_blank_reason_keeps_the_modal_open(bot: Harness) -> None:
    ts = bot.draft("Needs a reason.")
    bot.click(bot.card(OWNER, containing="Needs a reason"), "Reject")
    response = bot.submit(bot.modal(CallbackId.REJECT), {BlockId.REASON: {InputId.REASON: "   "}})
    assert response.json()["response_action"] == "errors"
    assert "why" in response.json()["errors"][BlockId.REASON]
    assert bot.row(ts).status == "pending"


def test_a_writers_edit_refreshes_cards_and_the_old_card_cannot_approve(bot: Harness) -> None:
    ts = bot.draft("Open at 8.")
    card = bot.card(OWNER, containing="Open at 8.")
    stale = bot.fresh(card)  # the card as it was: buttons carry version 1

    bot.edit(ts, "Open at 7.", "Open at 8.")
    bot.wait_card(card, lambda m: "Open at 7." in block_text(m.blocks))
    bot.driver.click(stale, "Approve", OWNER)
    assert "older version" in bot.ephemeral(OWNER, containing="older version")
    assert bot.row(ts).status == "pending" and bot.x.posts == []

    bot.click(card, "Approve")
    assert bot.x.wait_for_posts(1)[0].text == posted("Open at 7.", OWNER)


def test_a_writers_edit_that_goes_over_the_limit_keeps_the_previous_version(bot: Harness) -> None:
    ts = bot.draft("Fits.")
    card = bot.card(OWNER, containing="Fits.")
    bot.edit(ts, "y" * 300, "Fits.")
    reply = bot.thread(ts, containing="wasn't sent")[0]
    assert "over" in reply.text and "version 1" in reply.text
    draft = bot.row(ts)
    assert (draft.version, draft.text) == (1, "Fits.")
    assert buttons(bot.fresh(card)) == ["Approve", "Edit", "Request changes", "Reject"]


def test_editing_a_published_draft_changes_nothing_and_says_so(bot: Harness) -> None:
    ts = bot.draft("Done deal.")
    bot.click(bot.card(OWNER, containing="Done deal"), "Approve")
    bot.wait_status(ts, "published")
    bot.edit(ts, "Done deal, edited.", "Done deal.")
    reply = bot.thread(ts, containing="already")[0]
    assert "published" in reply.text
    assert bot.row(ts).text == "Done deal." and len(bot.x.posts) == 1


def test_deleting_the_message_withdraws_the_draft_and_cards_say_so(bot: Harness) -> None:
    ts = bot.draft("Oops, wrong client.")
    card = bot.card(OWNER, containing="Oops")
    bot.delete(ts, "Oops, wrong client.")
    bot.wait_card(card, lambda m: "Withdrawn" in block_text(m.blocks) and not buttons(m))
    assert bot.row(ts).status == "withdrawn"
    bot.driver.click(card, "Approve", OWNER)
    bot.ephemeral(OWNER, containing="withdrawn")
    assert bot.x.posts == []


def test_a_failure_on_our_side_tells_the_clicker_a_reference_and_changes_nothing(bot: Harness, caplog) -> None:
    ts = bot.draft("The database will break.")
    card = bot.card(OWNER, containing="database will break")
    bot.thread(ts)  # intake is over: nothing else is using the database
    with bot.store.engine.begin() as connection:  # a real fault: the audit table is gone
        connection.exec_driver_sql("DROP TABLE audit_event")
    bot.click(card, "Approve")
    told = bot.ephemeral(OWNER, containing="Something went wrong")
    reference = told.split("reference ")[1].split(")")[0]
    assert len(reference) == 8
    assert "Traceback" not in told
    assert any(f"reference {reference}" in r.getMessage() for r in caplog.records)
    assert bot.row(ts).status == "pending" and bot.x.posts == []


def test_edit_is_refused_rather_than_cutting_a_draft_longer_than_slacks_form(bot: Harness) -> None:
    long_thread = "\n---\n".join(f"Part {i}: " + "word " * 24 for i in range(25))  # ~3,300 characters
    assert len(long_thread) > 3000
    bot.draft(long_thread)
    card = bot.card(OWNER, containing="Part 0:")
    bot.click(card, "Edit")
    assert "longer than Slack's edit form" in bot.ephemeral(OWNER, containing="edit form")
    assert bot.slack.views == []


def test_a_card_nobody_recorded_shows_the_decision_made_on_it(bot: Harness) -> None:
    """A process that stopped between posting a card and saving its ts leaves a card nothing keeps up to date
    (the catch-up posts another). A click on it still decides, and then that card shows the outcome too."""
    from sqlalchemy import update

    from storage.models import Card

    ts = bot.draft("Posted, then the process died.")
    orphan = bot.card(OWNER, containing="Posted, then the process died")
    bot.card(OWNER2, containing="Posted, then the process died")
    draft = bot.wait_status(ts, "pending")
    with bot.store.transaction() as tx:  # the ts of OWNER's card never made it to the database
        tx.session.execute(
            update(Card).where(Card.draft_id == draft.id, Card.approver_id == OWNER).values(ts="1763800000.999999")
        )
    bot.click(orphan, "Approve")
    bot.x.wait_for_posts(1)
    bot.wait_status(ts, "published", timeout=10)
    published = f"published: <{bot.x.link_of(0)}|view on X>"
    shown = bot.wait_card(orphan, lambda m: published in block_text(m.blocks), timeout=10)
    assert not buttons(shown) and f"Approved by <@{OWNER}>" in block_text(shown.blocks)
    assert len(bot.x.posts) == 1


def test_deleting_the_message_of_a_published_draft_says_it_is_still_on_x(bot: Harness) -> None:
    ts = bot.draft("Out already.")
    card = bot.card(OWNER, containing="Out already")
    bot.click(card, "Approve")
    bot.wait_status(ts, "published", timeout=10)
    bot.delete(ts, "Out already.")
    [reply] = bot.thread(ts, containing="deleted")
    assert reply.text.startswith("Your message was deleted, but draft #")
    assert f"It is on X: {bot.x.link_of(0)}" in reply.text and "edit" not in reply.text
    assert bot.row(ts).status == "published" and len(bot.x.posts) == 1
