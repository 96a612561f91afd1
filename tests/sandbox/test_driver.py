"""SlackDriver: Slack's requests into the app, signed as Slack signs them, checked against slack_sdk and Bolt."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot.sandbox import SlackDriver, SlackSandbox
from bot.sandbox.http_base import Reply, Request, SandboxServer

SECRET = "shh-signing-secret"
BUTTONS = [
    {"type": "section", "block_id": "draft", "text": {"type": "mrkdwn", "text": "Fresh beans are in."}},
    {
        "type": "actions",
        "block_id": "decide",
        "elements": [
            {
                "type": "button",
                "action_id": "approve",
                "value": "draft-1",
                "text": {"type": "plain_text", "text": "Approve"},
            },
        ],
    },
]


class Recorder(SandboxServer):
    """Captures what the driver sends, answering 200 {}."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Request] = []

    def handle(self, request: Request) -> Reply:
        with self._lock:
            self.seen.append(request)
        return Reply.of_json({})

    @property
    def last(self) -> Request:
        return self.seen[-1]


class BoltOverHTTP(SandboxServer):
    """Serves a Bolt app on /slack/events, so the driver's bodies go through Bolt's real verification."""

    def __init__(self, app: App) -> None:
        super().__init__()
        self.app = app

    def handle(self, request: Request) -> Reply:
        answer = self.app.dispatch(
            BoltRequest(body=request.body.decode(), query=request.query, headers=request.headers)
        )
        headers = {k: v[0] for k, v in answer.headers.items() if k.lower() != "content-length"}
        return Reply(answer.status, answer.body.encode(), headers)


def payload_of(request: Request) -> dict[str, Any]:
    return json.loads(parse_qs(request.body.decode())["payload"][0])


def verify(request: Request) -> bool:
    return SignatureVerifier(SECRET).is_valid(
        request.body, request.headers.get("x-slack-request-timestamp"), request.headers.get("x-slack-signature")
    )


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    with Recorder() as server:
        yield server


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackSandbox]:
    with SlackSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def driver(recorder: Recorder, slack: SlackSandbox) -> SlackDriver:
    recorder.seen.clear()
    slack.reset()
    return SlackDriver(recorder.url + "/slack/events", SECRET, response_url_base=slack.response_url_base)


def test_signature_matches_slack_sdk(driver: SlackDriver, recorder: Recorder) -> None:
    headers = driver.sign(b'{"a": 1}', timestamp=1_700_000_000)
    expected = SignatureVerifier(SECRET).generate_signature(timestamp="1700000000", body='{"a": 1}')
    assert headers == {"x-slack-signature": expected, "x-slack-request-timestamp": "1700000000"}
    driver.app_home_opened("U0OWNER")
    assert verify(recorder.last)
    driver.app_home_opened("U0OWNER", signature="v0=" + "0" * 64)
    assert not verify(recorder.last)
    driver.app_home_opened("U0OWNER", timestamp=int(time.time()) - 301)
    assert not verify(recorder.last)
    driver.app_home_opened("U0OWNER", signed=False)
    assert "x-slack-signature" not in recorder.last.headers


def test_event_envelope_and_retry_headers(driver: SlackDriver, recorder: Recorder) -> None:
    ts, _ = driver.message("U0WRITER", "Fresh beans are in.", "C0DRAFTS", event_id="Ev0001")
    body = recorder.last.json()
    assert body["type"] == "event_callback" and body["event_id"] == "Ev0001"
    assert body["authorizations"][0]["user_id"] == "U0BOT" and body["team_id"] == "T0ACME"
    event = body["event"]
    assert (event["ts"], event["text"], event["channel_type"]) == (ts, "Fresh beans are in.", "channel")
    assert "subtype" not in event and event["client_msg_id"]
    driver.event(event, event_id="Ev0001", retry_num=1)
    assert recorder.last.json()["event_id"] == "Ev0001"
    assert recorder.last.headers["x-slack-retry-num"] == "1"
    assert recorder.last.headers["x-slack-retry-reason"] == "http_timeout"
    second, _ = driver.message(
        "U0WRITER", "more", "C0DRAFTS", thread_ts=ts, files=[{"id": "F01", "name": "a.png", "mimetype": "image/png"}]
    )
    assert second > ts
    reply = recorder.last.json()["event"]
    assert reply["thread_ts"] == ts and reply["subtype"] == "file_share"


