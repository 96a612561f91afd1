"""Images beyond the card: `/countersign show` lists them per version, the App Home and the digest count them."""

from __future__ import annotations

from bot.intake.media_rules import sha256
from bot.slack.ids import BlockId, CallbackId, InputId
from storage.models import Status
from tests.e2e.harness import OUTSIDER, OWNER, Harness, block_text
from tests.e2e.images import image
from tests.e2e.test_status import command


def test_show_lists_each_versions_images_with_their_alt_text_and_hash(bot: Harness) -> None:
    data = image(size=(64, 48))
    ts = bot.draft("Cup day\nalt: A cup", files=[bot.slack.add_file("cup.png", data)])
    bot.click(bot.card(OWNER, containing="Cup day"), "Edit")
    bot.submit(bot.modal(CallbackId.EDIT), {BlockId.EDIT_TEXT: {InputId.TEXT: "Cup day!\nalt: A white cup"}})
    draft = bot.wait_status(ts, Status.PUBLISHED)
    text = command(bot, f"show {draft.id}", OUTSIDER)
    digest = sha256(data)[:8]
    v1, v2 = text.index("v1 by"), text.index("v2 by")
    size = f"{max(1, round(len(data) / 1024))} KB"
    assert f"image 1: cup.png (PNG, 64x48, {size}, sha256 {digest}…) · alt: A cup" in text[v1:v2]
    assert f"image 1: cup.png (PNG, 64x48, {size}, sha256 {digest}…) · alt: A white cup" in text[v2:]


def test_app_home_counts_a_queued_drafts_images(bot: Harness) -> None:
    files = [bot.slack.add_file("a.png", image()), bot.slack.add_file("b.png", image(color=(0, 0, 0)))]
    bot.draft("Two pictures wait", files=files)
    bot.card(OWNER, containing="Two pictures wait")
    bot.driver.app_home_opened(OWNER)
    home = bot.slack.wait_for(lambda s: s.home(OWNER))
    assert "version 1 · 2 images" in block_text(home.blocks)


def test_the_digest_counts_a_published_posts_images(bot: Harness) -> None:
    ts = bot.draft("Pictured in the digest", files=[bot.slack.add_file("a.png", image())])
    bot.click(bot.card(OWNER, containing="Pictured in the digest"), "Approve")
    bot.wait_status(ts, Status.PUBLISHED)
    bot.driver.command("digest", OUTSIDER)
    call = bot.slack.wait_for_call("response_url")
    assert "Pictured in the digest · 1 image —" in block_text(call.args["blocks"])
