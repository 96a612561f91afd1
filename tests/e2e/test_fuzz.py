"""Bad input, fuzzed: hypothesis-generated Slack payloads for every listener, signed, over HTTP, to one running app.

Each test starts the app once (the `bot` fixture) and sends it every example the strategies of fuzz_payloads.py
generate for one kind of request (message events, block actions, view submissions, `/countersign`), variant by
variant, so every subtype and id gets its share of examples whatever hypothesis favours.

The documented answers: 200 for anything Bolt routes to a listener (refusals are said in Slack, not in the status);
400 for a body whose envelope Bolt itself can't read (not JSON or UTF-8, a non-object `event`, `actions[0]` or
`view`, ids that aren't strings); Bolt's 404 for a request no listener is for (a slash command other than ours, an
event type we don't handle). Never 5xx, never a traceback in a body. And, whatever arrived:
- nothing is posted to X (an approver's fuzzed click or edit only ever carries a ref that can't approve anything);
- nothing is stored half-way: each draft has a version row per version and its `submitted` audit row; each card
  row points at a card Slack shows, and each card Slack shows has its row, one per approver;
- whatever the app shows in Slack has the draft's text escaped: the only `<…>` entities are the ones the app writes
  itself (mentions of real people, dates, links to X and to cards), and card text has no invisible controls;
- no ERROR record is logged (a listener that raised logs one);
- afterwards a plain draft still gets its card and its thread reply.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from sqlmodel import select

from bot.slack.ids import BlockId, CallbackId, InputId
from storage.models import AuditEvent, Card, Draft, DraftVersion
from tests.e2e.fuzz_payloads import (
    APPROVERS,
    FRESH,
    LONE_SURROGATE,
    REMOVED,
    VARIANTS,
    Anchors,
    Payload,
    Variant,
    envelope,
    strip_missing,
)
from tests.e2e.harness import (
    DRAFTS,
    OWNER,
    PEOPLE,
    TEAM,
    WRITER,
    Harness,
    block_text,
)

settings.register_profile(
    "fuzz",
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
FUZZ = settings.get_profile("fuzz")

KINDS = ("event", "action", "view", "command")
DEFAULT_EXAMPLES = {"event": 250, "action": 200, "view": 150, "command": 100}  # 700 payloads in the default run
SLOW_EXAMPLES = {"event": 3000, "action": 3000, "view": 2500, "command": 1500}  # 10,000 in the slow tier
SENT: Counter[tuple[str, str]] = Counter()  # (kind, variant) → payloads sent in this session
ANSWERS: Counter[tuple[str, int]] = Counter()  # (kind, HTTP status)

# -- sending and watching ----------------------------------------------------------------------------


class ErrorLog(logging.Handler):
    """Every record at ERROR or above, from any logger (a listener that raised logs one via `bot.runtime.app`).

    Except `bot.runtime.runner`'s "error while stopping": waitress's shutdown trigger sometimes finds its pipe already
    closed (EBADF) when the app is stopped — a teardown race in `HttpServer.stop`, not a payload being handled.
    """

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not (record.name == "bot.runtime.runner" and record.msg == "error while stopping"):
            self.records.append(record)

    def report(self) -> str:
        formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
        return "\n\n".join(formatter.format(r) for r in self.records[:5])


@pytest.fixture
def error_log() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def encode(payload: Payload, bot: Harness) -> tuple[bytes, str]:
    if payload.raw is not None:
        kind = "application/json" if payload.kind == "event" else "application/x-www-form-urlencoded"
        return payload.raw, kind
    body = strip_missing(payload.body)
    if payload.kind == "event":
        if isinstance(body, dict) and body.get("event_id") is FRESH:
            body["event_id"] = bot.driver.new_event_id()
        return json.dumps(body).encode(), "application/json"
    if payload.kind == "command":
        if body.get("response_url") is FRESH:
            body["response_url"] = bot.driver.response_url("commands")
        # Form bodies are UTF-8; a lone surrogate goes out as the bytes a careless encoder would send.
        return urlencode(body, encoding="utf-8", errors="surrogatepass").encode(), "application/x-www-form-urlencoded"
    if isinstance(body, dict) and body.get("trigger_id") is FRESH:
        body["trigger_id"] = bot.driver.new_trigger_id()
    return urlencode({"payload": json.dumps(body)}).encode(), "application/x-www-form-urlencoded"


def send(bot: Harness, payload: Payload, answers: frozenset[int]) -> None:
    raw, content_type = encode(payload, bot)
    response = bot.driver.post(raw, content_type)
    SENT[payload.kind, payload.variant] += 1
    ANSWERS[payload.kind, response.status_code] += 1
    assert response.status_code in answers, (payload.variant, response.status_code, response.text[:300])
    assert "Traceback" not in response.text and 'File "' not in response.text, response.text[:500]
    if response.status_code == 200 and response.text:
        answer = response.json()
        assert isinstance(answer, dict), answer
        if payload.kind == "view":
            assert answer.get("response_action") == "errors", answer
            assert all(isinstance(e, str) and 0 < len(e) <= 300 for e in answer["errors"].values()), answer
        assert_escaped(
            shown(answer, parsed=True), allowed_mentions(bot), where=f"answer to a {payload.variant} {payload.kind}"
        )
        # Status and history quote drafts: their invisible controls must be gone there too. Only the caller's own
        # words may come back as typed (`show <what you typed>` isn't a draft number).
        typed = set(REMOVED.findall(payload.body.get("text", ""))) if payload.kind == "command" else set()
        for value in shown(answer):
            assert set(REMOVED.findall(value)) <= typed, f"invisible control in the answer: {value[:300]!r}"


# -- what the app showed -------------------------------------------------------------------------------

SHOWN_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.open", "views.update", "response_url")
ENTITY = re.compile(r"<([^<>]*)>")
APP_ENTITY = re.compile(
    r"@(?P<user>[UW][A-Z0-9]+)"
    r"|#C[A-Z0-9]+"
    r"|!date\^\d+\^\{date_short_pretty\} at \{time\}\|[^<>|]*"
    r"|https://x\.com/[A-Za-z0-9_]+/status/\d+\|view on X"
    r"|https://[a-z0-9-]+\.slack\.com/archives/[A-Z0-9]+/p\d+\|#\d+"  # a card's permalink, in status
    r"|id"  # the help text's own `show <id>` placeholder (app-written, not from a draft)
)


def shown(node: Any, parsed: bool = False) -> list[str]:
    """Every string Slack would render from an API call's arguments: message text, Block Kit text, modal errors.

    `parsed`: only those Slack reads as mrkdwn, where `<!channel>` pings and `<url|label>` links; a `plain_text`
    object (how the post's own characters are shown) is displayed as it is and parses nothing.
    """
    found: list[str] = []
    if isinstance(node, dict):
        if parsed and node.get("type") == "plain_text":
            return found
        for name, value in node.items():
            if name == "text" and isinstance(value, str):
                found.append(value)  # a text object's text, or a message's own (notification) text
            elif name == "errors" and isinstance(value, dict):
                found.extend(v for v in value.values() if isinstance(v, str))
            elif isinstance(value, (dict, list)):
                found.extend(shown(value, parsed))
    elif isinstance(node, list):
        for item in node:
            found.extend(shown(item, parsed))
    return found


def allowed_mentions(bot: Harness) -> set[str]:
    """People the app may mention: the workspace's, and whoever wrote or decided a stored draft."""
    with bot.store.transaction() as tx:
        drafts = tx.session.exec(select(Draft)).all()
    return set(PEOPLE) | {d.writer_id for d in drafts} | {d.decided_by for d in drafts if d.decided_by}


def assert_escaped(texts: list[str], mentions: set[str], where: str) -> None:
    for value in texts:
        assert not LONE_SURROGATE.search(value), f"lone surrogate sent to Slack in {where}: {value[:200]!r}"
        for entity in ENTITY.findall(value):
            match = APP_ENTITY.fullmatch(entity)
            ok = match is not None and (match.group("user") is None or match.group("user") in mentions)
            assert ok, f"raw <{entity[:80]}> in {where}: {value[:300]!r}"


def assert_slack_output_clean(bot: Harness) -> None:
    mentions = allowed_mentions(bot)
    for call in bot.slack.calls:
        if call.method in SHOWN_METHODS:
            assert_escaped(shown(call.args, parsed=True), mentions, where=call.method)
    for message in bot.slack.messages():
        for block in message.blocks:
            if str(block.get("block_id", "")).startswith(BlockId.CARD_TEXT.value):
                card_text = block["text"]["text"]
                assert not REMOVED.search(card_text), f"invisible control left on a card: {card_text[:200]!r}"


# -- what the app stored ---------------------------------------------------------------------------------


def assert_nothing_half_stored(bot: Harness) -> None:
    with bot.store.transaction() as tx:
        drafts = {d.id: d for d in tx.session.exec(select(Draft)).all()}
        versions: dict[int, list[DraftVersion]] = defaultdict(list)
        for v in tx.session.exec(select(DraftVersion)).all():
            versions[v.draft_id].append(v)
        audits: dict[int | None, list[str]] = defaultdict(list)
        for a in tx.session.exec(select(AuditEvent)).all():
            audits[a.draft_id].append(a.action)
        cards = list(tx.session.exec(select(Card)).all())
    for draft_id, draft in drafts.items():
        assert draft_id is not None
        numbers = sorted(v.version for v in versions[draft_id])
        assert numbers == list(range(1, draft.version + 1)), (draft_id, numbers, draft.version)
        assert max(versions[draft_id], key=lambda v: v.version).text == draft.text, draft_id
        assert "submitted" in audits[draft_id], (draft_id, audits[draft_id])
        assert draft.status in {"pending", "changes_requested", "rejected", "withdrawn"}, (draft_id, draft.status)
        assert not LONE_SURROGATE.search(draft.text) and not REMOVED.search(draft.text), repr(draft.text[:100])
    rows = set()
    for card in cards:
        assert card.draft_id in drafts, card
        assert card.channel and card.ts, f"card reserved but never filled: {card}"
        assert bot.slack.message(card.channel, card.ts) is not None, card
        rows.add((card.channel, card.ts))
    posted = {
        (m.channel, m.ts)
        for m in bot.slack.messages()
        if not m.thread_ts and any(b.get("block_id") == BlockId.CARD_HEADER for b in m.blocks)
    }
    assert posted == rows, f"cards without rows: {posted - rows}; rows without cards: {rows - posted}"
    for draft_id, draft in drafts.items():
        targets = {c.approver_id for c in cards if c.draft_id == draft_id}
        assert targets == set(APPROVERS) - {draft.writer_id}, (draft_id, targets)


# -- the run ---------------------------------------------------------------------------------------------


def seed(bot: Harness) -> Anchors:
    """One pending draft and one rejected draft, both with text a careless card would ping with."""
    pending_ts = bot.draft("Anchor &lt;!channel&gt; &lt;https://evil.example|bank&gt; pending \u202eexe.txt")
    bot.card(OWNER, containing="Anchor", timeout=15)
    rejected_ts = bot.draft("Rejected anchor &lt;!here&gt;")
    card = bot.card(OWNER, containing="Rejected anchor", timeout=15)
    bot.click(card, "Reject")
    view = bot.modal(CallbackId.REJECT.value, timeout=15)
    bot.submit(view, {BlockId.REASON.value: {InputId.REASON.value: "No &lt;!channel&gt; <!here> please"}})
    rejected = bot.wait_status(rejected_ts, "rejected", timeout=15)
    pending = bot.row(pending_ts)
    assert pending.id is not None and rejected.id is not None
    return Anchors(pending.id, pending_ts, rejected.id, rejected_ts)


def still_works(bot: Harness) -> None:
    ts = bot.draft("Still standing after the fuzz.")
    bot.card(OWNER, containing="Still standing", timeout=60)
    bot.thread(ts, containing="for approval", timeout=60)


def planned(examples: int, variant: Variant) -> int:
    return max(1, math.ceil(examples * variant.share - 1e-9))


def run_variant(bot: Harness, anchors: Anchors, variant: Variant, examples: int) -> None:
    @settings(FUZZ, max_examples=examples)
    @given(payload=variant.payloads(anchors))
    def check(payload: Payload) -> None:
        send(bot, payload, variant.answers)

    check()


def fuzz(bot: Harness, errors: ErrorLog, kind: str, examples: int) -> None:
    anchors = seed(bot)
    started = time.perf_counter()
    before = sum(n for (k, _), n in SENT.items() if k == kind)
    for variant in VARIANTS[kind]:
        run_variant(bot, anchors, variant, planned(examples, variant))
    sent = sum(n for (k, _), n in SENT.items() if k == kind) - before
    still_works(bot)
    bot.settle()
    report(bot, kind, sent, time.perf_counter() - started)
    assert sent >= examples, sent  # hypothesis would stop early only if a variant ran out of new inputs
    assert errors.records == [], errors.report()
    assert bot.x.posts == [] and [r for r in bot.x.requests if r.method == "POST"] == []
    assert_nothing_half_stored(bot)
    assert_slack_output_clean(bot)


def report(bot: Harness, kind: str, sent: int, elapsed: float) -> None:
    """One line per run (shown with -s): what was sent, what came back, what the app did with it."""
    variants = ", ".join(f"{v}={n}" for (k, v), n in SENT.items() if k == kind)
    answers = ", ".join(f"{n}x{status}" for (k, status), n in sorted(ANSWERS.items()) if k == kind)
    with bot.store.transaction() as tx:
        drafts = len(tx.session.exec(select(Draft)).all())
    did = f"{drafts} drafts, {len(bot.slack.ephemerals())} ephemerals, {len(bot.slack.views)} modals"
    print(f"\nfuzz {kind}: {sent} payloads in {elapsed:.1f}s ({variants}); answers {answers}; {did}")


@pytest.mark.parametrize("kind", KINDS)
def test_fuzzed_payloads_are_answered_cleanly(kind: str, bot: Harness, error_log: ErrorLog) -> None:
    fuzz(bot, error_log, kind, DEFAULT_EXAMPLES[kind])


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("kind", KINDS)
def test_fuzzed_payloads_at_volume(kind: str, bot: Harness, error_log: ErrorLog) -> None:
    fuzz(bot, error_log, kind, SLOW_EXAMPLES[kind])


def test_the_tiers_send_at_least_500_and_10000_payloads() -> None:
    def total(tier: dict[str, int]) -> int:
        return sum(planned(tier[kind], v) for kind, variants in VARIANTS.items() for v in variants)

    assert total(DEFAULT_EXAMPLES) >= 500 and total(SLOW_EXAMPLES) >= 10_000
    for variants in VARIANTS.values():
        assert abs(sum(v.share for v in variants) - 1) < 1e-9


# -- regressions: what the fuzzing found -----------------------------------------------------------------


def test_a_lone_surrogate_in_a_draft_becomes_a_replacement_character(bot: Harness, error_log: ErrorLog) -> None:
    """Was: twitter-text's UTF-16 count raised on `\\ud800`; the writer heard nothing, a crash was logged."""
    ts = bot.draft("Beans \ud800 today")
    card = bot.card(OWNER, containing="Beans")
    assert "Beans \ufffd today" in block_text(card.blocks)
    assert bot.row(ts).text == "Beans \ufffd today"
    bot.settle()
    assert error_log.records == [], error_log.report()


@pytest.mark.parametrize("user", ["U0W\ud800", "u0lowercase", "U" + "1" * 40, "U0 SPACE", ""])
def test_a_message_from_an_id_slack_never_sends_is_ignored(bot: Harness, error_log: ErrorLog, user: str) -> None:
    """Was: a lone surrogate in the id crashed users.info's form encoding; now such ids are not people's."""
    ts, response = bot.driver.message(user, "Who wrote this?", DRAFTS)
    assert response.status_code == 200
    bot.settle()
    assert bot._maybe_row(ts) is None
    assert [c for c in bot.slack.calls_to("users.info") if c.args.get("user") == user] == []
    assert error_log.records == [], error_log.report()


def test_a_message_with_an_unhashable_subtype_is_ignored(bot: Harness, error_log: ErrorLog) -> None:
    """Was: `subtype in {None, "file_share"}` raised TypeError for a list."""
    ts, response = bot.driver.message(WRITER, "Odd subtype", DRAFTS, subtype=["file_share"])
    assert response.status_code == 200
    bot.settle()
    assert bot._maybe_row(ts) is None
    assert error_log.records == [], error_log.report()


def test_a_click_by_a_malformed_user_id_changes_nothing(bot: Harness, error_log: ErrorLog) -> None:
    """Was: the refusal's audit row couldn't store a lone surrogate, and the listener crashed."""
    ts = bot.draft("Clicked by a ghost.")
    card = bot.card(OWNER, containing="Clicked by a ghost")
    audited = len(bot.audit())
    assert bot.driver.click(card, "Reject", "U0OWNER\ud800").status_code == 200
    bot.settle()
    assert bot.row(ts).status == "pending" and len(bot.audit()) == audited and bot.slack.views == []
    assert error_log.records == [], error_log.report()


def test_a_reason_with_a_lone_surrogate_is_kept_with_a_replacement_character(bot: Harness, error_log: ErrorLog) -> None:
    """Was: the reason couldn't be stored; the owner's decision was lost with a crash in the log."""
    ts = bot.draft("Reason with a broken character.")
    bot.click(bot.card(OWNER, containing="Reason with"), "Request changes")
    view = bot.modal(CallbackId.REQUEST_CHANGES.value)
    response = bot.submit(view, {BlockId.REASON.value: {InputId.REASON.value: "Fix \ud800 this"}})
    assert response.status_code == 200
    assert bot.wait_status(ts, "changes_requested").reason == "Fix \ufffd this"
    bot.settle()
    assert error_log.records == [], error_log.report()


def test_an_unknown_button_is_refused_privately_instead_of_a_404(bot: Harness, error_log: ErrorLog) -> None:
    ts = bot.draft("Old card, new app.")
    card = bot.card(OWNER, containing="Old card")
    action = {"action_id": "countersign.publish_now", "block_id": "card.actions", "value": f"{bot.row(ts).id}:1"}
    container = {"type": "message", "message_ts": card.ts, "channel_id": card.channel}
    response = bot.driver.block_action(action, OWNER, container=container, channel=card.channel)
    assert response.status_code == 200
    assert "didn't carry a valid draft reference" in bot.ephemeral(OWNER)
    bot.settle()
    assert bot.row(ts).status == "pending" and bot.x.posts == []
    assert error_log.records == [], error_log.report()


def test_an_unknown_form_is_answered_inside_the_form_instead_of_a_404(bot: Harness, error_log: ErrorLog) -> None:
    response = bot.driver.submit_view("countersign.old_modal", "1:1", {"old.block": {"old": "typed"}}, OWNER)
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors" and "out of date" in answer["errors"]["old.block"]
    bot.settle()
    assert error_log.records == [], error_log.report()


def _form(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


JSON, FORM = "application/json", "application/x-www-form-urlencoded"
CLICKER = {"id": OWNER, "team_id": TEAM}
UNREADABLE = [
    (b"[1, 2]", JSON),
    (b"{nope", JSON),
    (b'{"type": "event_callback", "event": {"type": "message", "text": "\xff"}}', JSON),
    (json.dumps(envelope({"type": "message", "channel": DRAFTS, "user": 5, "ts": "1.2"}, "Ev1")).encode(), JSON),
    (json.dumps({**envelope({}, "Ev2"), "authorizations": 5}).encode(), JSON),
    (b"payload=%7Bnope", FORM),
    (_form({"type": "block_actions", "user": 7, "actions": [{"action_id": "countersign.approve"}]}), FORM),
]
MALFORMED = [
    (json.dumps(envelope([1, 2], "Ev3")).encode(), JSON),
    (json.dumps(envelope(None, "Ev4")).encode(), JSON),
    (_form({"type": "block_actions", "user": CLICKER, "actions": []}), FORM),
    (_form({"type": "block_actions", "user": CLICKER, "actions": [{"value": "1:1"}]}), FORM),
    (_form({"type": "block_actions", "user": CLICKER, "actions": [{"action_id": 5}]}), FORM),
    (_form({"type": "view_submission", "user": CLICKER, "view": {"callback_id": "countersign.reject_modal"}}), FORM),
    (_form({"type": "view_submission", "user": CLICKER, "view": "countersign.reject_modal"}), FORM),
]


def test_a_body_bolt_cannot_read_gets_400_not_a_500_with_a_traceback(bot: Harness, error_log: ErrorLog) -> None:
    """Was: 500s, each with a traceback logged at ERROR by waitress or by the app's error handler (which itself
    crashed in Bolt's argument injection). Now 400, nothing runs, and the app carries on."""
    for body, content_type in UNREADABLE + MALFORMED:
        response = bot.driver.post(body, content_type)
        assert response.status_code == 400, (body[:80], response.status_code, response.text[:200])
        assert "Traceback" not in response.text
    still_works(bot)
    bot.settle()
    assert error_log.records == [], error_log.report()


def test_the_signature_is_checked_before_the_shape(bot: Harness) -> None:
    """Bolt must build its request before checking the signature, so an unreadable body is a 400 even unsigned;
    a readable one of the wrong shape is still refused as unsigned first."""
    for body, content_type in MALFORMED:
        assert bot.driver.post(body, content_type, signed=False).status_code == 401
    for body, content_type in UNREADABLE:
        assert bot.driver.post(body, content_type, signed=False).status_code == 400


def test_invisible_controls_never_reach_the_stored_draft_or_the_status(bot: Harness, error_log: ErrorLog) -> None:
    """Was: the draft kept U+202E and friends, and `/countersign status` quoted them, reordering the line."""
    ts = bot.draft("pay\u202elap\u200b.exe")
    bot.card(OWNER, containing="pay")
    assert bot.row(ts).text == "paylap.exe"
    response = bot.driver.command("status", OWNER)
    assert response.status_code == 200 and not REMOVED.search(response.json()["text"])
    bot.settle()
    assert error_log.records == [], error_log.report()


@pytest.mark.parametrize("typed", ["<!channel>", "<https://evil.example|bank>", "\u00b2", "\u0661\u0662"])
def test_show_with_something_that_is_not_a_number_answers_escaped(
    bot: Harness, error_log: ErrorLog, typed: str
) -> None:
    """Was: `show <!channel>` was echoed raw into mrkdwn; `show ²` passed isdigit() and crashed int()."""
    response = bot.driver.command(f"show {typed}", OWNER)
    assert response.status_code == 200
    answer = response.json()["text"]
    assert "isn't a draft number" in answer and "<" not in answer.replace("`/countersign show 12`", "")
    bot.settle()
    assert error_log.records == [], error_log.report()
