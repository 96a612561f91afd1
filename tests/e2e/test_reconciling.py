"""After an uncertain attempt the bot looks for the post on X before asking a person: what X's timeline really
shows (t.co links, escaped entities, a lag behind the write), and how a half-recorded thread is settled."""

from __future__ import annotations

from bot.sandbox.slack_api import Message
from bot.slack.ids import BlockId, CallbackId, InputId
from storage.types import utcnow
from tests.e2e.harness import OWNER, OWNER2, Harness, attribution, block_text, buttons, posted
from tests.e2e.images import image

LINKED = "Grand opening at northwind.coffee & the menu: https://northwind.coffee/menu?day=1&cup=2 <3"


def test_a_post_with_links_made_before_a_500_is_found_and_published(bot: Harness) -> None:
    """X shows `northwind.coffee` and `https://…` alike as t.co links, and `&`/`<` as entities: still the post."""
    bot.x.fail(status=500, record_anyway=True)
    ts = bot.draft(LINKED)
    card = bot.card(OWNER, containing="Grand opening")
    bot.click(card, "Approve")
    draft = bot.wait_status(ts, "published")
    [post] = bot.x.posts
    assert post.text == posted(LINKED, OWNER)
    sent = bot.on_x(ts)
    assert sent.post_ids == [post.id] and sent.post_url == bot.x.link_of(0)
    assert [a.action for a in bot.audit(draft.id)][-2:] == ["publish_uncertain", "reconciled"]
    shown = bot.wait_card(card, lambda m: "view on X" in block_text(m.blocks))
    assert "Publish again" not in buttons(shown) and not buttons(shown)


def test_a_post_that_reaches_the_timeline_late_is_found_by_a_later_look(bot: Harness) -> None:
    """X made the post and answered 500; its timeline shows the post only 3 s later. The first look misses it;
    the next one, booked in the database, finds it: published, without asking anyone to decide."""
    bot.x.lag_timeline(3)
    bot.x.fail(status=500, record_anyway=True)
    ts = bot.draft("Late on the timeline.")
    card = bot.card(OWNER, containing="Late on the timeline")
    bot.click(card, "Approve")
    missed = bot.wait_x(ts, lambda d: "recent posts" in (d.last_error or ""))
    assert bot.row(ts).status == "unknown"
    assert missed.status == "unknown" and missed.looks == 1 and missed.next_attempt_at is not None
    assert missed.next_attempt_at > utcnow()  # the next look is booked, as a time in the database
    shown = bot.wait_card(card, lambda m: "still looking" in block_text(m.blocks))
    assert buttons(shown) == ["Mark as published", "Publish again", "Cancel"]  # a person who has looked may say

    draft = bot.wait_status(ts, "published", timeout=15)
    [post] = bot.x.posts
    sent = bot.on_x(ts)
    assert sent.post_ids == [post.id] and sent.post_url == bot.x.link_of(post) and sent.next_attempt_at is None
    assert [a.action for a in bot.audit(draft.id)][-2:] == ["publish_uncertain", "reconciled"]
    bot.wait_card(card, lambda m: "view on X" in block_text(m.blocks) and not buttons(m))


def uncertain_second_part(bot: Harness, text: str) -> tuple[str, Message]:
    """A thread whose second part X made but answered 500 for, and which its timeline never shows in time."""
    bot.x.lag_timeline(600)
    bot.x.fail(status=500, record_anyway=True, after=1)
    ts = bot.draft(text)
    card = bot.card(OWNER, containing=text.splitlines()[0])
    bot.click(card, "Approve")
    bot.wait_status(ts, "unknown")
    return ts, bot.wait_card(card, lambda m: "Mark as published" in buttons(m))


def test_mark_as_published_on_a_thread_asks_for_the_uncertain_part_and_posts_the_rest_as_replies(bot: Harness) -> None:
    ts, card = uncertain_second_part(bot, "One: grind.\n---\nTwo: bloom.\n---\nThree: pour.\n---\nFour: sip.")
    assert "Part 2 of 4 may or may not be on X" in block_text(card.blocks)
    first, second = bot.x.posts
    bot.click(card, "Mark as published", OWNER2)
    form = bot.modal(CallbackId.MARK_PART)
    assert "part 2 of 4" in block_text(form.blocks).lower()

    refused = bot.submit(form, {BlockId.PART_LINK: {InputId.LINK: "it's there, trust me"}}, OWNER2)
    assert refused.json()["response_action"] == "errors" and "link to a post" in str(refused.json()["errors"])
    assert bot.row(ts).status == "unknown"

    link = bot.x.link_of(second) + "?s=20"  # as X's Share → Copy link gives it
    assert bot.submit(form, {BlockId.PART_LINK: {InputId.LINK: link}}, OWNER2).status_code == 200
    draft = bot.wait_status(ts, "published", timeout=10)
    posts = bot.x.posts
    assert [p.text for p in posts[2:]] == ["Three: pour.", f"Four: sip.\n\n{attribution(OWNER)}"]
    assert [p.in_reply_to for p in posts] == [None, first.id, second.id, posts[2].id]
    sent = bot.on_x(ts)
    assert sent.post_ids == [p.id for p in posts] and sent.post_url == bot.x.link_of(first)
    actions = [a.action for a in bot.audit(draft.id)]
    assert actions[-4:] == ["publish_uncertain", "marked_part_published", "publish_claimed", "published"]
    bot.wait_card(card, lambda m: bot.x.link_of(first) in block_text(m.blocks) and not buttons(m))


def test_mark_as_published_when_the_last_part_is_uncertain_links_the_thread_from_its_first_part(bot: Harness) -> None:
    ts, card = uncertain_second_part(bot, "Opening: doors at eight.\n---\nClosing: see you there.")
    assert "*Part 2 of 2 may or may not be on X* (part 1 is up)" in block_text(card.blocks)
    first, _ = bot.x.posts
    bot.click(card, "Mark as published")
    bot.wait_status(ts, "published")
    sent = bot.on_x(ts)
    assert sent.post_url == bot.x.link_of(first) and sent.post_ids == [first.id]
    bot.wait_card(card, lambda m: bot.x.link_of(first) in block_text(m.blocks) and not buttons(m))
    bot.settle()
    assert len(bot.x.posts) == 2


def test_a_post_with_images_made_before_a_500_is_found_and_published(bot: Harness) -> None:
    """X shows a post with photos with one more t.co link at the end (the photos'): still the post, settled by
    the bot's own look rather than put to the approvers."""
    bot.x.fail(status=500, record_anyway=True)
    ts = bot.draft("Two roasts, one view.", files=[bot.slack.add_file("cup.png", image())])
    card = bot.card(OWNER, containing="Two roasts")
    bot.click(card, "Approve")
    draft = bot.wait_status(ts, "published")
    [post] = bot.x.posts
    assert len(post.media_ids) == 1 and bot.on_x(ts).post_ids == [post.id]
    assert [a.action for a in bot.audit(draft.id)][-2:] == ["publish_uncertain", "reconciled"]
