"""MastodonAccount end to end: Mastodon.py, unpatched, over loopback against the stand-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from mastodon import MastodonAPIError, MastodonNetworkError

from bot.networks.base import Account, Network, Verdict
from bot.networks.mastodon.account import MastodonAccount
from bot.networks.mastodon.errors import MediaNotReady
from bot.networks.mastodon.sandbox import MastodonSandbox

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 500


def test_it_is_an_account(account: MastodonAccount) -> None:
    typed: Account = account
    assert typed.network is Network.MASTODON
    assert account.new_key() != account.new_key() and len(account.new_key()) >= 32


def test_post_and_thread_via_in_reply_to_id(account: MastodonAccount, sandbox: MastodonSandbox) -> None:
    first = account.post("1/2 Fresh beans.", key=account.new_key())
    second = account.post("2/2 Come by.", key=account.new_key(), reply_to=first.id)
    assert first.link == sandbox.link_of(first.id)
    assert [(s.id, s.text, s.in_reply_to_id) for s in sandbox.live_statuses()] == [
        (first.id, "1/2 Fresh beans.", None),
        (second.id, "2/2 Come by.", first.id),
    ]
    assert [r.headers["idempotency-key"] for r in sandbox.requests_to("POST /api/v1/statuses")] == [
        s.idempotency_key for s in sandbox.live_statuses()
    ]


def test_no_call_is_spent_on_version_checks(account: MastodonAccount, sandbox: MastodonSandbox) -> None:
    media = account.upload_media(PNG, "image/png", "alt")
    account.post("one", key=account.new_key(), media=[media])
    account.post("two", key=account.new_key())
    assert [r.route for r in sandbox.requests] == [
        "POST /api/v2/media",
        "POST /api/v1/statuses",
        "POST /api/v1/statuses",
    ]


def test_image_with_alt_text(account: MastodonAccount, sandbox: MastodonSandbox) -> None:
    media_id = account.upload_media(PNG, "image/png", "A cup of coffee on a wooden table")
    posted = account.post("Look.", key=account.new_key(), media=[media_id])
    assert sandbox.media[media_id].description == "A cup of coffee on a wooden table"
    assert sandbox.media[media_id].status_id == posted.id
    assert sandbox.live_statuses()[0].media_ids == [media_id]


def test_a_large_image_is_waited_for_until_processed(account: MastodonAccount, sandbox: MastodonSandbox) -> None:
    sandbox.media_processing(polls=3, seconds=60, large_over=100)
    media_id = account.upload_media(PNG, "image/png", "alt")
    assert sandbox.requests_to("POST /api/v2/media")[0].status == 202
    assert [r.status for r in sandbox.requests_to("GET /api/v1/media/:id")] == [206, 206, 200]
    account.post("now it attaches", key=account.new_key(), media=[media_id])
    assert sandbox.live_statuses()[0].media_ids == [media_id]


def test_an_image_never_processed_in_time_is_media_not_ready(sandbox: MastodonSandbox) -> None:
    sandbox.media_processing(polls=10_000, seconds=600, large_over=100)
    hasty = MastodonAccount(sandbox.url, "token-test", poll_interval=0.02, media_wait=0.2)
    with pytest.raises(MediaNotReady) as waiting:
        hasty.upload_media(PNG, "image/png", None)
    assert hasty.diagnose(waiting.value).verdict is Verdict.RETRY


def test_the_limit_is_read_from_the_instance_once(sandbox: MastodonSandbox) -> None:
    text = "x" * 600
    sandbox.set_limits(max_characters=500)
    small = MastodonAccount(sandbox.url, "token-test")
    assert (small.rules().limit, small.rules().count(text)) == (500, 600)
    with pytest.raises(MastodonAPIError) as refused:
        small.post(text, key=small.new_key())
    diagnosis = small.diagnose(refused.value)
    assert diagnosis.verdict is Verdict.FAILED
    assert "Text character limit of 500 exceeded" in diagnosis.reason
    sandbox.set_limits(max_characters=1000)
    large = MastodonAccount(sandbox.url, "token-test")
    assert large.rules().limit == 1000 and small.rules().limit == 500  # kept, not read again
    large.post(text, key=large.new_key())
    assert [len(s.text) for s in sandbox.live_statuses()] == [600]
    assert len(sandbox.requests_to("GET /api/v2/instance")) == 2  # one per account


def test_old_instances_are_read_from_v1(account: MastodonAccount, sandbox: MastodonSandbox) -> None:
    sandbox.has_v2_instance = False
    sandbox.set_limits(max_characters=777)
    assert account.rules().limit == 777
    assert [r.route for r in sandbox.requests] == ["GET /api/v2/instance", "GET /api/v1/instance"]


def test_an_unreachable_instance_counts_as_stock_and_tries_again(sandbox: MastodonSandbox) -> None:
    sandbox.set_limits(max_characters=1000)
    account = MastodonAccount(sandbox.url, "token-test")
    sandbox.go_down()
    assert account.rules().limit == 500
    sandbox.come_up()
    assert account.rules().limit == 1000


def test_urls_count_as_23_and_that_is_what_the_server_counts(
    account: MastodonAccount, sandbox: MastodonSandbox
) -> None:
    url = "https://example.com/" + "beans/" * 30  # 200 characters
    text = "y" * 470 + " " + url  # 671 characters, 470 + 1 + 23 = 494 counted
    assert account.rules().count(text) == 494
    account.post(text, key=account.new_key())
    assert sandbox.live_statuses()[0].text == text


def test_a_remote_mention_counts_as_its_local_part(account: MastodonAccount, sandbox: MastodonSandbox) -> None:
    text = "z" * 495 + " @bob@mastodon.social"  # 495 + 1 + len("@bob") = 500
    assert account.rules().count(text) == 500
    account.post(text, key=account.new_key())
    with pytest.raises(MastodonAPIError):
        account.post(text + "!", key=account.new_key())
    assert len(sandbox.live_statuses()) == 1


def test_drop_after_create_then_retry_with_the_same_key_is_one_status(
    account: MastodonAccount, sandbox: MastodonSandbox
) -> None:
    key = account.new_key()
    sandbox.drop("POST /api/v1/statuses", record_anyway=True)
    with pytest.raises(MastodonNetworkError) as lost:
        account.post("Lost answer.", key=key)
    diagnosis = account.diagnose(lost.value)
    assert diagnosis.verdict is Verdict.RETRY and "same Idempotency-Key" in diagnosis.reason
    again = account.post("Lost answer.", key=key)
    assert [s.id for s in sandbox.live_statuses()] == [again.id]
    assert len(sandbox.requests_to("POST /api/v1/statuses")) == 2


def test_500_after_create_then_retry_with_the_same_key_is_one_status(
    account: MastodonAccount, sandbox: MastodonSandbox
) -> None:
    key = account.new_key()
    sandbox.fail("POST /api/v1/statuses", 500, record_anyway=True)
    with pytest.raises(MastodonAPIError) as crashed:
        account.post("Crashed after.", key=key)
    assert account.diagnose(crashed.value).verdict is Verdict.RETRY
    again = account.post("Crashed after.", key=key)
    assert [s.id for s in sandbox.live_statuses()] == [again.id]


def test_delete_twice(account: MastodonAccount, sandbox: MastodonSandbox) -> None:
    posted = account.post("Here briefly.", key=account.new_key())
    assert account.delete(posted.id) is True
    assert account.delete(posted.id) is False
    assert sandbox.live_statuses() == []


def test_metrics_per_status(account: MastodonAccount, sandbox: MastodonSandbox) -> None:
    one = account.post("One", key=account.new_key())
    two = account.post("Two", key=account.new_key())
    sandbox.set_counts(one.id, favourites_count=5, reblogs_count=2, replies_count=1)
    account.delete(two.id)
    assert account.metrics([one.id, two.id]) == {one.id: {"like_count": 5, "retweet_count": 2, "reply_count": 1}}
    sandbox.go_down()
    assert account.metrics([one.id]) is None


def test_find_reads_html_content_with_a_link_and_an_ampersand(
    account: MastodonAccount, sandbox: MastodonSandbox
) -> None:
    since = datetime.now(UTC)
    text = "Beans & cream <3\nsee https://www.example.com/a/very/long/path/to/the/beans?x=1&y=2 — @bob@mastodon.social"
    posted = account.post(text, key=account.new_key())
    account.post("Something else", key=account.new_key())
    content = account.api.status(posted.id)["content"]
    assert "Beans &amp; cream &lt;3<br />" in content and '<span class="invisible">' in content
    assert account.find("any", text, since) == posted.id
    assert account.find("any", "Beans & cream <3", since) is False


def test_find_pages_back_to_since(account: MastodonAccount, sandbox: MastodonSandbox) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    target = account.post("The one we look for", key=account.new_key())
    for n in range(45):
        account.post(f"later {n}", key=account.new_key())
    assert account.find("any", "The one we look for", since) == target.id
    assert len(sandbox.requests_to("GET /api/v1/accounts/:id/statuses")) == 2


def test_find_says_none_when_the_instance_cannot_say(account: MastodonAccount, sandbox: MastodonSandbox) -> None:
    sandbox.fail("GET /api/v1/accounts/:id/statuses", 503)
    assert account.find("any", "text", datetime.now(UTC)) is None


def test_link_is_the_status_url(account: MastodonAccount, sandbox: MastodonSandbox) -> None:
    posted = account.post("Linked", key=account.new_key())
    fresh = MastodonAccount(sandbox.url, "token-test")
    assert account.link(posted.id) == fresh.link(posted.id) == sandbox.link_of(posted.id)


def test_check_passes_with_a_good_token(account: MastodonAccount, sandbox: MastodonSandbox) -> None:
    checks = account.check()
    assert [c.ok for c in checks] == [True, True, True, True], checks
    assert "@acmecoffee" in checks[1].what
    assert sandbox.live_statuses() == []  # the scope probes posted nothing


def test_check_with_a_bad_token_names_the_fix(sandbox: MastodonSandbox) -> None:
    account = MastodonAccount(sandbox.url, "revoked", token_env="ACME_MASTODON_TOKEN")
    instance, token = account.check()
    assert instance.ok and not token.ok
    assert "ACME_MASTODON_TOKEN" in token.fix and "access token" in token.fix


def test_check_names_a_missing_scope(sandbox: MastodonSandbox) -> None:
    sandbox.add_token("no-media", {"read", "write:statuses"})
    checks = MastodonAccount(sandbox.url, "no-media", token_env="ACME_MASTODON_TOKEN").check()
    assert [(c.ok, "write:media" in c.what) for c in checks[2:]] == [(True, False), (False, True)]
    assert "ACME_MASTODON_TOKEN" in checks[3].fix


def test_check_when_the_instance_is_down(sandbox: MastodonSandbox) -> None:
    account = MastodonAccount(sandbox.url, "token-test")
    sandbox.go_down()
    instance, token = account.check()
    assert not instance.ok and "could not connect" in instance.fix
    assert not token.ok


# -- a status's link, as an approver copies it (Mark as published on a thread's part) -------------------------------


def test_a_status_link_on_the_accounts_instance_gives_its_id(
    account: MastodonAccount, sandbox: MastodonSandbox
) -> None:
    posted = account.post("Fresh beans.", key=account.new_key())
    assert account.post_id_from_link(sandbox.link_of(posted.id)) == posted.id
    assert account.post_id_from_link(f" <{sandbox.link_of(posted.id)}> ") == posted.id
    uri = f"https://{sandbox.domain}/users/{sandbox.username}/statuses/{posted.id}"
    assert account.post_id_from_link(uri) == posted.id
    assert account.post_id_from_link(f"{sandbox.url}/@{sandbox.username}/{posted.id}") == posted.id  # the API's host


@pytest.mark.parametrize(
    "link",
    [
        "",
        "it's there",
        "https://social.example.com/@acmecoffee",
        "https://social.example.com/@acmecoffee/",
        "https://social.example.com/@acmecoffee/12ab",
        "https://x.com/acmecoffee/status/123",
        "https://social.example.com/@acmecoffee/123 and more",
    ],
)
def test_anything_but_a_status_link_is_none(account: MastodonAccount, link: str) -> None:
    assert account.post_id_from_link(link) is None


def test_a_link_to_another_account_or_through_another_instance_is_none(
    account: MastodonAccount, sandbox: MastodonSandbox
) -> None:
    """Another instance shows our status under its own id (`/@acmecoffee@social.example.com/<its id>`); another
    account's status can't be a part of our thread."""
    assert account.post_id_from_link("https://social.example.com/@someoneelse/109000000000000002") is None
    assert account.post_id_from_link("https://mastodon.online/@acmecoffee/109000000000000002") is None
    assert account.post_id_from_link("https://mastodon.online/@acmecoffee@social.example.com/1090000") is None
