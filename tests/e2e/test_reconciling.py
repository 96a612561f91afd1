"""After an uncertain attempt the bot looks for the post on X before asking a person: what X's timeline really
shows (t.co links, escaped entities, a lag behind the write), and how a half-recorded thread is settled."""

from __future__ import annotations

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