def test_edit_and_delete_shapes(driver: SlackDriver, recorder: Recorder) -> None:
    driver.edit_message("U0WRITER", "C0DRAFTS", "1763800000.000100", "new", "old")
    edit = recorder.last.json()["event"]
    assert edit["subtype"] == "message_changed" and edit["hidden"] is True
    assert edit["message"]["text"] == "new" and edit["message"]["ts"] == "1763800000.000100"
    assert edit["message"]["edited"]["user"] == "U0WRITER" and edit["previous_message"]["text"] == "old"
    driver.delete_message("C0DRAFTS", "1763800000.000100", "old", "U0WRITER")
    deletion = recorder.last.json()["event"]
    assert deletion["subtype"] == "message_deleted" and deletion["deleted_ts"] == "1763800000.000100"


def test_click_on_a_sandbox_message(driver: SlackDriver, recorder: Recorder, slack: SlackSandbox) -> None:
    WebClient(token="xoxb-test", base_url=slack.url).chat_postMessage(channel="U0OWNER", text="?", blocks=BUTTONS)
    message = slack.messages("D0OWNER")[0]
    driver.click(message, "Approve", "U0GUEST", user_team_id="T0OTHER")
    assert recorder.last.content_type == "application/x-www-form-urlencoded" and verify(recorder.last)
    payload = payload_of(recorder.last)
    assert payload["type"] == "block_actions"
    assert payload["user"] == {"id": "U0GUEST", "username": "u0guest", "name": "u0guest", "team_id": "T0OTHER"}
    assert payload["team"]["id"] == "T0ACME"
    assert payload["container"] == {
        "type": "message",
        "message_ts": message.ts,
        "channel_id": "D0OWNER",
        "is_ephemeral": False,
    }
    action = payload["actions"][0]
    assert (action["action_id"], action["block_id"], action["value"]) == ("approve", "decide", "draft-1")
    assert action["text"]["text"] == "Approve" and payload["message"]["blocks"] == BUTTONS
    assert payload["trigger_id"] != ""


def test_click_in_home_view(driver: SlackDriver, recorder: Recorder, slack: SlackSandbox) -> None:
    WebClient(token="xoxb-test", base_url=slack.url).views_publish(
        user_id="U0OWNER", view={"type": "home", "blocks": BUTTONS}
    )
    home = slack.home("U0OWNER")
    assert home is not None
    driver.click_in_view(home, "Approve", "U0OWNER")
    payload = payload_of(recorder.last)
    assert payload["container"] == {"type": "view", "view_id": home.id}
    assert payload["view"]["id"] == home.id and "message" not in payload


def test_submit_view_and_command(driver: SlackDriver, recorder: Recorder, slack: SlackSandbox) -> None:
    driver.submit_view("edit", "draft-1", {"text": {"input": "edited text"}}, "U0OWNER", view_id="V0EDIT")
    view = payload_of(recorder.last)["view"]
    assert view["callback_id"] == "edit" and view["private_metadata"] == "draft-1"
    assert view["state"]["values"] == {"text": {"input": {"type": "plain_text_input", "value": "edited text"}}}
    driver.command("status", "U0OWNER")
    fields = {k: v[0] for k, v in parse_qs(recorder.last.body.decode()).items()}
    assert fields["command"] == "/countersign" and fields["text"] == "status"
    assert fields["channel_id"] == "C0DRAFTS" and fields["user_id"] == "U0OWNER"
    assert fields["response_url"].startswith(slack.response_url_base)
    assert verify(recorder.last)


def test_envelope_for_event_matches_http_body(driver: SlackDriver, recorder: Recorder) -> None:
    event = {"type": "app_home_opened", "user": "U0OWNER", "channel": "D0OWNER", "tab": "home"}
    envelope = driver.envelope_for_event(event, event_id="Ev9")
    driver.event(event, event_id="Ev9")
    sent = recorder.last.json()
    assert {k: v for k, v in sent.items() if k not in ("event_time", "event_context")} == {
        k: v for k, v in envelope.items() if k not in ("event_time", "event_context")
    }


