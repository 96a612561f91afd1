"""Images from the writer's message to X: checked before any card, shown on it, posted byte for byte.

Signed events and clicks into the real app; the Slack sandbox serves the files at `url_private` (bearer only),
the X sandbox implements `POST /2/media/upload` and `/2/media/metadata` and checks `media.media_ids` on create.
"""

from __future__ import annotations

from typing import Any

from bot.intake.media_rules import sha256
from bot.slack.ids import BlockId, CallbackId, InputId
from storage.models import Status
from tests.e2e.harness import DRAFTS, OWNER, WRITER, Harness, block_text, posted
from tests.e2e.images import PDF, gif, image, noisy_png


def image_blocks(card: Any) -> list[dict[str, Any]]:
    return [b for b in card.blocks if b.get("type") == "image"]


def uploads(bot: Harness) -> list[Any]:
    return [r for r in bot.x.requests if r.route == "POST /2/media/upload"]


def edit_files(bot: Harness, ts: str, text: str, old: list[dict], new: list[dict]) -> None:
    """The writer edits a file share: Slack's message_changed carries the message's files before and after."""
    event = bot.driver.edit_event(WRITER, DRAFTS, ts, text, text)
    event["previous_message"].update({"files": old, "upload": False})
    event["message"].update({"files": new, "upload": False})
    bot.send(event)


def test_four_images_are_uploaded_once_each_with_alt_text_and_go_out_in_one_post(bot: Harness) -> None:
    data = [image("PNG", color=(250, 0, 0)), image("JPEG"), image("WEBP"), image("PNG", (80, 80))]
    files = [bot.slack.add_file(name, d) for name, d in zip(["a.png", "b.jpg", "c.webp", "d.png"], data, strict=True)]
    text = "Four cups, four roasts.\nalt: A red square\nalt: Espresso\nalt:\nalt: The *big* one"
    ts = bot.draft(text, files=files)

    card = bot.card(OWNER, containing="Four cups")
    shown = image_blocks(card)
    assert [b["slack_file"] for b in shown] == [{"id": f["id"]} for f in files]
    assert [b["title"]["text"] for b in shown] == [
        "Image 1 of 4 · alt: A red square",
        "Image 2 of 4 · alt: Espresso",
        "Image 3 of 4 · no alt text",
        "Image 4 of 4 · alt: The big one",  # rich_text's characters: the bold is dropped, as in the post
    ]
    assert "alt:" not in block_text([b for b in card.blocks if b.get("type") == "section"])
    assert "1 without alt text" in block_text(card.blocks)

    bot.click(card, "Approve")
    [post] = bot.x.wait_for_posts(1)
    assert post.text == posted("Four cups, four roasts.")
    assert len(uploads(bot)) == 4 and len(post.media_ids) == 4
    media = [bot.x.media.items[i] for i in post.media_ids]
    assert [m.data for m in media] == data  # byte for byte what the card showed
    assert [m.alt_text for m in media] == ["A red square", "Espresso", None, "The big one"]
    assert [m.category for m in media] == ["tweet_image"] * 4
    bot.wait_status(ts, Status.PUBLISHED)


def test_a_6_mb_png_is_refused_before_any_card_naming_the_file_and_the_limit(bot: Harness) -> None:
    big = bot.slack.add_file("hero.png", noisy_png(6 * 1024 * 1024))
    ts = bot.draft("Our new hero shot", files=[big])
    [reply] = bot.thread(ts)
    assert reply.text.startswith("Not sent for approval. `hero.png` is too big for X (6.")
    assert "X takes an image up to 5.0 MB" in reply.text
    assert bot._maybe_row(ts) is None
    assert bot.slack.messages(f"D{OWNER[1:]}") == []
    assert bot.x.requests == []


def test_a_pdf_alone_is_refused_before_any_card(bot: Harness) -> None:
    pdf = bot.slack.add_file("brief.pdf", PDF)
    ts = bot.draft("", files=[pdf])
    [reply] = bot.thread(ts)
    assert "`brief.pdf` won't be posted" in reply.text and "videos and other files aren't supported" in reply.text
    assert bot._maybe_row(ts) is None
    assert bot.slack.messages(f"D{OWNER[1:]}") == []


def test_a_pdf_with_text_sends_the_text_and_tells_the_writer_the_file_stays_behind(bot: Harness) -> None:
    pdf = bot.slack.add_file("latte.png", PDF, "image/png")  # named and typed as an image: the bytes say no
    ts = bot.draft("Latte art Friday", files=[pdf])
    card = bot.card(OWNER, containing="Latte art Friday")
    assert image_blocks(card) == []
    [reply] = bot.thread(ts)
    assert "for approval" in reply.text and "`latte.png` won't be posted" in reply.text


