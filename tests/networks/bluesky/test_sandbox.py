"""The Bluesky stand-in against the unpatched atproto SDK: what crosses the wire, and the PDS's answers."""

from __future__ import annotations

import pytest
from atproto import Client
from atproto_client import exceptions as atx
from atproto_client import models

from bot.networks.bluesky.sandbox import BlueskySandbox
from bot.networks.bluesky.tid import new_tid
from tests.networks.bluesky.conftest import HANDLE, PASSWORD


def login(pds: BlueskySandbox) -> Client:
    client = Client(pds.url)
    client.login(HANDLE, PASSWORD)
    return client


def post_data(pds: BlueskySandbox, text: str, rkey: str | None = None) -> models.ComAtprotoRepoCreateRecord.Data:
    record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-01-01T00:00:00.000Z"}
    return models.ComAtprotoRepoCreateRecord.Data(
        repo=pds.did, collection="app.bsky.feed.post", rkey=rkey, record=record
    )


def test_login_sends_identifier_and_password_and_fetches_the_profile(pds: BlueskySandbox) -> None:
    client = login(pds)
    create = pds.calls("com.atproto.server.createSession")[0]
    assert create.body == {"identifier": HANDLE, "password": PASSWORD}
    assert client.me is not None and client.me.did == pds.did and client.me.handle == HANDLE
    profile = pds.calls("app.bsky.actor.getProfile")[0]
    assert profile.query == {"actor": [HANDLE]}
    assert profile.headers["authorization"].startswith("Bearer ")


def test_wrong_password_is_401_authentication_required(pds: BlueskySandbox) -> None:
    with pytest.raises(atx.UnauthorizedError) as caught:
        Client(pds.url).login(HANDLE, "wrong-pass-word-0000")
    assert caught.value.response.status_code == 401
    assert caught.value.response.content.error == "AuthenticationRequired"
    assert caught.value.response.content.message == "Invalid identifier or password"


def test_create_record_answers_uri_cid_commit_and_validation_status(pds: BlueskySandbox) -> None:
    client, rkey = login(pds), new_tid()
    client.com.atproto.repo.create_record(post_data(pds, "Fresh beans.", rkey))
    reply = pds.calls("com.atproto.repo.createRecord")[0]
    assert reply.status == 200 and reply.body["rkey"] == rkey
    (post,) = pds.posts()
    assert post.uri == f"at://{pds.did}/app.bsky.feed.post/{rkey}" and post.text == "Fresh beans."
    assert post.cid.startswith("bafyrei")
    out = client.com.atproto.repo.get_record(
        models.ComAtprotoRepoGetRecord.Params(repo=pds.did, collection="app.bsky.feed.post", rkey=rkey)
    )
    assert (out.uri, out.cid) == (post.uri, post.cid)


def test_text_over_300_graphemes_is_invalid_request_with_lex_schema_wording(pds: BlueskySandbox) -> None:
    client = login(pds)
    with pytest.raises(atx.BadRequestError) as caught:
        client.com.atproto.repo.create_record(post_data(pds, "é" * 301))
    content = caught.value.response.content
    assert content.error == "InvalidRequest"
    assert content.message == (
        "Invalid app.bsky.feed.post record: grapheme too big (maximum 300, got 301) at $.record.text"
    )
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # one grapheme, 25 bytes
    with pytest.raises(atx.BadRequestError) as caught:
        client.com.atproto.repo.create_record(post_data(pds, family * 121))
    assert "string too big (maximum 3000, got 3025)" in caught.value.response.content.message
    assert pds.posts() == []


def test_create_at_a_key_that_exists_is_a_bare_500(pds: BlueskySandbox) -> None:
    client, rkey = login(pds), new_tid()
    client.com.atproto.repo.create_record(post_data(pds, "Once.", rkey))
    with pytest.raises(atx.RequestException) as caught:
        client.com.atproto.repo.create_record(post_data(pds, "Once.", rkey))
    assert caught.value.response.status_code == 500
    assert caught.value.response.content.error == "InternalServerError"
    assert caught.value.response.content.message == "Internal Server Error"
    assert len(pds.posts()) == 1


def test_a_fault_after_some_requests_lets_those_through_first(pds: BlueskySandbox) -> None:
    """A thread's second part failing: `after=1` passes the first create, then fails the next one."""
    client = login(pds)
    pds.fail("com.atproto.repo.createRecord", status=500, after=1)
    client.com.atproto.repo.create_record(post_data(pds, "One."))
    with pytest.raises(atx.RequestException) as caught:
        client.com.atproto.repo.create_record(post_data(pds, "Two."))
    assert caught.value.response.status_code == 500
    client.com.atproto.repo.create_record(post_data(pds, "Three."))
    assert [p.text for p in pds.posts()] == ["One.", "Three."]


