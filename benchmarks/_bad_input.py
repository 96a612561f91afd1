"""Bad input for benchmarks/reliability.py: seeded malformed Slack payloads sent to a `Round`'s app, and what they
must not do (no 5xx, no traceback, nothing stored half-way, no post on X, no error logged).
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

from _app import (
    APPROVERS,
    DRAFTS,
    FORM,
    GUEST,
    OTHER_TEAM,
    OUTSIDER,
    OWNER,
    TEAM,
    WRITER,
    Lab,
    Round,
    oneline,
)
from sqlmodel import select

from bot.sandbox import SlackDriver
from bot.slack.ids import ActionId, BlockId, CallbackId, InputId
from storage.models import AuditEvent, Card, Draft, DraftVersion

# -- bad input ---------------------------------------------------------------------------------------------------

_MARKUP = ("<!channel>", "<!here>", "<@U0EVIL|boss>", "<#C0EVIL|all>", "<https://evil.example|bank>", "&lt;!here&gt;")
_CHARS = ("\u202e", "\u200b", "\ufeff", "\u2066", "\ud800", "\udfff", "\x00", "\uffff", "日本語", "e\u0301", "\r\n")
_OTHER = ("👩\u200d👩\u200d👧", "\n---\n", "*b* _i_ `c` >q", "https://example.com/?q=1", "Fresh beans are in.", "", " ")
PIECES = (*_MARKUP, *_CHARS, *_OTHER)
JUNK: tuple[object, ...] = (None, 0, -1, 2**64, 1.5, True, [], [1], {}, {"id": 7}, "")
GONE = object()  # a field left out of the payload
TAMPERED = ("", "1", "1:", ":1", "1:1:1", " 1:1", "1:1\n", "-1:1", "0x1:1", "\u0661:\u0661", "9" * 19 + ":1", "1:1;--")
RAW = (b"[1]", b"null", b"{nope", b"", b'{"type": "event_callback", "event": 5}', b"\xff\xfe")
SUBTYPES = (None, None, None, "message_changed", "message_deleted", "file_share", "bot_message", "channel_join", 7, [1])
JSON = "application/json"


def _strip(value: object) -> object:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if v is not GONE}
    if isinstance(value, list):
        return [_strip(v) for v in value if v is not GONE]
    return value


class Fuzzer:
    """Malformed Slack payloads from a seeded generator: fields missing or of the wrong type, tampered refs, huge
    texts, mentions and link injection, invisible and invalid characters. An approver of this workspace only ever
    sends refs that can't approve anything (the rejected anchor, absent ids, tampered values): any post is a failure."""

    def __init__(self, rng: random.Random, driver: SlackDriver, pending: tuple[int, str], rejected: tuple[int, str]):
        self.rng, self.driver, self.pending, self.rejected = rng, driver, pending, rejected
        self.ts_pool = [f"1763700000.{n:06d}" for n in range(40)] + [pending[1], rejected[1]]

    def text(self) -> str:
        words = "".join(self.rng.choice(PIECES) for _ in range(self.rng.randint(1, 6)))
        if self.rng.random() < 0.08:  # huge: 3,000 to 40,000 characters
            size = self.rng.randint(3_000, 40_000)
            return ((words or "x") * (size // max(1, len(words)) + 1))[:size]
        return words

    def odd(self, value: object, one_in: int = 4) -> object:
        """Usually `value`; about once in `one_in`, a wrong type or the field left out."""
        return value if self.rng.randrange(one_in) else self.rng.choice([*JUNK, GONE])

    def who(self) -> tuple[object, object, bool]:
        """(user, team, may approve here): approvers, outsiders, another organisation's guest with an approver's id."""
        user_id = self.rng.choice([*APPROVERS, WRITER, OUTSIDER, GUEST, "U0BOT", "U0NOBODY1"])
        team_id = self.rng.choice([TEAM, TEAM, OTHER_TEAM, GONE])
        user = self.odd({"id": self.odd(user_id, 8), "team_id": team_id, "name": "someone"}, 8)
        return user, self.odd({"id": TEAM, "domain": "acme"}, 8), user_id in APPROVERS and team_id != OTHER_TEAM

    def ref(self, approver: bool) -> object:
        rejected, pending, rng = self.rejected[0], self.pending[0], self.rng
        safe = [f"{rejected}:1", f"{rejected}:2", "999999:1", "0:0", *TAMPERED, *JUNK, GONE]
        other = [f"{pending}:1", f"{pending}:2", f"{rng.randint(0, 10**6)}:{rng.randint(0, 5)}", self.text()]
        return rng.choice(safe if approver else safe + other)

    def payload(self, kind: str) -> tuple[bytes, str]:
        """One signed-to-be body of `kind` (event, action, view, command) and its content type."""
        if kind == "command":
            return urlencode(_strip(self.command()), encoding="utf-8", errors="surrogatepass").encode(), FORM  # type: ignore[arg-type]
        if kind == "event":
            return (
                self.rng.choice(RAW) if self.rng.random() < 0.05 else json.dumps(_strip(self.event())).encode()
            ), JSON
        body = self.action() if kind == "action" else self.view()
        return urlencode({"payload": json.dumps(_strip(body))}).encode(), FORM

    def event(self) -> dict[str, object]:
        rng, ts = self.rng, self.rng.choice(self.ts_pool)
        user = self.odd(rng.choice([WRITER, WRITER, OWNER, OUTSIDER, "U0BOT", "U0NOBODY1"]))
        message = {"type": "message", "user": user, "text": self.odd(self.text()), "ts": self.odd(ts)}
        channel = self.odd(rng.choice([DRAFTS] * 5 + ["C0RANDOM", "D0OWNER"]), 8)
        event: dict[str, object] = {"type": "message", "channel": channel, "event_ts": "1763800000.000001"}
        subtype = rng.choice([*SUBTYPES, self.text()])
        if subtype == "message_changed":
            event.update(subtype=subtype, message=self.odd(message, 8), previous_message=self.odd(dict(message), 8))
        elif subtype == "message_deleted":
            event.update(subtype=subtype, deleted_ts=self.odd(ts), previous_message=self.odd(message, 8))
        else:
            event.update(message, subtype=GONE if subtype is None else subtype)
            event.update(thread_ts=rng.choice([GONE, GONE, GONE, ts, rng.choice(self.ts_pool)]))
            event.update(bot_id=rng.choice([GONE] * 6 + ["B0BOT", "B0OTHER"]))
            event.update(files=[{"id": "F01", "mimetype": "image/png"}] if subtype == "file_share" else GONE)
        body = {"type": "event_callback", "token": "legacy", "api_app_id": "A0APP", "event_time": 1763800000}
        body.update(team_id=self.odd(TEAM, 10), event=self.odd(event, 20), authorizations=[{"team_id": TEAM}])
        body.update(event_id=rng.choice([self.driver.new_event_id()] * 6 + ["Ev0REPLAYED", 5, GONE]))
        return body

    def action(self) -> dict[str, object]:
        user, team, approver = self.who()
        action_id = self.rng.choice([*(a.value for a in ActionId), "countersign.publish", self.text()])
        action = {"action_id": self.odd(action_id, 12), "block_id": self.odd(self.rng.choice(list(BlockId)))}
        action.update(type="button", value=self.ref(approver), action_ts="1763900000.000200")
        container = {"type": "message", "message_ts": self.rng.choice(self.ts_pool), "channel_id": "D0OWNER"}
        message = {"type": "message", "ts": "1763900000.000100", "text": "", "blocks": []}
        body = {"type": "block_actions", "user": user, "team": team, "api_app_id": "A0APP", "state": {"values": {}}}
        body.update(container=self.odd(container), trigger_id=self.odd(self.driver.new_trigger_id()))
        body.update(channel=self.odd({"id": "D0OWNER"}), message=self.odd(message), actions=self.odd([action], 12))
        return {**body, "response_url": self.odd(self.driver.response_url("actions"))}

    def view(self) -> dict[str, object]:
        user, team, approver = self.who()
        callback = self.rng.choice([*(c.value for c in CallbackId), "countersign.other", self.text()])
        values: dict[str, object] = {}
        for block, action in ((BlockId.EDIT_TEXT.value, InputId.TEXT.value), (BlockId.REASON.value, "reason")):
            element = {"type": self.odd("plain_text_input", 8), "value": self.odd(self.text())}
            values[block if self.rng.random() < 0.85 else self.text()] = self.odd({action: element}, 6)
        view = {"id": "V0SUB00001", "team_id": TEAM, "type": "modal", "hash": "1763900002.x1", "blocks": self.odd([])}
        view.update(callback_id=self.odd(callback, 12), private_metadata=self.ref(approver))
        view.update(state=self.odd({"values": self.odd(values, 6)}, 6), title={"type": "plain_text", "text": "E"})
        body = {"type": "view_submission", "team": team, "user": user, "api_app_id": "A0APP", "response_urls": []}
        return {**body, "trigger_id": "1763900000000.1.x", "view": self.odd(view, 12)}

    def command(self) -> dict[str, object]:
        rng = self.rng
        verbs = ["", "status", "help", "digest", "pause", "resume", f"show {rng.randint(-5, 10**20)}", "show"]
        text = rng.choice([*verbs, f"show {self.text()}", self.text()])
        body = {"token": "legacy", "team_domain": "acme", "channel_name": "drafts", "api_app_id": "A0APP"}
        body.update(team_id=self.odd(TEAM, 8), channel_id=self.odd(DRAFTS), text=self.odd(text))
        body.update(user_id=self.odd(rng.choice([*APPROVERS, WRITER, OUTSIDER, GUEST])), user_name="someone")
        body.update(command=rng.choice(["/countersign"] * 8 + ["/other", ""]), trigger_id=self.driver.new_trigger_id())
        # Slack always sends a response_url with a command (`/countersign digest` answers through it), as in the tests
        return {**body, "response_url": self.driver.response_url()}


# -- bad input ---------------------------------------------------------------------------------------------------

INPUTS = {
    "event": "Message events: new, edited, deleted, thread, bot, file, other subtypes",
    "action": "Button clicks: every action id and unknown ones, tampered refs",
    "view": "Form submissions: every callback id and unknown ones",
    "command": "`/countersign` with any text",
}
INPUT_EXPECTED = (
    "every answer a 200, 400 or 404 (never a 5xx, never a traceback); nothing stored half-way; no post on X; "
    "no error logged; afterwards a plain draft still gets its card"
)


BAD = ("5xx", "tracebacks", "half-stored", "posts", "errors logged")  # each must stay at 0


@dataclass
class BadInput:
    kind: str
    answers: Counter[int] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)  # rounds, sent, still works, and the BAD ones
    failures: list[str] = field(default_factory=list)

    @property
    def held(self) -> bool:
        c = self.counts
        return not any(c[k] for k in BAD) and not self.failures and c["still works"] == c["rounds"]


def anchors(r: Round, i: int) -> tuple[tuple[int, str], tuple[int, str]]:
    """One pending and one rejected draft (by the reason form), both with text a careless card would ping with."""
    slack, driver = r.lab.sandbox.slack, r.driver
    pending_ts, _ = r.submitted(
        f"Anchor {i}: &lt;!channel&gt; &lt;https://evil.example|bank&gt; \u202eexe", f"Anchor {i}:"
    )
    rejected_ts, card = r.submitted(f"Rejected anchor {i}: &lt;!here&gt;", f"Rejected anchor {i}:")
    r.click(rejected_ts, card, "Reject")
    view = slack.wait_for(lambda s: next((v for v in s.views if v.callback_id == CallbackId.REJECT), None))
    assert driver is not None
    reason = {BlockId.REASON.value: {InputId.REASON.value: "No <!channel> please"}}
    driver.submit_view(view.callback_id, view.private_metadata, reason, OWNER, view_id=view.id)
    rejected, pending = r.wait_status(rejected_ts, "rejected"), r.row(pending_ts)
    return ((pending.id if pending else 0) or 0, pending_ts), (rejected.id or 0, rejected_ts)


def half_stored(r: Round) -> list[str]:
    """What a crash-free app must never leave: a draft without its version rows or its 'submitted' audit row, or
    decided by a fuzzed payload; a card row Slack never got; a card in Slack without its row; a draft short of cards."""
    assert r.store is not None
    found: list[str] = []
    with r.store.transaction() as tx:
        drafts = list(tx.session.exec(select(Draft)).all())
        versions = Counter((v.draft_id, v.version) for v in tx.session.exec(select(DraftVersion)).all())
        submitted = {a.draft_id for a in tx.session.exec(select(AuditEvent)).all() if a.action == "submitted"}
        cards = list(tx.session.exec(select(Card)).all())
    for d in drafts:
        if [versions[d.id, n] for n in range(1, d.version + 1)] != [1] * d.version or d.id not in submitted:
            found.append(f"draft {d.id}: version rows or 'submitted' audit row missing")
        if d.status not in ("pending", "changes_requested", "rejected", "withdrawn"):
            found.append(f"draft {d.id}: {d.status} after fuzzed input")
        if {c.approver_id for c in cards if c.draft_id == d.id} != set(APPROVERS) - {d.writer_id}:
            found.append(f"draft {d.id}: cards for {sorted(c.approver_id for c in cards if c.draft_id == d.id)}")
    slack, rows = r.lab.sandbox.slack, {(c.channel, c.ts) for c in cards}
    found += [f"card row {c.id} never shown in Slack" for c in cards if not (c.ts and slack.message(c.channel, c.ts))]
    shown = {(m.channel, m.ts) for m in slack.messages() if not m.thread_ts and BlockId.CARD_HEADER in str(m.blocks)}
    return found + [f"card {ts} in {channel} has no row" for channel, ts in shown - rows]


def bad_input(lab: Lab, kind: str, rounds: int, payloads: int, seed: int) -> BadInput:
    total = BadInput(INPUTS[kind])
    for i in range(1, rounds + 1):
        started, r, errors = time.perf_counter(), lab.round(), len(lab.log.errors)
        assert r.driver is not None
        try:
            fuzz = Fuzzer(random.Random(f"{seed}-{kind}-{i}"), r.driver, *anchors(r, i))
            for _ in range(payloads):
                response = r.driver.post(*fuzz.payload(kind))
                total.answers[response.status_code] += 1
                traceback = "Traceback" in response.text or 'File "' in response.text
                total.counts.update({"sent": 1, "5xx": response.status_code >= 500, "tracebacks": traceback})
            r.card(r.texts[r.draft(f"Still standing after the {kind} payloads, round {i}.")], timeout=30)
            total.counts["still works"] += 1
        except Exception as exc:
            total.failures.append(f"round {i} raised {oneline(exc)}")
        r.settle()
        problems = half_stored(r)
        total.failures += problems[:3]
        logged = lab.log.errors[errors:]
        total.failures += [f"round {i} logged an error: {e}" for e in logged[:2]]
        posts, logged = len(lab.sandbox.x.posts), len(logged)
        total.counts.update({"rounds": 1, "half-stored": len(problems), "posts": posts, "errors logged": logged})
        took, sent = time.perf_counter() - started, total.counts["sent"]
        print(f"  {kind} · round {i}/{rounds} · {took:.1f} s · {sent} sent", flush=True)
    return total
