"""BlueskyAccount end to end: the real atproto SDK, unpatched, against the PDS stand-in over loopback."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import httpx
import pytest
from atproto_client import exceptions as atx
from PIL import Image

from bot.networks.base import Verdict
from bot.networks.bluesky import BlueskyAccount
from bot.networks.bluesky.errors import MediaRefused
from bot.networks.bluesky.refs import PostRef
from bot.networks.bluesky.sandbox import BlueskySandbox
from bot.networks.bluesky.tid import is_tid
from tests.networks.bluesky.conftest import BOB, BOB_DID, HANDLE

SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def png(width: int = 40, height: int = 30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "brown").save(buffer, "PNG")
    return buffer.getvalue()


def strong(record: object) -> dict[str, str]:
    return {"uri": record.uri, "cid": record.cid}  # type: ignore[attr-defined]


def refs(reply: dict) -> dict[str, dict[str, str]]:
    return {part: {"uri": reply[part]["uri"], "cid": reply[part]["cid"]} for part in ("root", "parent")}


def rkey_of(post_id: str) -> str:
    return PostRef.decode(post_id).rkey


def test_post_creates_the_record_at_the_chosen_key_with_its_link(account: BlueskyAccount, pds: BlueskySandbox) -> None:
    key = account.new_key()
    assert is_tid(key) and key != account.new_key()
    posted = account.post("Fresh beans are in.", key=key)
    (record,) = pds.posts()
    assert record.rkey == key and record.text == "Fresh beans are in."
    assert record.value["$type"] == "app.bsky.feed.post" and record.value["createdAt"].endswith("Z")
    assert PostRef.decode(posted.id).strong() == {"uri": record.uri, "cid": record.cid}
    assert posted.link == f"https://bsky.app/profile/{HANDLE}/post/{key}"
    assert account.link(posted.id) == posted.link


def test_a_thread_names_root_and_parent(account: BlueskyAccount, pds: BlueskySandbox) -> None:
    first = account.post("1/3 The harvest.", key=account.new_key())
    second = account.post("2/3 The roast.", key=account.new_key(), reply_to=first.id)
    third = account.post("3/3 The cup.", key=account.new_key(), reply_to=second.id)
    one, two, three = pds.posts()
    assert "reply" not in one.value
    assert refs(two.value["reply"]) == {"root": strong(one), "parent": strong(one)}
    assert refs(three.value["reply"]) == {"root": strong(one), "parent": strong(two)}
    assert PostRef.decode(third.id).root() == strong(one)


def test_images_go_up_as_blobs_with_alt_and_aspect_ratio(account: BlueskyAccount, pds: BlueskySandbox) -> None:
    media = [
        account.upload_media(png(40, 30), "image/png", "A bag of beans"),
        account.upload_media(png(10, 20), "image/png", None),
    ]
    account.post("Two photos.", key=account.new_key(), media=media)
    (record,) = pds.posts()
    images = record.value["embed"]["images"]
    assert record.value["embed"]["$type"] == "app.bsky.embed.images"
    assert [i["alt"] for i in images] == ["A bag of beans", ""]
    assert [(i["aspectRatio"]["width"], i["aspectRatio"]["height"]) for i in images] == [(40, 30), (10, 20)]
    for image in images:
        stored = pds.blobs[image["image"]["ref"]["$link"]]
        assert (image["image"]["mimeType"], image["image"]["size"]) == (stored["mimeType"], stored["size"])


def test_media_our_rules_refuse_never_leave(account: BlueskyAccount, pds: BlueskySandbox) -> None:
    with pytest.raises(MediaRefused, match="not image/gif"):
        account.upload_media(b"GIF89a....", "image/gif", None)
    with pytest.raises(MediaRefused, match="at most 2,000,000"):
        account.upload_media(b"\xff\xd8\xff" + b"\0" * 2_000_000, "image/jpeg", None)
    with pytest.raises(MediaRefused, match="alt text"):
        account.upload_media(png(), "image/png", "x" * 1001)
    assert pds.calls("com.atproto.repo.uploadBlob") == []
    assert account.diagnose(MediaRefused("the image is too big")).verdict is Verdict.FAILED


def test_link_and_mention_facets_have_utf8_byte_offsets(account: BlueskyAccount, pds: BlueskySandbox) -> None:
    text = "Café ☕ at https://acme.example.com/menu. Thanks @bob.bsky.social and @ghost.bsky.social!"
    account.post(text, key=account.new_key())
    (record,) = pds.posts()
    data = text.encode("utf-8")
    spans = {
        (f["features"][0]["$type"].split("#")[1], data[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode())
        for f in record.value["facets"]
    }
    assert spans == {("link", "https://acme.example.com/menu"), ("mention", "@bob.bsky.social")}
    link = next(f for f in record.value["facets"] if f["features"][0]["$type"].endswith("#link"))
    assert link["index"]["byteStart"] == len("Café ☕ at ".encode()) == 13  # é is 2 bytes, ☕ is 3
    assert link["features"][0]["uri"] == "https://acme.example.com/menu"
    mention = next(f for f in record.value["facets"] if f["features"][0]["$type"].endswith("#mention"))
    assert mention["features"][0]["did"] == BOB_DID
    assert [c.query["handle"] for c in pds.calls("com.atproto.identity.resolveHandle")] == [
        ["bob.bsky.social"],
        ["ghost.bsky.social"],
    ]


def test_the_same_key_twice_is_one_post(account: BlueskyAccount, pds: BlueskySandbox) -> None:
    key = account.new_key()
    first = account.post("Only once.", key=key)
    again = account.post("Only once.", key=key)
    assert again.id == first.id and len(pds.posts()) == 1
    assert [c.status for c in pds.calls("com.atproto.repo.createRecord")] == [200, 500]


def test_a_500_after_the_create_is_settled_by_the_key(account: BlueskyAccount, pds: BlueskySandbox) -> None:
    key = account.new_key()
    pds.fail("com.atproto.repo.createRecord", 500, record_anyway=True)
    posted = account.post("Made it anyway.", key=key)  # the 500 is followed by a read of the key
    (record,) = pds.posts()
    assert rkey_of(posted.id) == key == record.rkey
    assert account.find(key, "Made it anyway.", SINCE) == PostRef(record.uri, record.cid).encode()


def test_a_lost_answer_is_uncertain_then_find_settles_it(account: BlueskyAccount, pds: BlueskySandbox) -> None:
    account.session.ensure()
    key = account.new_key()
    pds.drop("com.atproto.repo.createRecord", record_anyway=True)
    with pytest.raises(httpx.RemoteProtocolError) as caught:  # the SDK lets this httpx error through
        account.post("Answer lost.", key=key)
    assert account.diagnose(caught.value).verdict is Verdict.UNCERTAIN
    found = account.find(key, "Answer lost.", SINCE)
    assert isinstance(found, str) and rkey_of(found) == key
    never = account.new_key()
    pds.drop("com.atproto.repo.createRecord", record_anyway=False)
    with pytest.raises(httpx.RemoteProtocolError):
        account.post("Never made.", key=never)
    assert account.find(never, "Never made.", SINCE) is False
    pds.go_down()
    assert account.find(never, "Never made.", SINCE) is None


def test_delete_twice(account: BlueskyAccount, pds: BlueskySandbox) -> None:
    posted = account.post("Oops.", key=account.new_key())
    assert account.delete(posted.id) is True
    assert account.delete(posted.id) is False
    assert pds.posts() == []


def test_metrics_under_the_digest_names(account: BlueskyAccount, pds: BlueskySandbox) -> None:
    first = account.post("Liked.", key=account.new_key())
    second = account.post("Quiet.", key=account.new_key(), reply_to=first.id)
    pds.set_counts(rkey_of(first.id), like=7, repost=2, reply=1, quote=3)
    assert account.metrics([first.id, second.id]) == {
        first.id: {"like_count": 7, "retweet_count": 2, "reply_count": 1, "quote_count": 3},
        second.id: {"like_count": 0, "retweet_count": 0, "reply_count": 0, "quote_count": 0},
    }
    pds.go_down()
    assert account.metrics([first.id]) is None


def test_an_expired_session_is_renewed_and_the_call_made_again(account: BlueskyAccount, pds: BlueskySandbox) -> None:
    account.post("Before.", key=account.new_key())
    pds.expire_access_tokens()
    account.post("After.", key=account.new_key())
    assert [p.text for p in pds.posts()] == ["Before.", "After."]
    assert [c.status for c in pds.calls("com.atproto.repo.createRecord")] == [200, 400, 200]
    assert len(pds.calls("com.atproto.server.refreshSession")) == 1
    pds.expire_access_tokens()
    pds.revoke_refresh_tokens()  # the refresh token is no good either: sign in again
    account.post("Later.", key=account.new_key())
    assert len(pds.calls("com.atproto.server.createSession")) == 2 and len(pds.posts()) == 3


def test_check_passes_with_good_credentials(account: BlueskyAccount) -> None:
    checks = account.check()
    assert [c.ok for c in checks] == [True, True]


def test_check_with_a_wrong_password_names_the_fix(pds: BlueskySandbox) -> None:
    account = BlueskyAccount(HANDLE, "nope-nope-nope-nope", base_url=pds.url, password_var="ACME_BLUESKY_APP_PASSWORD")
    (check,) = account.check()
    assert not check.ok
    assert "Invalid identifier or password" in check.fix
    assert check.fix.endswith(
        "Create an app password at Settings → Privacy and security → App passwords and set ACME_BLUESKY_APP_PASSWORD."
    )


def test_check_says_when_the_handle_is_someone_else(account: BlueskyAccount, pds: BlueskySandbox) -> None:
    pds.add_account(HANDLE, "did:plc:someoneelse000000000000")  # the handle's DNS record names another DID
    signed_in, resolves = account.check()
    assert signed_in.ok and not resolves.ok
    assert resolves.fix.startswith(f"@{HANDLE} resolves to did:plc:someoneelse000000000000, but the app password")
    assert "names another account" in resolves.fix


def test_a_hung_create_that_never_landed_is_found_absent_and_sent_again_once(pds: BlueskySandbox) -> None:
    account = BlueskyAccount(HANDLE, "abcd-efgh-ijkl-mnop", base_url=pds.url, timeout=(2.0, 0.3))
    key = account.new_key()
    pds.hang(seconds=1.0, record_anyway=False)
    with pytest.raises(atx.InvokeTimeoutError) as caught:
        account.post("Slow day.", key=key)
    assert account.diagnose(caught.value).verdict is Verdict.UNCERTAIN
    assert account.find(key, "Slow day.", SINCE) is False
    again = account.post("Slow day.", key=key)
    assert rkey_of(again.id) == key and [p.text for p in pds.posts()] == ["Slow day."]


def test_check_with_the_server_unreachable_says_where_it_looked(pds: BlueskySandbox) -> None:
    account = BlueskyAccount(HANDLE, "abcd-efgh-ijkl-mnop", base_url=pds.url)
    pds.go_down()
    (check,) = account.check()
    assert not check.ok
    assert check.fix == f"could not connect to Bluesky: check the network, and the Bluesky server address ({pds.url})"


# -- a post's link, as an approver copies it from the app (Mark as published on a thread's part) ------------------


def test_a_post_link_gives_the_id_a_reply_needs_read_from_the_record(
    account: BlueskyAccount, pds: BlueskySandbox
) -> None:
    posted = account.post("The harvest.", key=account.new_key())
    (record,) = pds.posts()
    link = f"https://bsky.app/profile/{HANDLE}/post/{record.rkey}"
    assert account.post_id_from_link(link) == posted.id
    assert account.post_id_from_link(f"  <{link}?utm=share>  ") == posted.id
    assert account.post_id_from_link(f"https://bsky.app/profile/{pds.did}/post/{record.rkey}") == posted.id
    found = PostRef.decode(account.post_id_from_link(link) or "")
    assert found.strong() == strong(record) and found.root_uri is None  # the thread's first post is its own root


def test_a_later_parts_link_carries_the_threads_root_so_the_next_part_names_it(
    account: BlueskyAccount, pds: BlueskySandbox
) -> None:
    first = account.post("1/3 The harvest.", key=account.new_key())
    second = account.post("2/3 The roast.", key=account.new_key(), reply_to=first.id)
    _, two = pds.posts()
    from_link = account.post_id_from_link(f"https://bsky.app/profile/{HANDLE}/post/{two.rkey}")
    assert from_link == second.id  # uri and cid of the part, and the root's: what `post` gave
    account.post("3/3 The cup.", key=account.new_key(), reply_to=from_link)
    one, _, three = pds.posts()
    assert refs(three.value["reply"]) == {"root": strong(one), "parent": strong(two)}


@pytest.mark.parametrize(
    "link",
    [
        "",
        "it's there",
        f"https://bsky.app/profile/{HANDLE}",
        f"https://bsky.app/profile/{HANDLE}/post/",
        "https://x.com/acme/status/123",
        f"https://example.com/profile/{HANDLE}/post/3kabc2defgh22",
        f"https://bsky.app/profile/{HANDLE}/post/3kabc2defgh22 and more",
    ],
)
def test_anything_but_a_bluesky_post_link_is_none_without_a_call(
    account: BlueskyAccount, pds: BlueskySandbox, link: str
) -> None:
    assert account.post_id_from_link(link) is None
    assert pds.calls("com.atproto.repo.getRecord") == []


def test_a_link_to_someone_elses_post_or_to_no_post_is_none(account: BlueskyAccount, pds: BlueskySandbox) -> None:
    account.post("Ours.", key=account.new_key())
    (record,) = pds.posts()
    assert account.post_id_from_link(f"https://bsky.app/profile/{BOB}/post/{record.rkey}") is None
    assert account.post_id_from_link(f"https://bsky.app/profile/{BOB_DID}/post/{record.rkey}") is None
    assert account.post_id_from_link(f"https://bsky.app/profile/{HANDLE}/post/3kzzzzzzzzz22") is None


def test_a_link_bluesky_cant_be_asked_about_now_raises_what_diagnose_reads(
    account: BlueskyAccount, pds: BlueskySandbox
) -> None:
    account.post("Ours.", key=account.new_key())
    (record,) = pds.posts()
    pds.fail("com.atproto.repo.getRecord", status=502)
    with pytest.raises(atx.AtProtocolError) as caught:
        account.post_id_from_link(f"https://bsky.app/profile/{HANDLE}/post/{record.rkey}")
    assert account.diagnose(caught.value).reason
