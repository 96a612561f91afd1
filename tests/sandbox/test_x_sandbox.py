"""The X stand-in against an unpatched tweepy.Client whose session points at the sandbox."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import tweepy

from bot.sandbox import XSandbox

TWITTER = "https://api.twitter.com"


class RewritingSession(requests.Session):
    """Sends tweepy's hard-coded https://api.twitter.com requests to the sandbox (the app has its own)."""

    def __init__(self, base_url: str, timeout: float | None = None) -> None:
        super().__init__()
        self.base_url, self.timeout = base_url, timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if isinstance(url, str) and url.startswith(TWITTER):
            url = self.base_url + url[len(TWITTER) :]
        if self.timeout is not None:
            kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


@pytest.fixture(scope="module")
def server() -> Iterator[XSandbox]:
    with XSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def x(server: XSandbox) -> XSandbox:
    if not server.is_up:
        server.come_up()
    server.reset()
    return server


def make_client(x: XSandbox, consumer_key: str = "ck-test", timeout: float | None = 5.0) -> tweepy.Client:
    client = tweepy.Client(
        consumer_key=consumer_key, consumer_secret="cs", access_token="at", access_token_secret="ats"
    )
    client.session = RewritingSession(x.url, timeout)
    return client


@pytest.fixture
def client(x: XSandbox) -> tweepy.Client:
    return make_client(x)


def test_create_tweet_returns_201_data(client: tweepy.Client, x: XSandbox) -> None:
    response = client.create_tweet(text="Fresh beans are in.")
    post = x.wait_for_posts(1)[0]
    assert response.data == {"id": post.id, "text": "Fresh beans are in.", "edit_history_tweet_ids": [post.id]}
    assert x.requests[0].json == {"text": "Fresh beans are in."}
    assert x.requests[0].status == 201
    assert x.link_of(0) == f"https://x.com/acmecoffee/status/{post.id}"
    second = client.create_tweet(text="More beans.").data["id"]
    assert int(second) > int(post.id)


def test_duplicate_is_forbidden(client: tweepy.Client) -> None:
    client.create_tweet(text="Same words")
    with pytest.raises(tweepy.Forbidden) as error:
        client.create_tweet(text="Same words")
    assert error.value.api_messages == ["You are not allowed to create a Tweet with duplicate content."]


def test_length_and_empty_text_are_bad_requests(client: tweepy.Client, x: XSandbox) -> None:
    client.create_tweet(text="a" * 280)
    with pytest.raises(tweepy.BadRequest) as too_long:
        client.create_tweet(text="b" * 281)
    assert "too long" in too_long.value.api_messages[0]
    with pytest.raises(tweepy.BadRequest):
        client.create_tweet(text="中" * 141)  # CJK weighs 2
    with pytest.raises(tweepy.BadRequest):
        client.create_tweet(text="")
    assert len(x.posts) == 1


def test_rate_limit_carries_reset_headers(client: tweepy.Client, x: XSandbox) -> None:
    x.fail(status=429, reset_in=60)
    with pytest.raises(tweepy.TooManyRequests) as error:
        client.create_tweet(text="soon")
    headers = error.value.response.headers
    assert headers["x-rate-limit-remaining"] == "0"
    assert int(headers["x-rate-limit-reset"]) >= int(time.time()) + 58
    assert error.value.reset_time == int(headers["x-rate-limit-reset"])
    assert x.posts == []
    x.fail(status=429, daily="user")
    with pytest.raises(tweepy.TooManyRequests) as daily:
        client.create_tweet(text="soon")
    assert daily.value.response.headers["x-user-limit-24hour-remaining"] == "0"
    assert "x-user-limit-24hour-reset" in daily.value.response.headers
    assert client.create_tweet(text="soon").data["text"] == "soon"


def test_server_errors_and_credits(client: tweepy.Client, x: XSandbox) -> None:
    x.fail(status=500)
    with pytest.raises(tweepy.TwitterServerError):
        client.create_tweet(text="one")
    x.fail(status=402)
    with pytest.raises(tweepy.HTTPException) as credits:
        client.create_tweet(text="one")
    assert type(credits.value) is tweepy.HTTPException
    assert credits.value.response.status_code == 402
    assert "credits" in credits.value.api_messages[0]
    x.fail(status=503, record_anyway=True)
    with pytest.raises(tweepy.TwitterServerError):
        client.create_tweet(text="lost answer")
    assert [p.text for p in x.posts] == ["lost answer"]