def test_five_images_or_a_gif_with_an_image_are_refused(bot: Harness) -> None:
    five = [bot.slack.add_file(f"{n}.png", image(color=(n, n, n))) for n in range(5)]
    ts = bot.draft("Too many", files=five)
    [reply] = bot.thread(ts)
    assert "X takes at most 4 images in a post; this message has 5 images." in reply.text
    mixed = [bot.slack.add_file("party.gif", gif()), bot.slack.add_file("cup.png", image())]
    ts2 = bot.draft("Mixed", files=mixed)
    [reply2] = bot.thread(ts2)
    assert "`party.gif` is a GIF: X posts a GIF on its own" in reply2.text
    assert bot.slack.messages(f"D{OWNER[1:]}") == []


def test_a_file_replaced_after_approval_is_a_new_version_and_the_old_one_never_posts(bot: Harness) -> None:
    assert "paused" in bot.driver.command("pause", OWNER).json()["text"]
    old = bot.slack.add_file("cup.png", image(color=(1, 2, 3)))
    ts = bot.draft("New cup", files=[old])
    card = bot.card(OWNER, containing="New cup")
    bot.click(card, "Approve")
    bot.wait_status(ts, Status.APPROVED)

    new_bytes = image(color=(9, 9, 9))
    new = bot.slack.add_file("cup-v2.png", new_bytes)
    edit_files(bot, ts, "New cup", [old], [new])
    draft = bot.wait_status(ts, Status.PENDING)
    assert draft.version == 2 and draft.final_parts is None
    card = bot.wait_card(card, lambda m: [b["slack_file"]["id"] for b in image_blocks(m)] == [new["id"]])
    assert "version 2" in block_text(card.blocks)

    bot.driver.command("resume", OWNER)
    bot.click(card, "Approve")
    [post] = bot.x.wait_for_posts(1)
    assert [bot.x.media.items[i].data for i in post.media_ids] == [new_bytes]
    bot.settle()
    assert len(bot.x.posts) == 1 and len(uploads(bot)) == 1  # the approved old image never went anywhere


def test_bytes_that_changed_in_slack_after_approval_are_never_posted(bot: Harness) -> None:
    assert "paused" in bot.driver.command("pause", OWNER).json()["text"]
    file = bot.slack.add_file("cup.png", image(color=(1, 2, 3)))
    ts = bot.draft("Same name, other cup", files=[file])
    bot.click(bot.card(OWNER, containing="other cup"), "Approve")
    bot.wait_status(ts, Status.APPROVED)
    bot.slack.files.replace(file["id"], image(color=(200, 2, 3)))
    bot.driver.command("resume", OWNER)
    bot.wait_status(ts, Status.FAILED)
    assert "the image cup.png in Slack is not the one that was approved" in (bot.on_x(ts).last_error or "")
    assert bot.x.posts == [] and uploads(bot) == []


def test_a_file_deleted_from_slack_before_publishing_fails_saying_so_and_how_to_fix_it(bot: Harness) -> None:
    assert "paused" in bot.driver.command("pause", OWNER).json()["text"]
    file = bot.slack.add_file("cup.png", image())
    ts = bot.draft("Gone by then", files=[file])
    card = bot.card(OWNER, containing="Gone by then")
    bot.click(card, "Approve")
    bot.wait_status(ts, Status.APPROVED)
    bot.slack.files.delete(file["id"])
    bot.driver.command("resume", OWNER)
    bot.wait_status(ts, Status.FAILED)
    error = bot.on_x(ts).last_error or ""
    assert "the image cup.png is no longer in Slack" in error
    assert "attach it again by editing the draft's message" in error
    bot.wait_card(card, lambda m: "is no longer in Slack" in block_text(m.blocks))
    bot.thread(ts, containing="is no longer in Slack")
    assert bot.x.posts == []

    again = bot.slack.add_file("cup.png", image())  # the fix the message names: attach it again
    edit_files(bot, ts, "Gone by then", [file], [again])
    assert bot.wait_status(ts, Status.PENDING).version == 2
    bot.click(bot.wait_card(card, lambda m: "version 2" in block_text(m.blocks)), "Approve")
    [post] = bot.x.wait_for_posts(1)
    assert [bot.x.media.items[i].data for i in post.media_ids] == [image()]


def test_a_media_upload_503_is_retried_and_the_post_goes_out_once(bot: Harness) -> None:
    bot.x.fail("POST /2/media/upload", status=503)
    data = image()
    ts = bot.draft("Retry the upload", files=[bot.slack.add_file("cup.png", data)])
    bot.click(bot.card(OWNER, containing="Retry the upload"), "Approve")
    [post] = bot.x.wait_for_posts(1, timeout=10)
    assert [bot.x.media.items[i].data for i in post.media_ids] == [data]
    assert [r.status for r in uploads(bot)] == [503, 200]
    bot.wait_status(ts, Status.PUBLISHED)
    bot.settle()
    assert len(bot.x.posts) == 1
    assert [a.action for a in bot.audit() if a.action.startswith("publish_")] == [
        "publish_claimed",
        "publish_retry",
        "publish_claimed",
    ]


