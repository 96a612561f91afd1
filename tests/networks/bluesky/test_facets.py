"""Facet detection as @atproto/api's detectFacets does it, with UTF-8 byte offsets."""

from __future__ import annotations

from bot.networks.bluesky.facets import detect, facets


def spans(text: str) -> list[tuple[str, str, str]]:
    data = text.encode("utf-8")
    return [(f.kind, data[f.start : f.end].decode("utf-8"), f.value) for f in detect(text)]


def test_offsets_are_utf8_bytes_on_non_ascii_text() -> None:
    text = "Ça coûte 3 € ☕ — https://acme.example.com/prix"
    (found,) = detect(text)
    assert found.start == len("Ça coûte 3 € ☕ — ".encode()) == 25
    assert found.end == len(text.encode("utf-8"))
    assert found.value == "https://acme.example.com/prix"


def test_links_drop_trailing_punctuation_and_bare_domains_need_a_real_tld() -> None:
    assert spans(
        "See https://acme.example.com/a, then (https://x.org/b) and example.com! but not e.g or foo.notatld"
    ) == [
        ("link", "https://acme.example.com/a", "https://acme.example.com/a"),
        ("link", "https://x.org/b", "https://x.org/b"),
        ("link", "example.com", "https://example.com"),
    ]


def test_mentions_and_tags() -> None:
    assert spans("Thanks @bob.bsky.social. #coffee! #2026 @notahandle") == [
        ("mention", "@bob.bsky.social", "bob.bsky.social"),
        ("tag", "#coffee", "coffee"),
    ]


def test_an_unresolved_mention_stays_plain_text() -> None:
    out = facets("Hi @bob.bsky.social and @ghost.bsky.social", {"bob.bsky.social": "did:plc:bob"}.get)
    assert len(out) == 1
    assert out[0]["features"] == [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:bob"}]
    assert out[0]["index"] == {"byteStart": 3, "byteEnd": 19}
