"""The Slack stand-in says what real Slack says (issue 9, case 11): reading back, resets, Grid, ephemerals."""

from __future__ import annotations

from collections.abc import Iterator
from http.client import RemoteDisconnected
from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import SlackSandbox
from bot.slack.retry import SafeConnectionErrorRetryHandler

METADATA = {"event_type": "countersign_card", "event_payload": {"draft_id": 1, "approver": "U0OWNER"}}


@pytest.fixture(scope="module")
def server() -> Iterator[SlackSandbox]:
    with SlackSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def slack(server: SlackSandbox) -> SlackSandbox:
    server.reset()
    server.enterprise_id = None
    return server


@pytest.fixture
def client(slack: SlackSandbox) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.url, retry_handlers=[])


def test_history_is_newest_first_top_level_only_and_metadata_on_request(client: WebClient) -> None:
    first = client.chat_postMessage(channel="U0OWNER", text="one", metadata=METADATA)
    client.chat_postMessage(channel="U0OWNER", text="reply", thread_ts=first["ts"])
    second = client.chat_postMessage(channel="U0OWNER", text="two")
    channel = client.conversations_open(users="U0OWNER")["channel"]["id"]
    plain = client.conversations_history(channel=channel)["messages"]
    assert [m["text"] for m in plain] == ["two", "one"] and "metadata" not in plain[1]
    full = client.conversations_history(channel=channel, include_all_metadata=True, limit=1)
    assert [m["ts"] for m in full["messages"]] == [second["ts"]] and full["has_more"] is True
    older = client.conversations_history(channel=channel, include_all_metadata=True)["messages"][1]
    assert older["metadata"] == METADATA and older["user"] == "U0BOT"


def test_replies_are_the_parent_then_its_replies_oldest_first(client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C0DRAFTS", text="parent")
    for text in ("a", "b"):
        client.chat_postMessage(channel="C0DRAFTS", text=text, thread_ts=parent["ts"])
    replies = client.conversations_replies(channel="C0DRAFTS", ts=parent["ts"])["messages"]
    assert [m["text"] for m in replies] == ["parent", "a", "b"]
    with pytest.raises(SlackApiError) as missing:
        client.conversations_replies(channel="C0DRAFTS", ts="1.000001")
    assert missing.value.response["error"] == "thread_not_found"


def test_a_user_id_is_no_conversation_to_read_or_to_post_an_ephemeral_in(client: WebClient) -> None:
    for call in (
        lambda: client.conversations_history(channel="U0OWNER"),
        lambda: client.chat_postEphemeral(channel="U0OWNER", user="U0OWNER", text="psst"),
    ):
        with pytest.raises(SlackApiError) as refused:
            call()
        assert refused.value.response["error"] == "channel_not_found"


def test_a_reset_after_the_post_keeps_the_message_and_loses_the_answer(slack: SlackSandbox, client: WebClient) -> None:
    slack.reset_after("chat.postMessage")
    with pytest.raises((URLError, RemoteDisconnected, ConnectionResetError)):
        client.chat_postMessage(channel="C0DRAFTS", text="did it go?")
    assert [m.text for m in slack.messages("C0DRAFTS")] == ["did it go?"]
    assert client.chat_postMessage(channel="C0DRAFTS", text="next")["ok"]  # one use only


def test_the_apps_retry_handler_does_not_post_twice_after_a_reset(slack: SlackSandbox) -> None:
    client = WebClient(
        token="xoxb-test", base_url=slack.url, retry_handlers=[SafeConnectionErrorRetryHandler(max_retry_count=2)]
    )
    slack.reset_after("chat.postMessage")
    with pytest.raises((URLError, RemoteDisconnected, ConnectionResetError)):
        client.chat_postMessage(channel="C0DRAFTS", text="once")
    assert len(slack.messages("C0DRAFTS")) == 1 and len(slack.calls_to("chat.postMessage")) == 1


def test_grid_ids_in_auth_test_and_users_info(slack: SlackSandbox, client: WebClient) -> None:
    assert "enterprise_id" not in client.auth_test().data
    slack.enterprise_id = "E0ACME"
    slack.add_user("U0OWNER", "olivia")
    slack.add_user("W0SISTER", "sam", team_id="T0SISTER", enterprise_id="E0ACME")
    slack.add_user("U0GUEST", "gus", team_id="T0OTHER")
    auth = client.auth_test()
    assert auth["enterprise_id"] == "E0ACME" and auth["is_enterprise_install"] is False
    assert client.users_info(user="U0OWNER")["user"]["enterprise_user"]["enterprise_id"] == "E0ACME"
    sister = client.users_info(user="W0SISTER")["user"]
    assert sister["team_id"] == "T0SISTER" and sister["enterprise_user"]["enterprise_id"] == "E0ACME"
    assert "enterprise_user" not in client.users_info(user="U0GUEST")["user"]