def test_hang_times_out_but_the_post_exists(x: XSandbox) -> None:
    client = make_client(x, timeout=0.2)
    x.hang(seconds=2.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.create_tweet(text="slow")
    assert [p.text for p in x.wait_for_posts(1)] == ["slow"]


def test_drop_closes_without_answer(client: tweepy.Client, x: XSandbox) -> None:
    x.drop()
    with pytest.raises(requests.exceptions.ConnectionError):
        client.create_tweet(text="dropped but posted")
    x.drop(record_anyway=False)
    with pytest.raises(requests.exceptions.ConnectionError):
        client.create_tweet(text="dropped and lost")
    assert [p.text for p in x.posts] == ["dropped but posted"]
    assert x.requests[0].status is None


def test_reads(client: tweepy.Client, x: XSandbox) -> None:
    me = client.get_me(user_auth=True).data
    assert (me.id, me.username) == (1500000000000000001, "acmecoffee")
    ids = [client.create_tweet(text=f"post {i}").data["id"] for i in range(3)]
    timeline = client.get_users_tweets(me.id, user_auth=True, max_results=5, tweet_fields=["created_at"])
    assert [t.id for t in timeline.data] == [int(i) for i in reversed(ids)]
    assert timeline.data[0].created_at is not None
    assert timeline.meta == {"result_count": 3, "newest_id": ids[-1], "oldest_id": ids[0]}
    x.set_metrics(ids[0], like_count=3, impression_count=120)
    tweet = client.get_tweet(ids[0], tweet_fields=["public_metrics"], user_auth=True).data
    assert tweet.public_metrics["like_count"] == 3 and tweet.public_metrics["impression_count"] == 120
    missing = client.get_tweet("1", user_auth=True)
    assert missing.data is None and missing.errors[0]["title"] == "Not Found Error"
    assert client.delete_tweet(ids[0]).data == {"deleted": True}
    assert client.get_tweet(ids[0], user_auth=True).data is None
    assert client.create_tweet(text="post 0").data["text"] == "post 0"  # no longer a duplicate


def test_empty_timeline_and_bearer_only(client: tweepy.Client, x: XSandbox) -> None:
    assert client.get_users_tweets(x.user_id, user_auth=True).meta == {"result_count": 0}
    with pytest.raises(tweepy.Unauthorized):
        client.get_tweet("1")  # bearer token "None": X answers 401


def test_thread_via_replies(client: tweepy.Client, x: XSandbox) -> None:
    root = client.create_tweet(text="1/3").data["id"]
    middle = client.create_tweet(text="2/3", in_reply_to_tweet_id=root).data["id"]
    client.create_tweet(text="3/3", in_reply_to_tweet_id=middle)
    assert [p.text for p in x.thread_of(root)] == ["1/3", "2/3", "3/3"]
    assert x.posts[1].in_reply_to == root
    with pytest.raises(tweepy.BadRequest):
        client.create_tweet(text="orphan", in_reply_to_tweet_id="42")


def test_wrong_consumer_key_is_unauthorized(x: XSandbox) -> None:
    with pytest.raises(tweepy.Unauthorized) as error:
        make_client(x, consumer_key="ck-wrong").create_tweet(text="nope")
    assert error.value.api_messages == ["Unauthorized"]
    assert x.posts == []


def test_unknown_route_is_404(x: XSandbox) -> None:
    response = requests.get(x.url + "/2/spaces", timeout=5)
    assert response.status_code == 404 and response.json()["status"] == 404


def test_go_down_and_come_up(client: tweepy.Client, x: XSandbox) -> None:
    url = x.url
    x.go_down()
    with pytest.raises(requests.exceptions.ConnectionError):
        client.create_tweet(text="while down")
    x.come_up()
    assert x.url == url
    assert client.create_tweet(text="while up").data["text"] == "while up"


def test_wait_for_posts_times_out_with_context(x: XSandbox) -> None:
    with pytest.raises(TimeoutError, match="wanted 1 posts, have 0"):
        x.wait_for_posts(1, timeout=0.05)


def test_links_come_back_as_tco_and_entities_escaped(client: tweepy.Client, x: XSandbox) -> None:
    """X links what twitter-text finds, bare domains too, and hands the text back with t.co links, &<> escaped."""
    sent = "Beans & more <3 at northwind.coffee, menu: https://northwind.coffee/menu?a=1&b=2 (new)"
    created = client.create_tweet(text=sent).data
    tco = re.compile(r"https://t\.co/[A-Za-z0-9]{10}")
    assert tco.sub("<t.co>", created["text"]) == "Beans &amp; more &lt;3 at <t.co>, menu: <t.co> (new)"
    timeline = client.get_users_tweets(x.user_id, user_auth=True).data
    assert [t.text for t in timeline] == [created["text"]]
    [looked_up] = client.get_tweets(ids=[created["id"]], user_auth=True).data
    assert looked_up.text == created["text"]
    assert x.posts[0].text == sent  # what crossed the wire, as sent
    assert len(set(tco.findall(created["text"]))) == 2


def test_the_timeline_can_lag_behind_the_post(client: tweepy.Client, x: XSandbox) -> None:
    x.lag_timeline(0.5)
    post_id = client.create_tweet(text="not on the timeline yet").data["id"]
    assert client.get_users_tweets(x.user_id, user_auth=True).meta == {"result_count": 0}
    assert client.get_tweet(post_id, user_auth=True).data is not None  # a lookup by id sees it at once
    time.sleep(0.6)
    assert [str(t.id) for t in client.get_users_tweets(x.user_id, user_auth=True).data] == [post_id]
