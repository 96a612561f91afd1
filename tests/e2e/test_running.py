"""Point 6 and 7: running the bot for real (HTTP and Socket Mode), its settings, the CLI and the demo."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from bot.runtime.runner import start_socket_mode
from bot.runtime.settings import Settings
from bot.sandbox import SlackDriver, SlackSandbox, XSandbox
from tests.e2e.harness import DRAFTS, OWNER, SECRET, WRITER, Harness, app_env, block_text, buttons, posted

CLI = [sys.executable, "-m", "bot"]


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 60):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "X_", "DATABASE_URL", "APPROVERS"))}
    return subprocess.run(
        [*CLI, *args], env={**base, **(env or {})}, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not become healthy in {timeout} s")


def test_health_and_readiness(bot: Harness) -> None:
    assert requests.get(f"{bot.running.url}/healthz", timeout=5).json() == {"ok": True}
    ready = requests.get(f"{bot.running.url}/readyz", timeout=5)
    assert ready.status_code == 200 and ready.json()["ok"] is True


def test_missing_settings_stop_the_start_naming_each_variable(tmp_path: Path) -> None:
    result = run_cli("run", "--http", cwd=tmp_path)
    assert result.returncode == 2
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "X_API_KEY",
        "X_ACCESS_TOKEN_SECRET",
        "DRAFTS_CHANNEL",
        "APPROVERS",
        "AGENCY_NAME",
    ):
        assert name in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_malformed_settings_are_explained(tmp_path: Path, slack: SlackSandbox, x: XSandbox) -> None:
    env = app_env(slack, x, "mysql://nope", DRAFTS_CHANNEL="#drafts", APPROVERS="olivia", SLACK_BOT_TOKEN="xoxp-1")
    result = run_cli("run", env=env, cwd=tmp_path)  # Socket Mode: also needs an xapp- token
    assert result.returncode == 2
    for words in (
        "DRAFTS_CHANNEL must be a channel id",
        "APPROVERS must be Slack user ids",
        "SLACK_BOT_TOKEN should start with 'xoxb-'",
        "DATABASE_URL must be",
    ):
        assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_slack_is_one_clear_line(tmp_path: Path, x: XSandbox, slack: SlackSandbox) -> None:
    env = app_env(slack, x, f"sqlite:///{tmp_path / 'c.db'}", SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/")
    result = run_cli("run", "--http", "--port", str(free_port()), env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "could not reach Slack" in result.stderr and "Traceback" not in result.stderr


def test_migrate_creates_the_schema(tmp_path: Path) -> None:
    result = run_cli("migrate", env={"DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    import sqlite3

    tables = {r[0] for r in sqlite3.connect(tmp_path / "m.db").execute("select name from sqlite_master")}
    assert {"draft", "draft_version", "card", "audit_event", "slack_event", "alembic_version"} <= tables


def test_run_http_reads_dotenv_and_serves_the_whole_loop(tmp_path: Path, slack: SlackSandbox, x: XSandbox) -> None:
    port = free_port()
    env = app_env(slack, x, f"sqlite:///{tmp_path / 'cs.db'}")
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "X_", "DATABASE_URL"))}
    process = subprocess.Popen(
        [*CLI, "run", "--http", "--port", str(port), "--host", "127.0.0.1"],
        cwd=tmp_path,
        env=base,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url)
        driver = SlackDriver(f"{url}/slack/events", SECRET)
        driver.message(WRITER, "Served by the CLI.", DRAFTS)
        card = slack.wait_for(lambda s: next((m for m in s.messages("D0OWNER") if m.blocks), None), 10)
        driver.click(card, "Approve", OWNER)
        assert x.wait_for_posts(1, timeout=10)[0].text == posted("Served by the CLI.", OWNER)
    finally:
        process.terminate()
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert env["SLACK_SIGNING_SECRET"] not in out + err and env["SLACK_BOT_TOKEN"] not in out + err


def test_socket_mode_runs_the_loop_over_a_websocket(tmp_path: Path, slack: SlackSandbox, x: XSandbox) -> None:
    env = app_env(slack, x, f"sqlite:///{tmp_path / 'sm.db'}")
    del env["SLACK_SIGNING_SECRET"]
    running = start_socket_mode(Settings.from_env(env, socket_mode=True), scheduler=False)
    try:
        slack.socket.wait_connected()
        driver = SlackDriver("http://unused.invalid/", SECRET)
        event = driver.message_event(WRITER, "Over the socket.", DRAFTS)
        envelope_id = slack.socket.send("events_api", driver.envelope_for_event(event))
        assert slack.socket.wait_ack(envelope_id)["envelope_id"] == envelope_id
        card = slack.wait_for(lambda s: next((m for m in s.messages("D0OWNER") if m.blocks), None), 10)
        assert buttons(card) == ["Approve", "Edit", "Request changes", "Reject"]
        assert "Over the socket." in block_text(card.blocks)

        approve = next(e for b in card.blocks if b["type"] == "actions" for e in b["elements"])
        payload = {
            "type": "block_actions",
            "team": {"id": "T0ACME", "domain": "acme"},
            "user": {"id": OWNER, "team_id": "T0ACME", "name": "olivia"},
            "api_app_id": "A0APP",
            "container": {"type": "message", "message_ts": card.ts, "channel_id": card.channel},
            "channel": {"id": card.channel},
            "message": card.as_payload(),
            "trigger_id": "1.2.socket",
            "actions": [{**approve, "block_id": "card.actions", "action_ts": "1.1"}],
        }
        slack.socket.wait_ack(slack.socket.send("interactive", payload))
        assert x.wait_for_posts(1, timeout=10)[0].text == posted("Over the socket.", OWNER)
    finally:
        running.stop()


def test_demo_plays_the_loop_and_prints_a_transcript() -> None:
    result = run_cli("demo", timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for beat in (
        "posts a draft",
        "[ Approve ]  [ Edit ]  [ Request changes ]  [ Reject ]",
        "requested changes",
        "version 2",
        "posted https://x.com/",
        "Image 1 of 1 · alt: A bag of Ethiopia Guji beans on the counter · Slack file F",
        "[ image image/png,",
        "alt text “A bag of Ethiopia Guji beans on the counter”",
        "drafted by Northwind Agency",
        "published X: https://x.com/",
        "Bluesky · @acmecoffee.bsky.social posted https://bsky.app/profile/acmecoffee.bsky.social/post/",
        "[ image, alt text “A bag of Ethiopia Guji beans on the counter” ]",
    ):
        assert beat in out
    # one draft, one approval, one post on each of the brand's two networks, the same text on both
    x_text = out.split("X · @acmecoffee posted")[1].split("\n", 1)[1].split("[ image")[0]
    bluesky_text = out.split("Bluesky · @acmecoffee.bsky.social posted")[1].split("\n", 1)[1].split("[ image")[0]
    assert x_text == bluesky_text and "Ethiopia Guji" in x_text
    assert out.count("posted https://") == 2
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_one_clear_line(tmp_path: Path, slack: SlackSandbox, x: XSandbox) -> None:
    url = f"postgresql+psycopg://countersign:s3cret@127.0.0.1:{free_port()}/nowhere"
    result = run_cli("run", "--http", "--port", str(free_port()), env=app_env(slack, x, url), cwd=tmp_path)
    assert result.returncode == 1
    assert "cannot use the database at DATABASE_URL=postgresql+psycopg://countersign:***@127.0.0.1" in result.stderr
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr


def test_json_logs_carry_a_correlation_id_per_slack_request(tmp_path: Path, slack: SlackSandbox, x: XSandbox) -> None:
    import json

    port = free_port()
    env = {**app_env(slack, x, f"sqlite:///{tmp_path / 'j.db'}"), "LOG_FORMAT": "json"}
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "X_", "DATABASE_URL"))}
    process = subprocess.Popen(
        [*CLI, "run", "--http", "--port", str(port), "--host", "127.0.0.1"],
        cwd=tmp_path,
        env={**base, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        driver = SlackDriver(f"http://127.0.0.1:{port}/slack/events", SECRET)
        driver.message(WRITER, "Logged as JSON.", DRAFTS)
        slack.wait_for(lambda s: next((m for m in s.messages("D0OWNER") if m.blocks), None), 10)
        driver.command("help", OWNER)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=15)
    records = [json.loads(line) for line in err.splitlines() if line.strip()]  # every line is one JSON object
    requests_in = [r for r in records if r["message"].startswith("slack ")]
    assert [r["message"].split()[1] for r in requests_in] == ["event_callback", "command"]
    ids = [r["correlation_id"] for r in requests_in]
    assert len(set(ids)) == 2 and "-" not in ids and all(len(i) == 8 for i in ids)
    assert {"time", "level", "logger", "message", "correlation_id"} <= set(records[0])


def test_a_duration_past_a_year_stops_the_start_with_one_line(tmp_path: Path, slack: SlackSandbox, x: XSandbox) -> None:
    env = app_env(slack, x, f"sqlite:///{tmp_path / 'd.db'}", REMINDER_AFTER="9999999d", PUBLISH_LEASE="99999999999d")
    result = run_cli("run", "--http", "--port", str(free_port()), env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    problems = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert len(problems) == 2, result.stderr
    assert any(p.startswith("  - REMINDER_AFTER:") and "at most 365d" in p for p in problems)
    assert any(p.startswith("  - PUBLISH_LEASE:") and "at most 365d" in p for p in problems)


def test_postgresql_without_its_driver_is_one_clear_line(tmp_path: Path, slack: SlackSandbox, x: XSandbox) -> None:
    """The README's first command installs `.` alone: psycopg is then missing. A `psycopg` on PYTHONPATH that
    fails to import stands for that in a subprocess, whatever this machine has installed."""
    shim = tmp_path / "no-psycopg"
    shim.mkdir()
    (shim / "psycopg.py").write_text("raise ImportError(\"No module named 'psycopg'\")\n")
    url = f"postgresql+psycopg://countersign:s3cret@127.0.0.1:{free_port()}/nowhere"
    env = {**app_env(slack, x, url), "PYTHONPATH": str(shim)}
    for command in (["run", "--http", "--port", str(free_port())], ["status"], ["migrate"]):
        result = run_cli(*command, env=env, cwd=tmp_path)
        assert result.returncode == 1, (command, result.stderr)
        assert "Traceback" not in result.stderr, (command, result.stderr)
        [line] = result.stderr.strip().splitlines()
        assert "DATABASE_URL" in line and "pip install 'countersign[postgres]'" in line, (command, line)
        assert "s3cret" not in line


def test_socket_mode_serves_health_and_readiness_on_health_port(
    tmp_path: Path, slack: SlackSandbox, x: XSandbox
) -> None:
    """The Dockerfile's HEALTHCHECK polls :3000/healthz; Socket Mode serves no Slack over HTTP, but health yes."""
    port = free_port()
    env = {**app_env(slack, x, f"sqlite:///{tmp_path / 'h.db'}"), "HEALTH_PORT": str(port), "HEALTH_HOST": "127.0.0.1"}
    del env["SLACK_SIGNING_SECRET"]
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "X_", "DATABASE_URL", "HEALTH_"))}
    process = subprocess.Popen(
        [*CLI, "run"], cwd=tmp_path, env={**base, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url)
        slack.socket.wait_connected()
        assert requests.get(f"{url}/healthz", timeout=5).json() == {"ok": True}
        ready = requests.get(f"{url}/readyz", timeout=5)
        assert ready.status_code == 200 and ready.json() == {"ok": True, "detail": "ready"}
        assert requests.post(f"{url}/slack/events", timeout=5).status_code == 404  # Slack comes over the socket
    finally:
        process.terminate()
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert f"health on http://127.0.0.1:{port}/healthz" in out
    assert "Traceback" not in err


def test_a_health_port_in_use_is_one_clear_line(tmp_path: Path, slack: SlackSandbox, x: XSandbox) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**app_env(slack, x, f"sqlite:///{tmp_path / 'hp.db'}"), "HEALTH_PORT": str(port)}
        env["HEALTH_HOST"] = "127.0.0.1"
        result = run_cli("run", env=env, cwd=tmp_path)
    assert result.returncode == 1
    line = result.stderr.strip().splitlines()[-1]  # after the start's log lines
    assert line.startswith("Countersign cannot start: cannot serve health checks"), result.stderr
    assert f"HEALTH_PORT={port}" in line and "HEALTH_PORT=0" in line
    assert "Traceback" not in result.stderr