def test_get_missing_record_is_record_not_found_and_delete_of_gone_has_no_commit(pds: BlueskySandbox) -> None:
    client, rkey = login(pds), new_tid()
    params = models.ComAtprotoRepoGetRecord.Params(repo=pds.did, collection="app.bsky.feed.post", rkey=rkey)
    with pytest.raises(atx.BadRequestError) as caught:
        client.com.atproto.repo.get_record(params)
    assert caught.value.response.content.error == "RecordNotFound"
    assert caught.value.response.content.message == f"Could not locate record: at://{pds.did}/app.bsky.feed.post/{rkey}"
    client.com.atproto.repo.create_record(post_data(pds, "Short-lived.", rkey))
    delete = models.ComAtprotoRepoDeleteRecord.Data(repo=pds.did, collection="app.bsky.feed.post", rkey=rkey)
    assert client.com.atproto.repo.delete_record(delete).commit is not None
    assert client.com.atproto.repo.delete_record(delete).commit is None
    assert pds.calls("com.atproto.repo.deleteRecord")[-1].status == 200


def test_upload_blob_returns_a_blob_ref_and_refuses_over_the_limit(pds: BlueskySandbox) -> None:
    client = login(pds)
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    out = client.com.atproto.repo.upload_blob(png, headers={"Content-Type": "image/png"})
    assert out.blob.mime_type == "image/png" and out.blob.size == len(png)
    assert out.blob.ref.link.startswith("bafkrei")
    assert pds.calls("com.atproto.repo.uploadBlob")[0].headers["content-type"] == "image/png"
    pds.upload_limit = 1000
    with pytest.raises(atx.NetworkError) as caught:  # the SDK files 413 under NetworkError
        client.com.atproto.repo.upload_blob(b"\xff\xd8\xff" + b"\0" * 1000, headers={"Content-Type": "image/jpeg"})
    assert caught.value.response.status_code == 413
    assert caught.value.response.content.error == "PayloadTooLarge"


def test_the_sdk_refreshes_a_token_near_its_exp_by_itself(pds: BlueskySandbox) -> None:
    pds.access_ttl = 60  # inside the SDK's 15-minute margin: it refreshes before the next call
    client = login(pds)
    client.com.atproto.repo.create_record(post_data(pds, "After a refresh."))
    refresh = pds.calls("com.atproto.server.refreshSession")
    assert len(refresh) >= 1 and refresh[0].status == 200
    assert pds.calls("com.atproto.repo.createRecord")[0].status == 200


def test_a_token_the_server_expired_is_400_expired_token(pds: BlueskySandbox) -> None:
    client = login(pds)
    pds.expire_access_tokens()
    with pytest.raises(atx.BadRequestError) as caught:
        client.com.atproto.repo.create_record(post_data(pds, "Never."))
    assert caught.value.response.content.error == "ExpiredToken"
    assert caught.value.response.content.message == "Token has expired"
    assert pds.posts() == []


def test_refresh_tokens_rotate(pds: BlueskySandbox) -> None:
    client = login(pds)
    first = client.export_session_string().split(":::")[3]
    bearer = {"Authorization": f"Bearer {first}"}
    client.com.atproto.server.refresh_session(headers=bearer, ignore_session_check=True)
    with pytest.raises(atx.BadRequestError) as caught:
        client.com.atproto.server.refresh_session(headers=bearer, ignore_session_check=True)
    assert caught.value.response.content.error == "ExpiredToken"
    assert caught.value.response.content.message == "Token has been revoked"


def test_429_carries_ratelimit_headers(pds: BlueskySandbox) -> None:
    client = login(pds)
    pds.rate_limit(reset_in=300)
    with pytest.raises(atx.RateLimitExceededError) as caught:
        client.com.atproto.repo.create_record(post_data(pds, "Too soon."))
    assert caught.value.remaining == 0 and caught.value.limit == 5000
    assert caught.value.reset_at is not None and caught.value.response.content.error == "RateLimitExceeded"
    assert caught.value.policy == "5000;w=3600"


def test_get_posts_reads_every_uri_and_skips_missing_ones(pds: BlueskySandbox) -> None:
    client = login(pds)
    first = client.com.atproto.repo.create_record(post_data(pds, "One."))
    second = client.com.atproto.repo.create_record(post_data(pds, "Two."))
    pds.set_counts(first.uri.rsplit("/", 1)[1], like=4, repost=2, reply=1, quote=3)
    missing = f"at://{pds.did}/app.bsky.feed.post/{new_tid()}"
    out = client.app.bsky.feed.get_posts(models.AppBskyFeedGetPosts.Params(uris=[first.uri, missing, second.uri]))
    assert [p.uri for p in out.posts] == [first.uri, second.uri]
    one = out.posts[0]
    assert (one.like_count, one.repost_count, one.reply_count, one.quote_count) == (4, 2, 1, 3)
    assert one.author.did == pds.did


def test_author_feed_is_newest_first_and_resolve_handle_knows_the_accounts(pds: BlueskySandbox) -> None:
    client = login(pds)
    for text in ("Old.", "New."):
        client.com.atproto.repo.create_record(post_data(pds, text))
    feed = client.app.bsky.feed.get_author_feed(models.AppBskyFeedGetAuthorFeed.Params(actor=HANDLE, limit=10))
    assert [item.post.record.text for item in feed.feed] == ["New.", "Old."]
    resolve = client.com.atproto.identity.resolve_handle
    assert resolve(models.ComAtprotoIdentityResolveHandle.Params(handle=HANDLE)).did == pds.did
    with pytest.raises(atx.BadRequestError) as caught:
        resolve(models.ComAtprotoIdentityResolveHandle.Params(handle="nobody.bsky.social"))
    assert caught.value.response.content.message == "Unable to resolve handle"
