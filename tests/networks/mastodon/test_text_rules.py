"""Mastodon's status length (StatusLengthValidator), with counts worked out by hand from the server's rules."""

from __future__ import annotations

import pytest

from bot.networks.base import Network
from bot.networks.mastodon.content import comparable, html_to_text, same_text
from bot.networks.mastodon.sandbox_html import render
from bot.networks.mastodon.text_rules import countable_text, rules_from_instance, status_length


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", 5),
        ("  padded\n", 6),  # the server strips the text first
        ("   ", 0),
        ("https://example.com/" + "a" * 100, 23),  # any URL with a protocol is the placeholder
        ("see example.com", 15),  # without a protocol it is no URL to Mastodon
        ("two https://a.co/x and http://b.io/y", 4 + 23 + 5 + 23),
        ("hi @alice@social.example.com", 3 + 6),  # a remote mention counts as @alice
        ("hi @alice", 9),
        ("mail bob@example.com", 20),  # an address is no mention
        ("https://social.example.com/@alice", 23),  # a mention inside a URL is the URL's
        ("👩‍👩‍👧‍👦", 1),  # one grapheme cluster, seven code points
        ("e\u0301", 1),  # e + combining acute
        ("日本語", 3),
    ],
)
def test_status_length(text: str, expected: int) -> None:
    assert status_length(text) == expected


def test_the_url_weight_is_the_instances() -> None:
    assert status_length("https://example.com/x", url_length=30) == 30
    assert countable_text("a https://example.com/x", 5) == "a xxxxx"


def test_spoiler_text_counts_too() -> None:
    assert status_length("body", spoiler_text="CW: beans") == 4 + 9


def test_rules_from_instance_v2() -> None:
    rules, media = rules_from_instance(
        {
            "configuration": {
                "statuses": {"max_characters": 1000, "max_media_attachments": 6, "characters_reserved_per_url": 30},
                "media_attachments": {
                    "image_size_limit": 10485760,
                    "description_limit": 1000,
                    "supported_mime_types": ["image/jpeg", "image/avif", "video/mp4"],
                },
            }
        }
    )
    assert (rules.network, rules.limit, rules.unit, rules.url_length) == (Network.MASTODON, 1000, "characters", 30)
    assert rules.count("https://example.com") == 30
    assert (media.max_images, media.image_bytes, media.alt_limit) == (6, 10485760, 1000)
    assert media.mimes == {"image/jpeg", "image/avif"}


def test_rules_default_like_a_stock_mastodon() -> None:
    rules, media = rules_from_instance({"version": "3.0.0"})
    assert (rules.limit, rules.url_length, media.max_images, media.image_bytes) == (500, 23, 4, 16 * 1024 * 1024)
    assert rules_from_instance({"max_toot_chars": 5000})[0].limit == 5000  # glitch-soc and other forks


def test_html_content_reads_back_as_the_posted_text() -> None:
    text = "Beans & cream <3 'fresh'\nsee https://www.example.com/a/very/long/path/to/the/beans?x=1&y=2\n\n\nbye"
    assert html_to_text(render(text, "social.example.com")) == text.replace("\n\n\n", "\n\n")
    assert same_text(render(text, "social.example.com"), text)
    assert not same_text(render(text, "social.example.com"), text + "!")


def test_a_known_remote_mention_reads_back_as_its_local_part() -> None:
    html = render("thanks @bob@mastodon.social!", "social.example.com")
    assert html_to_text(html) == "thanks @bob!"
    assert same_text(html, "thanks @bob@mastodon.social!")
    assert comparable("@bob@mastodon.social and @carol") == "@bob and @carol"