def test_socket_mode_readiness_follows_the_websocket(tmp_path: Path, x: XSandbox) -> None:
    """Alive but not ready while the WebSocket to Slack is down (nothing reaches the bot); ready again once the
    client has reconnected by itself. A Slack of its own: its socket server is stopped mid-test."""
    with SlackSandbox() as slack:
        port = free_port()
        env = app_env(slack, x, f"sqlite:///{tmp_path / 'r.db'}", HEALTH_PORT=str(port), HEALTH_HOST="127.0.0.1")
        running = start_socket_mode(Settings.from_env(env, socket_mode=True), scheduler=False)
        url = f"http://127.0.0.1:{port}"

        def readiness(want: int) -> dict:
            deadline = time.monotonic() + 20
            while (answer := requests.get(f"{url}/readyz", timeout=5)).status_code != want:
                assert time.monotonic() < deadline, answer.json()
                time.sleep(0.1)
            return answer.json()

        try:
            slack.socket.wait_connected()
            assert readiness(200) == {"ok": True, "detail": "ready"}
            slack.socket.stop()
            assert readiness(503) == {"ok": False, "detail": "not connected to Slack (Socket Mode)"}
            assert requests.get(f"{url}/healthz", timeout=5).status_code == 200  # alive: the client reconnects
            slack.socket.start()
            assert readiness(200)["ok"] is True
        finally:
            running.stop()
