"""After an uncertain attempt the bot looks for the post on X before asking a person: what X's timeline really
shows (t.co links, escaped entities, a lag behind the write), and how a half-recorded thread is settled."""

from __future__ import annotations

from storage.types import utcnow
from tests.e2e.harness import OWNER, Harness, block_text, buttons, posted

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
    assert draft.post_ids == [post.id] and draft.post_url == bot.x.link_of(0)
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
    missed = bot.slack.wait_until(lambda: (d := bot._maybe_row(ts)) and "recent posts" in (d.last_error or "") and d)
    assert missed.status == "unknown" and missed.looks == 1 and missed.next_attempt_at is not None
    assert missed.next_attempt_at > utcnow()  # the next look is booked, as a time in the database
    shown = bot.wait_card(card, lambda m: "still looking" in block_text(m.blocks))
    assert buttons(shown) == ["Mark as published", "Publish again", "Cancel"]  # a person who has looked may say

    draft = bot.wait_status(ts, "published", timeout=15)
    [post] = bot.x.posts
    assert draft.post_ids == [post.id] and draft.post_url == bot.x.link_of(post) and draft.next_attempt_at is None
    assert [a.action for a in bot.audit(draft.id)][-2:] == ["publish_uncertain", "reconciled"]
    bot.wait_card(card, lambda m: "view on X" in block_text(m.blocks) and not buttons(m))
