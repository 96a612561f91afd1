"""The Slack stand-in against the real slack_sdk clients (WebClient, builtin SocketModeClient)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from urllib.error import URLError

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.webhook import WebhookClient

from bot.sandbox import SlackDriver, SlackSandbox, find_button

BUTTONS = [
    {"type": "section", "block_id": "draft", "text": {"type": "mrkdwn", "text": "Fresh beans are in."}},
    {
        "type": "actions",
        "block_id": "decide",
        "elements": [
            {
                "type": "button",
                "action_id": "approve",
                "value": "d1",
                "style": "primary",
                "text": {"type": "plain_text", "text": "Approve"},
            },
            {"type": "button", "action_id": "reject", "value": "d1", "text": {"type": "plain_text", "text": "Reject"}},
        ],
    },
]
MODAL = {
    "type": "modal",
    "callback_id": "edit",
    "title": {"type": "plain_text", "text": "Edit draft"},
    "private_metadata": "d1",
    "blocks": [],
}


@pytest.fixture(scope="module")
def server() -> Iterator[SlackSandbox]:
    with SlackSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def slack(server: SlackSandbox) -> SlackSandbox:
    if not server.is_up:
        server.come_up()
    server.reset()
    return server


@pytest.fixture
def client(slack: SlackSandbox) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.url)


def test_auth_test_identifies_the_bot(client: WebClient) -> None:
    response = client.auth_test()
    assert response["user_id"] == "U0BOT"
    assert response["bot_id"] == "B0BOT"
    assert response["team_id"] == "T0ACME"
    assert response["is_enterprise_install"] is False


def test_post_to_a_user_lands_in_the_dm_and_is_recorded(client: WebClient, slack: SlackSandbox) -> None:
    first = client.chat_postMessage(channel="U0OWNER", text="Approve?", blocks=BUTTONS)
    second = client.chat_postMessage(channel="D0OWNER", text="reply", thread_ts=first["ts"])
    assert first["channel"] == "D0OWNER"
    assert first["message"]["bot_id"] == "B0BOT" and first["message"]["user"] == "U0BOT"
    assert second["ts"] > first["ts"]
    assert second["message"]["thread_ts"] == first["ts"]
    assert [m.ts for m in slack.messages("D0OWNER")] == [first["ts"], second["ts"]]
    assert [m.text for m in slack.thread("D0OWNER", first["ts"])] == ["reply"]
    call = slack.calls_to("chat.postMessage")[0]
    assert call.args["channel"] == "U0OWNER" and call.headers["authorization"] == "Bearer xoxb-test"


def test_update_replaces_content_and_keeps_history(client: WebClient, slack: SlackSandbox) -> None:
    posted = client.chat_postMessage(channel="U0OWNER", text="v1", blocks=BUTTONS)
    updated = client.chat_update(channel=posted["channel"], ts=posted["ts"], text="v2", blocks=[])
    assert updated["text"] == "v2" and updated["ts"] == posted["ts"]
    message = slack.message("D0OWNER", posted["ts"])
    assert message is not None and message.text == "v2" and message.blocks == []
    assert [v.text for v in message.history] == ["v1"]
    client.chat_update(channel="D0OWNER", ts=posted["ts"], text="v3")  # blocks left out: kept
    assert slack.message("D0OWNER", posted["ts"]).text == "v3"


def test_update_errors(client: WebClient) -> None:
    posted = client.chat_postMessage(channel="U0OWNER", text="v1")
    with pytest.raises(SlackApiError) as missing:
        client.chat_update(channel="D0OWNER", ts="1.000000", text="x")
    assert missing.value.response["error"] == "message_not_found"
    with pytest.raises(SlackApiError) as user_id:
        client.chat_update(channel="U0OWNER", ts=posted["ts"], text="x")
    assert user_id.value.response["error"] == "channel_not_found"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
def test_post_without_text_or_blocks_and_invalid_blocks(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as no_text:
        client.chat_postMessage(channel="C0DRAFTS")
    assert no_text.value.response["error"] == "no_text"
    too_long = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    with pytest.raises(SlackApiError) as invalid:
        client.chat_postMessage(channel="C0DRAFTS", text="t", blocks=too_long)
    assert invalid.value.response["error"] == "invalid_blocks"
    assert "3001" in invalid.value.response["errors"][0]


def test_auth_failures(slack: SlackSandbox) -> None:
    with pytest.raises(SlackApiError) as wrong:
        WebClient(token="xoxb-wrong", base_url=slack.url).chat_postMessage(channel="C1", text="x")
    assert wrong.value.response["error"] == "invalid_auth"
    assert wrong.value.response.status_code == 200
    with pytest.raises(SlackApiError) as missing:
        WebClient(base_url=slack.url).auth_test()
    assert missing.value.response["error"] == "not_authed"
    with pytest.raises(SlackApiError) as app_token:
        WebClient(token="xapp-test", base_url=slack.url).auth_test()
    assert app_token.value.response["error"] == "not_allowed_token_type"


def test_ratelimited_surfaces_429_with_retry_after(client: WebClient, slack: SlackSandbox) -> None:
    slack.fail("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as error:
        client.chat_postMessage(channel="C0DRAFTS", text="x")
    assert error.value.response.status_code == 429
    assert error.value.response["error"] == "ratelimited"
    assert error.value.response.headers["Retry-After"] in ("7", ["7"])
    assert slack.messages() == []
    assert client.chat_postMessage(channel="C0DRAFTS", text="x")["ok"]


def test_retry_handler_waits_and_succeeds(slack: SlackSandbox) -> None:
    client = WebClient(token="xoxb-test", base_url=slack.url, retry_handlers=[RateLimitErrorRetryHandler()])
    slack.fail("chat.postMessage", retry_after=0)
    assert client.chat_postMessage(channel="C0DRAFTS", text="x")["ok"]
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 200]
    assert len(slack.messages()) == 1


def test_plain_error_fault_and_delay(client: WebClient, slack: SlackSandbox) -> None:
    posted = client.chat_postMessage(channel="C0DRAFTS", text="x")
    slack.fail("chat.update", error="message_not_found", status=200)
    with pytest.raises(SlackApiError) as error:
        client.chat_update(channel="C0DRAFTS", ts=posted["ts"], text="y")
    assert error.value.response["error"] == "message_not_found" and error.value.response.status_code == 200
    slack.delay("chat.update", 0.3)
    started = time.perf_counter()
    client.chat_update(channel="C0DRAFTS", ts=posted["ts"], text="y")
    assert time.perf_counter() - started >= 0.3


def test_views_trigger_ids_and_hashes(client: WebClient, slack: SlackSandbox) -> None:
    driver = SlackDriver("http://unused", "secret")
    trigger = driver.new_trigger_id()
    opened = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert opened["id"].startswith("V") and opened["hash"] and opened["callback_id"] == "edit"
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        client.views_open(trigger_id=trigger, view=MODAL)
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        client.views_open(trigger_id="expired.1.x", view=MODAL)
    stale = f"{int((time.time() - 4) * 1000)}.1.abc"
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        client.views_open(trigger_id=stale, view=MODAL)
    changed = {**MODAL, "private_metadata": "d2"}
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=changed)["view"]
    with pytest.raises(SlackApiError) as conflict:
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=changed)
    assert conflict.value.response["error"] == "hash_conflict"
    with pytest.raises(SlackApiError, match="not_found"):
        client.views_update(view_id="V0NOPE", view=changed)
    assert updated["hash"] != opened["hash"]
    assert [v.private_metadata for v in slack.views] == ["d2"]
    long_title = {**MODAL, "title": {"type": "plain_text", "text": "x" * 25}}
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_open(trigger_id=driver.new_trigger_id(), view=long_title)


def test_home_tab_publish(client: WebClient, slack: SlackSandbox) -> None:
    home = {"type": "home", "blocks": BUTTONS}
    first = client.views_publish(user_id="U0OWNER", view=home)["view"]
    second = client.views_publish(user_id="U0OWNER", view={"type": "home", "blocks": []})["view"]
    assert first["id"] == second["id"]
    view = slack.home("U0OWNER")
    assert view is not None and view.blocks == [] and len(view.history) == 1
    assert slack.home("U0OTHER") is None


def test_other_methods(client: WebClient, slack: SlackSandbox) -> None:
    slack.add_user("U0OWNER", "olivia", real_name="Olivia Owner", display_name="Olivia")
    slack.add_user("U0GUEST", "gus", team_id="T0OTHER")
    user = client.users_info(user="U0OWNER")["user"]
    assert user["profile"]["display_name"] == "Olivia" and user["real_name"] == "Olivia Owner"
    assert client.users_info(user="U0GUEST")["user"]["team_id"] == "T0OTHER"
    with pytest.raises(SlackApiError, match="user_not_found"):
        client.users_info(user="U0NOBODY")
    assert client.conversations_open(users="U0OWNER")["channel"]["id"] == "D0OWNER"
    ephemeral = client.chat_postEphemeral(channel="C0DRAFTS", user="U0WRITER", text="only you")
    assert slack.ephemerals("U0WRITER")[0].message_ts == ephemeral["message_ts"]
    posted = client.chat_postMessage(channel="C0DRAFTS", text="x")
    link = client.chat_getPermalink(channel="C0DRAFTS", message_ts=posted["ts"])["permalink"]
    assert link == f"https://acme.slack.com/archives/C0DRAFTS/p{posted['ts'].replace('.', '')}"
    with pytest.raises(SlackApiError, match="unknown_method"):
        client.api_call("chat.fly")


def test_form_and_get_bodies_are_decoded(client: WebClient, slack: SlackSandbox) -> None:
    client.api_call("chat.postMessage", params={"channel": "C1", "text": "t", "blocks": json.dumps(BUTTONS)})
    assert slack.calls_to("chat.postMessage")[0].args["blocks"] == BUTTONS
    answer = requests.get(
        slack.url + "users.info", params={"user": "U0BOT"}, headers={"Authorization": "Bearer xoxb-test"}, timeout=5
    ).json()
    assert answer["ok"] and answer["user"]["is_bot"]


def test_go_down_refuses_then_come_up_serves_the_same_url(slack: SlackSandbox) -> None:
    client = WebClient(token="xoxb-test", base_url=slack.url, retry_handlers=[])  # no 1 s reconnect backoff
    url = slack.url
    slack.go_down()
    with pytest.raises(URLError):
        client.auth_test()
    slack.come_up()
    assert slack.url == url
    assert client.auth_test()["ok"]


def test_wait_for_call_and_timeout_description(client: WebClient, slack: SlackSandbox) -> None:
    threading.Timer(0.05, lambda: client.chat_postMessage(channel="U0OWNER", text="later")).start()
    call = slack.wait_for_call("chat.postMessage", match=lambda c: c.args["text"] == "later")
    assert call.response is not None and call.response["channel"] == "D0OWNER"
    message = slack.wait_for(lambda s: next(iter(s.messages("D0OWNER")), None))
    assert message.text == "later"
    with pytest.raises(TimeoutError, match=r"chat.postMessage .*'later'"):
        slack.wait_for(lambda s: s.calls_to("chat.update"), timeout=0.1)


def test_find_button(client: WebClient, slack: SlackSandbox) -> None:
    client.chat_postMessage(channel="U0OWNER", text="Approve?", blocks=BUTTONS)
    message = slack.messages()[0]
    button = find_button(message, "Approve")
    assert button == {
        "action_id": "approve",
        "block_id": "decide",
        "value": "d1",
        "text": "Approve",
        "type": "button",
        "style": "primary",
    }
    with pytest.raises(LookupError, match=r"\['Approve', 'Reject'\]"):
        find_button(message.blocks, "Publish")


def test_response_url_is_recorded_and_limited(slack: SlackSandbox) -> None:
    url = SlackDriver("http://unused", "secret", response_url_base=slack.response_url_base).response_url()
    webhook = WebhookClient(url)
    statuses = [webhook.send(text=f"answer {i}").status_code for i in range(6)]
    assert statuses == [200] * 5 + [404]
    assert slack.calls_to("response_url")[0].args["text"] == "answer 0"


def test_socket_mode_with_the_builtin_client(slack: SlackSandbox) -> None:
    received: list[SocketModeRequest] = []

    def listener(client: SocketModeClient, request: SocketModeRequest) -> None:
        received.append(request)
        client.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload={"echo": request.type})
        )

    client = SocketModeClient(app_token="xapp-test", web_client=WebClient(token="xoxb-test", base_url=slack.url))
    client.socket_mode_request_listeners.append(listener)
    try:
        client.connect()
        slack.socket.wait_connected()
        assert slack.calls_to("apps.connections.open")[0].headers["authorization"] == "Bearer xapp-test"
        payload = SlackDriver("http://unused", "secret").envelope_for_event(
            {"type": "message", "channel": "C0DRAFTS", "user": "U0WRITER", "text": "hi", "ts": "1.000100"}
        )
        envelope_id = slack.socket.send("events_api", payload)
        ack = slack.socket.wait_ack(envelope_id)
        assert ack == {"envelope_id": envelope_id, "payload": {"echo": "events_api"}}
        assert received[0].payload["event"]["text"] == "hi"
        slack.socket.disconnect()
        slack.socket.wait_connected(total=2)
        second = slack.socket.send("slash_commands", {"command": "/countersign", "text": "status"})
        assert slack.socket.wait_ack(second)["envelope_id"] == second
        assert slack.socket.sent[-1]["accepts_response_payload"] is True
    finally:
        client.close()