def test_a_thread_with_images_written_under_part_2_posts_them_with_part_2(bot: Harness) -> None:
    data = image()
    text = "First, the beans.\n---\nThen the cup.\nalt: A white cup\n---\nLast, the price."
    ts = bot.draft(text, files=[bot.slack.add_file("cup.png", data)])
    card = bot.card(OWNER, containing="the beans")
    assert "goes with post 2 of 3" in block_text(card.blocks)
    bot.click(card, "Approve")
    posts = bot.x.wait_for_posts(3)
    assert [len(p.media_ids) for p in posts] == [0, 1, 0]
    assert posts[1].text == "Then the cup."
    assert bot.x.media.items[posts[1].media_ids[0]].alt_text == "A white cup"
    bot.wait_status(ts, Status.PUBLISHED)


def test_a_thread_with_no_alt_line_puts_its_images_on_the_first_part_and_says_so(bot: Harness) -> None:
    bot.draft("One\n---\nTwo", files=[bot.slack.add_file("cup.png", image())])
    card = bot.card(OWNER, containing="One")
    assert "goes with post 1 of 2 (the first, as no `alt:` line was written under another part)" in block_text(
        card.blocks
    )


def test_an_edit_that_only_changes_the_alt_text_is_a_new_version(bot: Harness) -> None:
    file = bot.slack.add_file("cup.png", image())
    ts = bot.draft("A cup\nalt: a cup", files=[file])
    card = bot.card(OWNER, containing="A cup")
    edit_files(bot, ts, "A cup\nalt: a white cup on a saucer", [file], [file])
    card = bot.wait_card(card, lambda m: "alt: a white cup on a saucer" in block_text(m.blocks))
    assert bot.row(ts).version == 2


def test_a_gif_goes_out_alone_as_tweet_gif(bot: Harness) -> None:
    data = gif()
    bot.draft("Party time", files=[bot.slack.add_file("party.gif", data)])
    bot.click(bot.card(OWNER, containing="Party time"), "Approve")
    [post] = bot.x.wait_for_posts(1)
    [media] = [bot.x.media.items[i] for i in post.media_ids]
    assert media.category == "tweet_gif" and media.data == data
    assert sha256(media.data) == sha256(data)


def test_the_owner_changes_alt_text_in_edit_and_x_gets_the_owners_words_on_the_same_bytes(bot: Harness) -> None:
    data = [image(color=(1, 1, 1)), image(color=(2, 2, 2))]
    files = [bot.slack.add_file("a.png", data[0]), bot.slack.add_file("b.png", data[1])]
    ts = bot.draft("Two cups\nalt: cup one", files=files)
    bot.click(bot.card(OWNER, containing="Two cups"), "Edit")
    modal = bot.modal(CallbackId.EDIT)
    field = next(b for b in modal.blocks if b.get("block_id") == BlockId.EDIT_TEXT)
    assert field["element"]["initial_value"] == "Two cups\nalt: cup one\nalt:"

    too_many = bot.submit(modal, {BlockId.EDIT_TEXT: {InputId.TEXT: "Two cups\nalt: a\nalt: b\nalt: c"}})
    assert "more `alt:` lines than images" in too_many.json()["errors"][BlockId.EDIT_TEXT]
    response = bot.submit(modal, {BlockId.EDIT_TEXT: {InputId.TEXT: "Two cups\nalt: A black cup\nalt: A grey cup"}})
    assert response.status_code == 200 and not response.text
    [post] = bot.x.wait_for_posts(1)
    assert post.text == posted("Two cups")
    media = [bot.x.media.items[i] for i in post.media_ids]
    assert [(m.data, m.alt_text) for m in media] == [(data[0], "A black cup"), (data[1], "A grey cup")]
    assert bot.wait_status(ts, Status.PUBLISHED).version == 2


def test_without_files_read_slack_answers_its_sign_in_page_and_the_writer_is_told(bot: Harness) -> None:
    bot.slack.files.scope_granted = False  # the app was installed before it asked for files:read
    ts = bot.draft("Signed out", files=[bot.slack.add_file("cup.png", image())])
    [reply] = bot.thread(ts)
    assert "`cup.png` couldn't be read from Slack: Slack answered its sign-in page instead of the file" in reply.text
    assert "files:read" in reply.text
    assert bot._maybe_row(ts) is None and bot.slack.messages(f"D{OWNER[1:]}") == []
