"""The file and media stand-ins, driven by the app's own clients (slack.files, networks.x.client, tweepy).

Slack: `url_private` answers the bytes only with the bot token; without it, its HTML sign-in page with 200; a
deleted file 404s. X: upload and metadata answer X's shapes and 400s; create refuses unknown, expired, more than
4, or mixed-with-GIF media ids; faults inject on the media routes like on any other.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
import tweepy

from bot.intake.media_rules import MB
from bot.networks.x.client import XAccount
from bot.sandbox import SlackSandbox, XSandbox
from bot.slack.files import FileUnavailable, SlackFiles
from tests.e2e.images import PDF, gif, image, noisy_png


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackSandbox]:
    with SlackSandbox() as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def x_server() -> Iterator[XSandbox]:
    with XSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def x(x_server: XSandbox) -> XSandbox:
    x_server.reset()
    return x_server


@pytest.fixture
def account(x: XSandbox) -> XAccount:
    return XAccount(api_key=x.consumer_key, api_secret="s", access_token="t", access_token_secret="ts", base_url=x.url)


def test_a_file_entry_carries_what_slack_sends(slack: SlackSandbox) -> None:
    entry = slack.add_file("cup.png", image(size=(64, 48)))
    assert entry["id"].startswith("F") and entry["mimetype"] == "image/png" and entry["filetype"] == "png"
    assert entry["original_w"] == 64 and entry["original_h"] == 48 and entry["size"] == len(image(size=(64, 48)))
    assert str(entry["url_private"]).startswith(slack.files.base) and "/download/" in str(entry["url_private_download"])


def test_url_private_needs_the_bot_token_else_the_sign_in_page_with_200(slack: SlackSandbox) -> None:
    data = image()
    url = str(slack.add_file("cup.png", data)["url_private"])
    assert requests.get(url, headers={"Authorization": f"Bearer {slack.bot_token}"}, timeout=5).content == data
    for headers in ({}, {"Authorization": "Bearer xoxb-wrong"}):
        page = requests.get(url, headers=headers, timeout=5)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert page.content.startswith(b"<!DOCTYPE html>")


def test_the_app_reader_tells_a_sign_in_page_and_a_deleted_file_apart(slack: SlackSandbox) -> None:
    entry = slack.add_file("cup.png", image())
    url = str(entry["url_private"])
    assert SlackFiles(slack.bot_token, slack.url).download(url) == image()
    with pytest.raises(FileUnavailable, match="sign-in page") as signed_out:
        SlackFiles("xoxb-wrong", slack.url).download(url)
    assert signed_out.value.permanent and not signed_out.value.gone
    slack.files.delete(str(entry["id"]))
    with pytest.raises(FileUnavailable, match="deleted") as gone:
        SlackFiles(slack.bot_token, slack.url).download(url)
    assert gone.value.gone


def test_the_token_goes_to_no_other_host(slack: SlackSandbox) -> None:
    reader = SlackFiles(slack.bot_token, slack.url)
    assert reader._allowed("https://files.slack.com/files-pri/T0ACME-F1/x.png")
    assert reader._allowed("https://acme.enterprise.slack.com/files-pri/T0ACME-F1/x.png")
    for url in (
        "http://127.0.0.1:1/files-pri/T0ACME-F1/x.png",
        "https://evil.example/files-pri/x.png",
        "http://files.slack.com/files-pri/x.png",
        "https://files.slack.com.evil.example/x.png",
        "ftp://x",
    ):
        with pytest.raises(FileUnavailable, match="isn't Slack's"):
            reader.download(url)


def test_upload_answers_x_shape_and_metadata_sets_alt_text(x: XSandbox, account: XAccount) -> None:
    media_id = account.upload(image(), "image/png", "tweet_image")
    [body] = [r for r in x.requests if r.route == "POST /2/media/upload"]
    assert body.headers["content-type"].startswith("multipart/form-data")
    assert body.headers["authorization"].startswith("OAuth ")  # signed with the same OAuth 1.0a user keys
    item = x.media.items[media_id]
    assert item.data == image() and item.media_key == f"3_{media_id}"
    account.set_alt_text(media_id, "A cup")
    assert item.alt_text == "A cup"
    post_id = account.post("With a cup", media=[media_id]).id
    assert x.live_posts()[0].id == post_id and x.live_posts()[0].media_ids == [media_id]


def test_upload_refuses_what_x_refuses(x: XSandbox, account: XAccount) -> None:
    cases = [
        (noisy_png(5 * MB + 1), "image/png", "tweet_image", "File size exceeds 5242880 bytes."),
        (PDF, "application/pdf", "tweet_image", "media type unrecognized."),
        (gif(), "image/gif", "tweet_image", "image/gif does not match media_category tweet_image."),
        (image(), "image/png", "tweet_gif", "image/png does not match media_category tweet_gif."),
        (image(), "image/png", "tweet_video_x", "is not one of"),
    ]
    for data, mime, category, message in cases:
        with pytest.raises(tweepy.BadRequest) as refused:
            account.upload(data, mime, category)
        assert any(message in m for m in refused.value.api_messages), refused.value.api_messages
    assert x.media.items == {}


def test_create_refuses_unknown_expired_too_many_and_mixed_media(x: XSandbox, account: XAccount) -> None:
    images = [account.upload(image(color=(n, 0, 0)), "image/png", "tweet_image") for n in range(5)]
    moving = account.upload(gif(), "image/gif", "tweet_gif")
    for ids in (["123"], images, [images[0], moving]):
        with pytest.raises(tweepy.BadRequest, match="Your media IDs are invalid"):
            account.post("nope", media=ids)
    x.media.expire_all()
    with pytest.raises(tweepy.BadRequest, match="Your media IDs are invalid"):
        account.post("expired", media=[images[0]])
    with pytest.raises(tweepy.BadRequest, match="not found"):
        account.set_alt_text(images[0], "too late")
    with pytest.raises(tweepy.BadRequest, match="at most 1000"):
        account.set_alt_text(account.upload(image(), "image/png", "tweet_image"), "x" * 1001)
    assert x.live_posts() == []


def test_media_routes_take_injected_faults(x: XSandbox, account: XAccount) -> None:
    x.fail("POST /2/media/upload", status=503)
    with pytest.raises(tweepy.TwitterServerError):
        account.upload(image(), "image/png", "tweet_image")
    assert account.upload(image(), "image/png", "tweet_image")


def test_a_post_with_images_comes_back_with_one_media_link_at_the_end(x: XSandbox, account: XAccount) -> None:
    """X appends one t.co link (to the post's photos, however many) after the text of a post with media, in the
    create answer, the timeline and lookups; the text as sent has no such link."""
    ids = [account.upload(image(color=(n, 0, 0)), "image/png", "tweet_image") for n in range(2)]
    created = account.client.create_tweet(text="Two roasts & a view: northwind.coffee", media_ids=ids, user_auth=True)
    post_id, shown = created.data["id"], created.data["text"]
    links = re.findall(r"https://t\.co/[A-Za-z0-9]{10}", shown)
    assert len(links) == 2 and len(set(links)) == 2  # the domain's link, then the photos' one
    assert shown == f"Two roasts &amp; a view: {links[0]} {links[1]}"
    recent = account.recent_posts(since=x.posts[0].created_at - timedelta(minutes=1))
    assert recent == [(post_id, shown)]
    assert account.client.get_tweet(post_id, user_auth=True).data.text == shown
    assert x.posts[0].text == "Two roasts & a view: northwind.coffee"


def test_a_post_of_images_only_is_its_media_link(x: XSandbox, account: XAccount) -> None:
    post_id = account.post("", media=[account.upload(image(), "image/png", "tweet_image")]).id
    [(found, shown)] = account.recent_posts(since=x.posts[0].created_at - timedelta(minutes=1)) or []
    assert found == post_id and re.fullmatch(r"https://t\.co/[A-Za-z0-9]{10}", shown)
