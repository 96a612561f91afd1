"""The Mastodon stand-in against an unpatched Mastodon.py: the wire shapes, the answers and the errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonInternalServerError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonUnauthorizedError,
)

from bot.networks.mastodon.sandbox import MastodonSandbox
from bot.networks.mastodon.sandbox_wire import NOT_PROCESSED

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 200


def test_status_post_sends_a_form_with_the_idempotency_key_header(api: Mastodon, sandbox: MastodonSandbox) -> None:
    status = api.status_post("Fresh beans are in.", idempotency_key="k-1")
    [request] = sandbox.requests_to("POST /api/v1/statuses")
    assert request.headers["idempotency-key"] == "k-1"
    assert request.headers["authorization"] == "Bearer token-test"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.fields["status"] == "Fresh beans are in."
    assert request.status == 200
    assert status["id"] == sandbox.live_statuses()[0].id and isinstance(status["id"], str)
    assert status["content"] == "<p>Fresh beans are in.</p>"
    assert status["url"] == f"https://social.example.com/@acmecoffee/{status['id']}"
    assert status["account"]["acct"] == "acmecoffee"
    assert isinstance(status["created_at"], datetime)


def test_content_is_html_as_mastodon_renders_plain_text(api: Mastodon, sandbox: MastodonSandbox) -> None:
    text = (
        "Beans & cream <b>\n"
        "see https://www.example.com/a/very/long/path/to/the/beans?x=1 now\n\n"
        "hi @bob@mastodon.social #Coffee"
    )
    content = api.status_post(text)["content"]
    assert content == (
        "<p>Beans &amp; cream &lt;b&gt;<br />see "
        '<a href="https://www.example.com/a/very/long/path/to/the/beans?x=1" target="_blank" '
        'rel="nofollow noopener" translate="no"><span class="invisible">https://www.</span>'
        '<span class="ellipsis">example.com/a/very/long/path/t</span>'
        '<span class="invisible">o/the/beans?x=1</span></a> now</p>'
        '<p>hi <span class="h-card" translate="no"><a href="https://mastodon.social/@bob" class="u-url mention">'
        "@<span>bob</span></a></span> "
        '<a href="https://social.example.com/tags/Coffee" class="mention hashtag" rel="tag">#<span>Coffee</span></a>'
        "</p>"
    )


def test_same_idempotency_key_answers_the_same_status_and_posts_nothing(
    api: Mastodon, sandbox: MastodonSandbox
) -> None:
    first = api.status_post("Once only", idempotency_key="same")
    again = api.status_post("Once only", idempotency_key="same")
    other = api.status_post("Once only", idempotency_key="other")
    assert again["id"] == first["id"] != other["id"]
    assert [s.id for s in sandbox.live_statuses()] == [first["id"], other["id"]]


def test_same_key_after_the_status_was_deleted_is_not_found(api: Mastodon, sandbox: MastodonSandbox) -> None:
    first = api.status_post("Gone soon", idempotency_key="k")
    api.status_delete(first["id"])
    with pytest.raises(MastodonNotFoundError):
        api.status_post("Gone soon", idempotency_key="k")
    assert sandbox.live_statuses() == []


def test_over_the_instance_limit_is_422_with_the_validation_message(api: Mastodon, sandbox: MastodonSandbox) -> None:
    with pytest.raises(MastodonAPIError) as refused:
        api.status_post("a" * 501)
    assert refused.value.args[1] == 422
    assert refused.value.args[3] == "Validation failed: Text character limit of 500 exceeded"
    api.status_post("a" * 500)
    sandbox.set_limits(max_characters=1000)
    api.status_post("b" * 1000)
    assert [len(s.text) for s in sandbox.live_statuses()] == [500, 1000]


def test_blank_text_is_422(api: Mastodon) -> None:
    with pytest.raises(MastodonAPIError) as refused:
        api.status_post("   ")
    assert refused.value.args[1:] == (422, "Unprocessable Entity", "Validation failed: Text can't be blank")


def test_reply_links_the_thread_and_a_missing_parent_is_404(api: Mastodon, sandbox: MastodonSandbox) -> None:
    root = api.status_post("1/2")
    reply = api.status_post("2/2", in_reply_to_id=root["id"])
    assert reply["in_reply_to_id"] == root["id"]
    assert reply["in_reply_to_account_id"] == sandbox.account_id
    assert api.status(root["id"])["replies_count"] == 1
    with pytest.raises(MastodonNotFoundError) as missing:
        api.status_post("orphan", in_reply_to_id="1")
    assert missing.value.args[3] == "The post you are trying to reply to does not appear to exist."


def test_bad_token_is_401_and_a_missing_scope_is_403(sandbox: MastodonSandbox) -> None:
    with pytest.raises(MastodonUnauthorizedError) as bad:
        Mastodon(access_token="nope", api_base_url=sandbox.url).account_verify_credentials()
    assert bad.value.args[1:] == (401, "Unauthorized", "The access token is invalid")
    sandbox.add_token("read-only", {"read"})
    reader = Mastodon(access_token="read-only", api_base_url=sandbox.url)
    assert reader.account_verify_credentials()["username"] == "acmecoffee"
    with pytest.raises(MastodonAPIError) as forbidden:
        reader.status_post("no")
    assert forbidden.value.args[1:] == (403, "Forbidden", "This action is outside the authorized scopes")


def test_small_upload_is_200_with_a_url_and_its_description(api: Mastodon, sandbox: MastodonSandbox) -> None:
    media = api.media_post(PNG, mime_type="image/png", description="A cup of coffee")
    [upload] = sandbox.requests_to("POST /api/v2/media")
    assert upload.status == 200 and upload.fields["description"] == "A cup of coffee"
    assert media["url"] is not None and media["description"] == "A cup of coffee"
    status = api.status_post("with a picture", media_ids=[media["id"]])
    assert status["media_attachments"][0]["id"] == media["id"]
    assert sandbox.requests_to("POST /api/v1/statuses")[0].fields["media_ids"] == [media["id"]]


def test_large_upload_is_202_then_206_until_processed(api: Mastodon, sandbox: MastodonSandbox) -> None:
    sandbox.media_processing(polls=2, seconds=60, large_over=100)
    media = api.media_post(PNG, mime_type="image/png")
    assert media["url"] is None
    with pytest.raises(MastodonAPIError) as early:
        api.status_post("too soon", media_ids=[media["id"]])
    assert early.value.args[1] == 422 and early.value.args[3] == NOT_PROCESSED
    assert api.media(media["id"])["url"] is None
    assert api.media(media["id"])["url"] is not None
    assert [r.status for r in sandbox.requests_to("GET /api/v1/media/:id")] == [206, 200]
    assert sandbox.requests_to("POST /api/v2/media")[0].status == 202
    api.media_update(media["id"], description="later alt")
    assert sandbox.media[media["id"]].description == "later alt"
    api.status_post("now", media_ids=[media["id"]])


def test_failed_processing_is_422(api: Mastodon, sandbox: MastodonSandbox) -> None:
    sandbox.media_processing(fails=True, large_over=100)
    media = api.media_post(PNG, mime_type="image/png")
    with pytest.raises(MastodonAPIError) as failed:
        api.media(media["id"])
    assert failed.value.args[1] == 422 and "Error processing" in failed.value.args[3]


def test_instance_v2_and_v1_carry_the_limits(api: Mastodon, sandbox: MastodonSandbox) -> None:
    sandbox.set_limits(max_characters=1000)
    v2 = api.instance_v2()
    assert v2["configuration"]["statuses"]["max_characters"] == 1000
    assert v2["configuration"]["statuses"]["characters_reserved_per_url"] == 23
    assert v2["configuration"]["media_attachments"]["image_size_limit"] == 16 * 1024 * 1024
    assert api.instance_v1()["configuration"]["statuses"]["max_characters"] == 1000
    assert {r.path for r in sandbox.requests} == {"/api/v2/instance/", "/api/v1/instance/"}  # Mastodon.py's slash


def test_rate_limit_headers_and_a_429(api: Mastodon, sandbox: MastodonSandbox) -> None:
    api.status_post("counted")
    assert api.ratelimit_limit == 300 and api.ratelimit_remaining == 299
    sandbox.fail("POST /api/v1/statuses", 429, reset_in=90)
    with pytest.raises(MastodonRatelimitError):
        api.status_post("limited")  # the exception carries no answer: Mastodon.py keeps only the reset, shared
    assert api.ratelimit_reset == pytest.approx(datetime.now(UTC).timestamp() + 90, abs=3)


def test_drop_after_create_then_same_key_is_one_status(api: Mastodon, sandbox: MastodonSandbox) -> None:
    sandbox.drop("POST /api/v1/statuses", record_anyway=True)
    with pytest.raises(MastodonNetworkError):
        api.status_post("lost answer", idempotency_key="lost")
    assert len(sandbox.live_statuses()) == 1
    again = api.status_post("lost answer", idempotency_key="lost")
    assert [s.id for s in sandbox.live_statuses()] == [again["id"]]


def test_500_after_create_then_same_key_is_one_status(api: Mastodon, sandbox: MastodonSandbox) -> None:
    sandbox.fail("POST /api/v1/statuses", 500, record_anyway=True)
    with pytest.raises(MastodonInternalServerError):
        api.status_post("crashed", idempotency_key="c")
    again = api.status_post("crashed", idempotency_key="c")
    assert [s.id for s in sandbox.live_statuses()] == [again["id"]]


def test_hang_is_a_read_timeout(sandbox: MastodonSandbox) -> None:
    sandbox.hang("GET /api/v1/accounts/verify_credentials", seconds=2)
    impatient = Mastodon(access_token="token-test", api_base_url=sandbox.url, request_timeout=0.3)
    with pytest.raises(MastodonNetworkError) as timed_out:
        impatient.account_verify_credentials()
    assert "Read timed out" in str(timed_out.value)


def test_delete_answers_the_source_then_404(api: Mastodon, sandbox: MastodonSandbox) -> None:
    status = api.status_post("Delete me & soon")
    deleted = api.status_delete(status["id"])
    assert deleted["text"] == "Delete me & soon"
    with pytest.raises(MastodonNotFoundError):
        api.status_delete(status["id"])
    with pytest.raises(MastodonNotFoundError):
        api.status(status["id"])


def test_account_statuses_page_newest_first_with_link_headers(api: Mastodon, sandbox: MastodonSandbox) -> None:
    made = [api.status_post(f"post {n}")["id"] for n in range(45)]
    me = api.account_verify_credentials()
    first = api.account_statuses(me["id"], limit=40)
    assert [s["id"] for s in first] == made[::-1][:40]
    second = api.fetch_next(first)
    assert [s["id"] for s in second] == made[::-1][40:]
