"""`countersign demo`: the whole approval loop, offline, against the sandbox stand-ins for Slack, X and Bluesky.

It runs the real app in HTTP mode on loopback with a throwaway SQLite file and a brands file (one brand on X and
Bluesky), sends it the signed requests Slack would send, and prints what each person would see.
"""

from __future__ import annotations

import html
import io
import logging
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

from bot.networks.bluesky.sandbox import BlueskySandbox
from bot.runtime.brands import for_deployment
from bot.runtime.runner import Running, start_http
from bot.runtime.settings import Settings
from bot.sandbox import Sandbox, SlackDriver
from bot.sandbox.slack_api import Message, SlackSandbox, dm_channel_for
from bot.slack.ids import BlockId, CallbackId, InputId

SIGNING_SECRET = "demo-signing-secret"
DRAFTS, OWNER, WRITER = "C0DRAFTS", "U0OLIVIA", "U0WENDY"
NAMES = {OWNER: "Olivia (owner, Acme Coffee)", WRITER: "Wendy (writer, Northwind Agency)"}
WAIT_S = 10.0

Echo = Callable[[str], None]


def plain(mrkdwn: str, names: dict[str, str] = NAMES) -> str:
    """Slack mrkdwn as a person reads it: mentions by name, links and dates by their text."""
    text = re.sub(r"<@(\w+)>", lambda m: "@" + names.get(m.group(1), m.group(1)).split(" ")[0], mrkdwn)
    text = re.sub(r"<!date\^[^|>]*\|([^>]*)>", r"\1", text)
    text = re.sub(r"<([^|>]+)\|([^>]+)>", r"\2 (\1)", text)
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    text = re.sub(r":[a-z_]+: ", "", text)  # emoji shortcodes
    text = re.sub(r"\*([^*\n]+)\*", r"\1", text)  # bold, as a terminal can't show it
    return html.unescape(text)


def thread_reply(text: str) -> str:
    return "   #drafts thread · " + plain(text).replace("\n>", "\n> ").replace("\n", "\n     ")


def show_card(echo: Echo, card: Message) -> None:
    for block in card.blocks:
        if block["type"] == "section":  # the post itself is plain_text: shown as the characters it is
            text = block["text"]
            body = plain(text["text"]) if text.get("type") == "mrkdwn" else text["text"]
            echo("  │ " + body.replace("\n", "\n  │ "))
        elif block["type"] == "context":
            echo("  │ " + plain(block["elements"][0]["text"]))
        elif block["type"] == "image":
            echo(f"  │ [ {block['title']['text']} · Slack file {block['slack_file']['id']} ]")
        elif block["type"] == "actions":
            echo("  │ " + "  ".join(f"[ {e['text']['text']} ]" for e in block["elements"]))


UNDO_WINDOW = "5s"  # a real window, short: the transcript shows the Undo card, then the post when it ends


BRANDS = """
[brands.acme]
name = "Acme Coffee"
drafts_channels = ["{drafts}"]
approvers = ["{owner}"]
agency_name = "Northwind Agency"

[brands.acme.x]
api_key_env = "ACME_X_API_KEY"
api_secret_env = "ACME_X_API_SECRET"
access_token_env = "ACME_X_ACCESS_TOKEN"
access_token_secret_env = "ACME_X_ACCESS_TOKEN_SECRET"
api_url = "{x_url}"

[brands.acme.bluesky]
handle = "{handle}"
app_password_env = "ACME_BLUESKY_APP_PASSWORD"
service = "{bluesky_url}"
"""


def env_for(sandbox: Sandbox, bluesky: BlueskySandbox, folder: Path) -> dict[str, str]:
    """The process settings, and a brands file naming the brand's two accounts (credentials by variable)."""
    brands = folder / "countersign.toml"
    brands.write_text(
        BRANDS.format(
            drafts=DRAFTS, owner=OWNER, x_url=sandbox.x.url, handle=bluesky.user_handle, bluesky_url=bluesky.url
        ),
        encoding="utf-8",
    )
    return {
        "SLACK_BOT_TOKEN": sandbox.slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": sandbox.slack.url,
        "DATABASE_URL": f"sqlite:///{folder / 'demo.db'}",
        "COUNTERSIGN_CONFIG": str(brands),
        "ACME_X_API_KEY": sandbox.x.consumer_key,
        "ACME_X_API_SECRET": "demo",
        "ACME_X_ACCESS_TOKEN": "demo",
        "ACME_X_ACCESS_TOKEN_SECRET": "demo",
        "ACME_BLUESKY_APP_PASSWORD": bluesky.app_password,
        "UNDO_WINDOW": UNDO_WINDOW,
    }


def play(echo: Echo = print) -> None:
    logging.getLogger().setLevel(logging.ERROR)
    with (
        tempfile.TemporaryDirectory(prefix="countersign-demo-") as folder,
        Sandbox.start() as sandbox,
        BlueskySandbox(handle="acmecoffee.bsky.social") as bluesky,
    ):
        sandbox.slack.add_user(OWNER, "olivia", real_name="Olivia Ortiz")
        sandbox.slack.add_user(WRITER, "wendy", real_name="Wendy Wu")
        env = env_for(sandbox, bluesky, Path(folder))
        settings = Settings.from_env(env)
        running = start_http(settings, "127.0.0.1", 0, brands=for_deployment(env, settings))
        try:
            _story(echo, sandbox, bluesky, running)
        finally:
            running.stop()