def test_full_loop_through_bolt(slack: SlackSandbox) -> None:
    slack.reset()
    app = App(
        token="xoxb-test",
        signing_secret=SECRET,
        process_before_response=True,
        client=WebClient(token="xoxb-test", base_url=slack.url),
    )

    @app.message("beans")
    def draft(message: dict[str, Any], client: WebClient) -> None:
        client.chat_postMessage(channel="U0OWNER", text=message["text"], blocks=BUTTONS)

    @app.action("approve")
    def approve(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        container = body["container"]
        client.chat_update(channel=container["channel_id"], ts=container["message_ts"], text="Approved", blocks=[])

    @app.view("edit")
    def edit(ack: Any) -> None:
        ack(response_action="errors", errors={"text": "12 characters over the limit"})

    @app.command("/countersign")
    def command(ack: Any, respond: Any) -> None:
        ack("working on it")
        respond("done")

    with BoltOverHTTP(app) as server:
        driver = SlackDriver(server.url + "/slack/events", SECRET, response_url_base=slack.response_url_base)
        assert driver.message("U0WRITER", "beans are in", "C0DRAFTS")[1].status_code == 200
        dm = slack.wait_for(lambda s: next(iter(s.messages("D0OWNER")), None))
        assert driver.click(dm, "Approve", "U0OWNER").status_code == 200
        assert slack.message("D0OWNER", dm.ts).text == "Approved"
        submitted = driver.submit_view("edit", "draft-1", {"text": {"input": "x"}}, "U0OWNER")
        assert submitted.json() == {"response_action": "errors", "errors": {"text": "12 characters over the limit"}}
        answered = driver.command("status", "U0OWNER")
        assert answered.text == "working on it"  # Bolt answers a text-only ack as plain text
        assert slack.wait_for_call("response_url").args["text"] == "done"
        assert driver.message("U0WRITER", "beans again", "C0DRAFTS", signature="v0=forged")[1].status_code == 401
        stale = driver.message("U0WRITER", "beans stale", "C0DRAFTS", timestamp=int(time.time()) - 600)[1]
        assert stale.status_code == 401
    assert len(slack.messages("D0OWNER")) == 1


def test_deleting_a_message_with_replies_sends_the_tombstone(recorder: Recorder, slack: SlackSandbox) -> None:
    slack.reset()
    driver = SlackDriver(recorder.url + "/slack/events", SECRET, replies_of=slack.replies_of)
    parent = "1763800000.000100"
    WebClient(token="xoxb-test", base_url=slack.url).chat_postMessage(channel="C0DRAFTS", text="ok", thread_ts=parent)
    edit = driver.edit_event("U0WRITER", "C0DRAFTS", parent, "new", "old")
    for message in (edit["message"], edit["previous_message"]):
        assert (message["thread_ts"], message["reply_count"], message["reply_users"]) == (parent, 1, ["U0BOT"])
    driver.delete_message("C0DRAFTS", parent, "old", "U0WRITER")
    event = recorder.last.json()["event"]
    assert (event["subtype"], event["previous_message"]["text"]) == ("message_changed", "old")
    stone = event["message"]
    assert {k: stone[k] for k in ("subtype", "text", "user", "hidden", "ts", "thread_ts", "parent_user_id")} == {
        "subtype": "tombstone",
        "text": "This message was deleted.",
        "user": "USLACKBOT",
        "hidden": True,
        "ts": parent,
        "thread_ts": parent,
        "parent_user_id": "USLACKBOT",
    }
    assert (stone["reply_count"], stone["reply_users"]) == (1, ["U0BOT"]) and "edited" not in stone
    driver.delete_tombstone("C0DRAFTS", parent)
    gone = recorder.last.json()["event"]
    assert (gone["subtype"], gone["deleted_ts"], gone["previous_message"]["subtype"]) == (
        "message_deleted",
        parent,
        "tombstone",
    )
    driver.delete_message("C0DRAFTS", "1763800000.000900", "no replies", "U0WRITER")
    assert recorder.last.json()["event"]["subtype"] == "message_deleted"


def test_edits_are_stamped_when_built_and_can_be_sent_in_any_order(driver: SlackDriver, recorder: Recorder) -> None:
    first = driver.edit_event("U0WRITER", "C0DRAFTS", "1763800000.000100", "two", "one")
    second = driver.edit_event("U0WRITER", "C0DRAFTS", "1763800000.000100", "three", "two")
    assert first["message"]["edited"]["ts"] < second["message"]["edited"]["ts"]
    driver.event(second)
    driver.event(first)
    assert recorder.last.json()["event"]["message"]["text"] == "two"


def test_unfurl_and_slackbot_shapes(driver: SlackDriver, recorder: Recorder) -> None:
    driver.unfurl("U0WRITER", "C0DRAFTS", "1763800000.000100", "See a.com", "https://a.com/")
    unfurl = recorder.last.json()["event"]
    assert unfurl["subtype"] == "message_changed" and "edited" not in unfurl["message"]
    assert unfurl["message"]["text"] == unfurl["previous_message"]["text"] == "See a.com"
    assert unfurl["message"]["attachments"][0]["original_url"] == "https://a.com/"
    ts, _ = driver.slackbot_message("Reminder: post the menu.", "C0DRAFTS")
    bot = recorder.last.json()["event"]
    assert (bot["user"], bot["ts"], bot["text"]) == ("USLACKBOT", ts, "Reminder: post the menu.")
    assert "bot_id" not in bot and "subtype" not in bot
