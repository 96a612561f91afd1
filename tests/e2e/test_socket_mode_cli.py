"""`countersign run` in Socket Mode, as a process, against the sandbox's Socket Mode stand-in.

The in-process Socket Mode test (test_running.py) skips the CLI; this one starts the command an operator runs
and drives what Slack does to a long-lived connection: an event redelivered because its ack was late
(`retry_attempt: 1`, `retry_reason: "timeout"`, the same event_id), and a `disconnect` asking the client to
refresh its connection, after which the next event must still be handled.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.sandbox import SlackDriver, SlackSandbox, XSandbox
from bot.sandbox.slack_api import Message, dm_channel_for
from tests.e2e.harness import DRAFTS, OWNER, OWNER2, SECRET, WRITER, app_env, block_text

CLI = [sys.executable, "-m", "bot"]


def cards(slack: SlackSandbox, approver: str, text: str) -> list[Message]:
    return [m for m in slack.messages(dm_channel_for(approver)) if m.blocks and text in block_text(m.blocks)]


def test_run_in_socket_mode_handles_a_redelivery_once_and_reconnects_on_disconnect(
    tmp_path: Path, slack: SlackSandbox, x: XSandbox
) -> None:
    database = tmp_path / "socket.db"
    env = app_env(slack, x, f"sqlite:///{database}")
    del env["SLACK_SIGNING_SECRET"]  # Socket Mode needs none
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "X_", "DATABASE_URL", "APPROVERS"))}
    process = subprocess.Popen(
        [*CLI, "run"], cwd=tmp_path, env={**base, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        slack.socket.wait_connected(timeout=30)
        hello_opens = len(slack.calls_to("apps.connections.open"))
        driver = SlackDriver("http://unused.invalid/", SECRET)

        # Slack redelivers an event whose ack it didn't get in time: a new envelope, the same event.
        payload = driver.envelope_for_event(driver.message_event(WRITER, "Delivered twice.", DRAFTS))
        first = slack.socket.send("events_api", payload)
        assert slack.socket.wait_ack(first, timeout=10) == {"envelope_id": first}
        again = slack.socket.send("events_api", payload, retry_attempt=1, retry_reason="timeout")
        assert slack.socket.wait_ack(again, timeout=10) == {"envelope_id": again}
        slack.wait_for(lambda s: cards(s, OWNER, "Delivered twice.") and cards(s, OWNER2, "Delivered twice."), 10)

        # Slack asks for a fresh connection: the client opens a new one (apps.connections.open again).
        connections = slack.socket.connection_count
        slack.socket.disconnect("refresh_requested")
        slack.socket.wait_connected(total=connections + 1, timeout=30)
        slack.socket.wait_open(1, timeout=10)  # and the old one was closed
        assert len(slack.calls_to("apps.connections.open")) == hello_opens + 1

        after = driver.envelope_for_event(driver.message_event(WRITER, "After the refresh.", DRAFTS))
        envelope = slack.socket.send("events_api", after)
        assert slack.socket.wait_ack(envelope, timeout=10) == {"envelope_id": envelope}
        slack.wait_for(lambda s: cards(s, OWNER, "After the refresh."), 10)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Traceback" not in err

    # Once the process has stopped, what Slack shows is final: one card per approver, one reply to the writer.
    assert len(cards(slack, OWNER, "Delivered twice.")) == 1 and len(cards(slack, OWNER2, "Delivered twice.")) == 1
    assert len([m for m in slack.thread(DRAFTS, payload["event"]["ts"]) if "Sent to" in m.text]) == 1
    with sqlite3.connect(database) as db:
        texts = [row[0] for row in db.execute("select text from draft order by id")]
    assert texts == ["Delivered twice.", "After the refresh."]