def _story(echo: Echo, sandbox: Sandbox, bluesky: BlueskySandbox, running: Running) -> None:
    slack, x = sandbox.slack, sandbox.x
    driver = SlackDriver(f"{running.url}/slack/events", SIGNING_SECRET)
    echo(f"Countersign demo · Slack, X and Bluesky are local stand-ins · app on {running.url}")
    echo("Acme Coffee posts to X and Bluesky (countersign.toml); one approval sends the post to both.\n")

    first = "Fresh beans are in: Ethiopia Guji, roasted Tuesday. Come by for a cup, we is open till 8!"
    alt = "alt: A bag of Ethiopia Guji beans on the counter"
    photo = slack.add_file("guji.png", _photo())
    echo(f"1. #drafts · Wendy posts a draft with a photo (guji.png):\n  “{first}”\n  “{alt}”\n")
    ts, _ = driver.message(WRITER, f"{first}\n{alt}", DRAFTS, files=[photo])
    card = _card(slack, "Ethiopia Guji")
    echo("2. Olivia's DM · the approval card:")
    show_card(echo, card)
    echo("\n" + thread_reply(_reply(slack, ts, "approval").text) + "\n")

    echo("3. Olivia clicks [ Request changes ] and writes why.")
    driver.click(card, "Request changes", OWNER)
    view = slack.wait_for(lambda s: next((v for v in s.views if v.callback_id == CallbackId.REQUEST_CHANGES), None))
    values = {BlockId.REASON: {InputId.REASON: "Grammar: “we are open”, please."}}
    driver.submit_view(view.callback_id, view.private_metadata, values, OWNER, view_id=view.id)
    echo(thread_reply(_reply(slack, ts, "requested changes").text) + "\n")

    fixed = first.replace("we is", "we are")
    echo("4. Wendy edits her message; the card is refreshed with version 2.")
    edit = driver.edit_event(WRITER, DRAFTS, ts, f"{fixed}\n{alt}", f"{first}\n{alt}")
    for message in (edit["message"], edit["previous_message"]):
        message.update({"files": [photo], "upload": False})  # Slack's edit of a file share keeps its files
    driver.event(edit)
    card = slack.wait_for(lambda s: (m := s.message(card.channel, card.ts)) and "version 2" in str(m.blocks) and m)
    show_card(echo, card)

    echo("\n5. Olivia clicks [ Approve ].")
    driver.click(card, "Approve", OWNER)
    card = slack.wait_for(lambda s: (m := s.message(card.channel, card.ts)) and "Undo" in str(m.blocks) and m)
    echo(f"   For {UNDO_WINDOW} (UNDO_WINDOW) any approver can still take it back; the card reads:")
    show_card(echo, card)
    [post] = x.wait_for_posts(1, timeout=WAIT_S)
    echo("\n   Nobody clicked Undo, so when the window ended it went out.")
    echo(f"   X · @{x.username} posted {x.link_of(0)}:")
    echo("  │ " + post.text.replace("\n", "\n  │ "))
    for media_id in post.media_ids:
        media = x.media.items[media_id]
        echo(f"  │ [ image {media.mime}, {len(media.data):,} bytes, alt text “{media.alt_text}” ]")
    [record] = bluesky.wait_until(lambda: bluesky.posts() or None, WAIT_S)
    echo(
        f"   Bluesky · @{bluesky.user_handle} posted https://bsky.app/profile/{bluesky.user_handle}/post/{record.rkey}:"
    )
    echo("  │ " + record.value["text"].replace("\n", "\n  │ "))
    for image in record.value.get("embed", {}).get("images", []):
        echo(f"  │ [ image, alt text “{image.get('alt', '')}” ]")
    echo("\n" + thread_reply(_reply(slack, ts, "published").text))
    card = slack.wait_for(lambda s: (m := s.message(card.channel, card.ts)) and m.text.endswith("published") and m)
    echo("   The card now reads:")
    show_card(echo, card)
    echo("\nNothing reached X or Bluesky without Olivia's click, and each post says who drafted it.")


def _photo() -> bytes:
    """A small picture for the demo, drawn here (no binary file in the package)."""
    out = io.BytesIO()
    picture = Image.new("RGB", (320, 200), (111, 78, 55))
    ImageDraw.Draw(picture).ellipse((110, 50, 210, 150), fill=(60, 40, 25))
    picture.save(out, format="PNG")
    return out.getvalue()


def _card(slack: SlackSandbox, containing: str) -> Message:
    channel = dm_channel_for(OWNER)
    return slack.wait_for(lambda s: next((m for m in s.messages(channel) if containing in str(m.blocks)), None), WAIT_S)


def _reply(slack: SlackSandbox, ts: str, containing: str) -> Message:
    return slack.wait_for(lambda s: next((m for m in s.thread(DRAFTS, ts) if containing in m.text), None), WAIT_S)
