"""`DELETE /2/tweets/:id` as the X stand-in answers it, read by the app's own client (tweepy unpatched)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import tweepy

from bot.networks.x.client import DeleteStopped, NotDeleted, XAccount
from bot.sandbox import XSandbox
from bot.sandbox.slack_blocks import block_errors

DELETE = "DELETE /2/tweets/:id"


@pytest.fixture(scope="module")
def server() -> Iterator[XSandbox]:
    with XSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def x(server: XSandbox) -> XSandbox:
    server.reset()
    return server


@pytest.fixture
def account(x: XSandbox) -> XAccount:
    return XAccount(api_key=x.consumer_key, api_secret="s", access_token="t", access_token_secret="ts", base_url=x.url)


def test_a_live_post_is_deleted_and_leaves_the_timeline_and_lookups(x: XSandbox, account: XAccount) -> None:
    kept, gone = account.post("kept").id, account.post("gone").id
    assert account.delete(gone) is True
    assert x.requests[-1].status == 200 and x.delete_requests() == [gone]
    assert [p.id for p in x.live_posts()] == [kept]
    assert account.client.get_tweet(gone, user_auth=True).data is None
    assert [post_id for post_id, _ in account.recent_posts(x.posts[0].created_at) or []] == [kept]


@pytest.mark.parametrize("answer", ["deleted_false", "not_found"])
def test_a_post_already_gone_reads_as_gone_whichever_way_x_says_it(x: XSandbox, account: XAccount, answer: str) -> None:
    x.answer_gone_with(answer)
    post = account.post("soon gone").id
    x.drop_post(post)  # deleted on x.com
    assert account.delete(post) is False
    assert x.requests[-1 if answer == "not_found" else -2].status == (404 if answer == "not_found" else 200)


def test_the_404_is_xs_problem_body(x: XSandbox, account: XAccount) -> None:
    x.answer_gone_with("not_found")
    with pytest.raises(tweepy.NotFound) as found:
        account.client.delete_tweet("1990000000000000001", user_auth=True)
    assert "Could not find tweet with id" in found.value.response.json()["detail"]


def test_deleted_false_for_a_post_x_still_has_is_not_taken_as_gone(x: XSandbox, account: XAccount) -> None:
    post = account.post("stubborn").id
    x.fail(DELETE, status=200, body={"data": {"deleted": False}})
    with pytest.raises(DeleteStopped) as stuck:
        account.delete(post)
    assert isinstance(stuck.value.__cause__, NotDeleted)
    assert str(stuck.value) == "X answered that it did not delete the post"


def test_errors_reach_the_caller_said_plainly_with_tweepys_as_the_cause(x: XSandbox, account: XAccount) -> None:
    post = account.post("errors").id
    x.fail(DELETE, status=500)
    with pytest.raises(DeleteStopped) as server_error:
        account.delete(post)
    assert isinstance(server_error.value.__cause__, tweepy.TwitterServerError)
    assert str(server_error.value) == "X answered 500"
    x.fail(DELETE, status=429, reset_in=900)
    with pytest.raises(DeleteStopped) as limited:
        account.delete(post)
    assert isinstance(limited.value.__cause__, tweepy.TooManyRequests)
    assert limited.value.__cause__.response.headers["x-rate-limit-remaining"] == "0"
    assert str(limited.value).startswith("X's limit on deletions was reached (429): Retry after ")
    forbidden = {"title": "Forbidden", "detail": "You are not allowed to delete this Tweet.", "type": "about:blank"}
    x.fail(DELETE, status=403, body=forbidden)
    with pytest.raises(DeleteStopped) as refused:
        account.delete(post)
    assert isinstance(refused.value.__cause__, tweepy.Forbidden)
    assert str(refused.value) == "X refused to delete it (403): You are not allowed to delete this Tweet."
    x.fail(DELETE, status=401)
    with pytest.raises(DeleteStopped) as keys:
        account.delete(post)
    assert isinstance(keys.value.__cause__, tweepy.Unauthorized)
    assert str(keys.value) == "X refused the keys (401): check the X keys in the settings"
    assert account.delete(post) is True  # the faults are spent: the post goes


def test_a_bad_id_is_a_400(x: XSandbox, account: XAccount) -> None:
    with pytest.raises(tweepy.BadRequest):
        account.client.delete_tweet("abc", user_auth=True)


def test_the_slack_stand_in_holds_confirmation_dialogs_to_slacks_limits() -> None:
    good = {
        "title": {"type": "plain_text", "text": "Delete from X?"},
        "text": {"type": "plain_text", "text": "Sure?"},
        "confirm": {"type": "plain_text", "text": "Delete"},
        "deny": {"type": "plain_text", "text": "Keep it"},
        "style": "danger",
    }
    bad = good | {"title": {"type": "mrkdwn", "text": "*Delete*"}, "deny": {"type": "plain_text", "text": "n" * 31}}
    bad |= {"style": "red"}

    def card(confirm: dict) -> list[dict]:
        button = {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "Go"}, "confirm": confirm}
        return [{"type": "actions", "elements": [button]}]

    assert block_errors(card(good)) == []
    errors = block_errors(card(bad))
    assert len(errors) == 3 and any("confirm/title" in e for e in errors) and any("confirm/style" in e for e in errors)
