"""Bad input, fuzzed: hypothesis-generated Slack payloads for every listener, signed, over HTTP, to one running app.

Each test starts the app once (the `bot` fixture) and sends every generated example to it: message events of every
subtype, block actions for every `ActionId` and unknown ones, view submissions for every `CallbackId` and unknown
ones, `/countersign` with any text — with fields missing or of the wrong type, tampered refs and metadata, huge
texts, lone surrogates, invisible characters and mrkdwn injection. Each listener kind is split into variants so
every subtype and id gets its share of examples whatever hypothesis favours.

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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.ids import ActionId, BlockId, CallbackId, InputId
from storage.models import AuditEvent, Card, Draft, DraftVersion
from tests.e2e.harness import (
    DRAFTS,
    GUEST,
    OTHER_TEAM,
    OUTSIDER,
    OWNER,
    OWNER2,
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

APPROVERS = (OWNER, OWNER2)
MISSING: Any = object()  # a field left out of the payload
FRESH: Any = object()  # filled at send time (trigger ids expire after 3 s, event ids must be new)

# -- values ----------------------------------------------------------------------------------------

INJECTIONS = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!here|here>",
    "<@U0EVIL>",
    "<@U0EVIL|boss>",
    "<#C0EVIL|general>",
    "<!subteam^S0EVIL|@admins>",
    "<https://evil.example|bank>",
    "<https://evil.example>",
    "<http://evil.example/login|https://bank.example>",
    "<mailto:x@evil.example|support>",
    "&lt;!channel&gt;",
    "&lt;https://evil.example|bank&gt;",
    "&lt;@U0EVIL&gt;",
    "&amp;lt;!here&amp;gt;",
    "<<!channel>>",
    "<!date^0^{date}|today>",
    "a < b > c",
    "*bold* _it_ `code` ```block``` >quote",
    "\n---\n",
    "https://example.com/path?q=1",
    "@channel",
)
# Zero-width and bidirectional controls: those the app removes, and ZWNJ/ZWJ, which it keeps.
INVISIBLE = (
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff\u061c\u180e"
)
REMOVED = re.compile("[\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
ODD = (
    "Fresh beans are in.",
    "é",
    "e\u0301",
    "👩\u200d👩\u200d👧",
    "日本語",
    "\uffff",
    "\ufffe",
    "\x00",
    "\r\n",
    "&",
    " ",
)


def chance(one_in: int) -> st.SearchStrategy[bool]:
    """True about once in `one_in` draws; shrinks to False."""
    return st.integers(0, one_in - 1).map(lambda n: n == one_in // 2)


fragment = st.one_of(
    st.sampled_from(INJECTIONS),
    st.text(max_size=12),
    st.sampled_from(INVISIBLE),
    st.characters(categories=["Cs"]),  # lone surrogates: JSON carries them as \ud800
    st.sampled_from(ODD),
)
short_text = st.lists(fragment, min_size=1, max_size=8).map("".join)
huge_text = st.tuples(short_text, st.integers(3_000, 40_000)).map(
    lambda pair: ((pair[0] or "x") * (pair[1] // max(len(pair[0]), 1) + 1))[: pair[1]]
)
text = chance(15).flatmap(lambda huge: huge_text if huge else short_text)

# Where Slack sends a string or an object, Bolt's own parsing tolerates these…
soft_junk = st.one_of(
    st.none(),
    st.just(MISSING),
    st.just(""),
    short_text,
    st.dictionaries(st.sampled_from(["id", "type", "text", "value", "ts"]), st.integers(), max_size=2),
)
# …but not these, which are for the envelope variants.
hard_junk = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.integers(), max_size=2),
)
junk = st.one_of(soft_junk, hard_junk)
plausible_id = st.from_regex(r"[UW][A-Z0-9]{1,10}", fullmatch=True).filter(lambda s: "EVIL" not in s)
user_id = st.one_of(st.sampled_from([WRITER, OWNER, OWNER2, OUTSIDER, GUEST, "U0BOT", "USLACKBOT"]), plausible_id)
ts_value = st.sampled_from(range(300)).map(lambda n: f"1763700000.{n:06d}")  # small enough for events to meet
TAMPERED_REFS = (
    "",
    "1",
    "1:",
    ":1",
    "1:1:1",
    "1:1\n",
    "\u0661:\u0661",
    "\uff11:\uff11",
    " 1:1",
    "1:1 ",
    "-1:1",
    "1:-1",
    "0x1:1",
    "1:1;DROP TABLE draft",
    "9" * 19 + ":1",
    "1:" + "9" * 10,
    "9" * 400 + ":1",
    "{'draft_id': 1, 'version': 1}",
)


def shaped(normal: st.SearchStrategy[Any], one_in: int = 4, broken: st.SearchStrategy[Any] = junk) -> Any:
    """Usually `normal`; about once in `one_in`, something else (junk, or the field left out)."""
    return chance(one_in).flatmap(lambda is_broken: broken if is_broken else normal)


def strip_missing(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_missing(v) for k, v in value.items() if v is not MISSING}
    if isinstance(value, list):
        return [strip_missing(v) for v in value if v is not MISSING]
    return value


@dataclass
class Payload:
    kind: str
    variant: str
    body: Any
    raw: bytes | None = None  # sent as is instead of `body` (bodies that aren't even JSON)


@dataclass(frozen=True)
class Anchors:
    """Drafts made before fuzzing: one pending, one rejected (whose refs are safe in an approver's click)."""

    pending_id: int
    pending_ts: str
    rejected_id: int
    rejected_ts: str

    def refs(self) -> st.SearchStrategy[Any]:
        real = [f"{self.pending_id}:1", f"{self.pending_id}:2", f"{self.rejected_id}:1", "3:1", "4:1", "5:1"]
        return st.one_of(
            st.sampled_from(real),
            st.tuples(st.integers(0, 10**6), st.integers(0, 5)).map(lambda p: f"{p[0]}:{p[1]}"),
            st.sampled_from(TAMPERED_REFS),
            short_text,
            junk,
        )

    def safe_refs(self) -> st.SearchStrategy[Any]:
        """Refs an approver may click without approving anything: decided, absent, or malformed."""
        decided = [f"{self.rejected_id}:1", f"{self.rejected_id}:2", "999999:1", "0:0"]
        return st.one_of(st.sampled_from(decided), st.sampled_from(TAMPERED_REFS), junk)


def is_approver(user: Any) -> bool:
    return isinstance(user, dict) and user.get("id") in APPROVERS


# -- message events --------------------------------------------------------------------------------


def envelope(event: Any, event_id: Any = FRESH) -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": TEAM,
        "api_app_id": "A0APP",
        "type": "event_callback",
        "event": event,
        "event_id": event_id,
        "event_time": 1763800000,
        "authorizations": [{"team_id": TEAM, "user_id": "U0BOT", "is_bot": True, "is_enterprise_install": False}],
    }


@st.composite
def message_events(draw: st.DrawFn, anchors: Anchors, kind: str) -> Payload:
    """A message event as Slack shapes it for `kind`, with any of our fields broken."""
    target_ts = st.one_of(ts_value, st.sampled_from([anchors.pending_ts, anchors.rejected_ts]))

    def message(ts: st.SearchStrategy[str]) -> dict[str, Any]:
        body = {
            "type": "message",
            "user": draw(shaped(user_id, broken=soft_junk)),
            "text": draw(shaped(text)),
            "ts": draw(shaped(ts)),
            "team": TEAM,
            "client_msg_id": "9b1c0000-0000-4000-8000-000000000000",
        }
        if draw(chance(5)):
            body["thread_ts"] = draw(shaped(target_ts))
        if draw(chance(8)):
            body["bot_id"] = draw(shaped(st.sampled_from(["B0BOT", "B0OTHER"])))
        return body

    event_ts = draw(ts_value)
    event: dict[str, Any]
    match kind:
        case "changed":
            inner = message(target_ts)
            inner["edited"] = {"user": inner["user"], "ts": event_ts}
            event = {"type": "message", "subtype": "message_changed", "hidden": True, "ts": event_ts}
            event["message"] = draw(shaped(st.just(inner), 8, broken=soft_junk))
            event["previous_message"] = draw(shaped(st.just(message(target_ts)), 8, broken=soft_junk))
        case "deleted":
            event = {"type": "message", "subtype": "message_deleted", "hidden": True, "ts": event_ts}
            event["deleted_ts"] = draw(shaped(target_ts))
            event["previous_message"] = draw(shaped(st.just(message(target_ts)), 8, broken=soft_junk))
        case _:
            event = message(ts_value)
    match kind:
        case "thread_reply":
            event["thread_ts"] = draw(target_ts)
        case "bot":
            event["bot_id"] = draw(st.sampled_from(["B0BOT", "B0OTHER"]))
            if draw(st.booleans()):
                event["subtype"] = "bot_message"
        case "file_share":
            event["subtype"] = "file_share"
            file = {"id": "F01", "name": draw(short_text), "mimetype": "image/png", "url_private": "https://f/x"}
            event["files"] = draw(shaped(st.just([file])))
        case "other_subtype":
            others = ("channel_join", "channel_topic", "me_message", "thread_broadcast", "message_replied")
            event["subtype"] = draw(st.one_of(st.sampled_from(others), short_text, junk))
    channels = st.sampled_from([DRAFTS] * 6 + ["C0RANDOM", "D0OWNER"])
    event.update(channel=draw(shaped(channels, 8, broken=soft_junk)), channel_type="channel", event_ts=event_ts)
    event_id = draw(chance(6).flatmap(lambda odd: st.one_of(st.just("Ev0REPLAYED"), junk) if odd else st.just(FRESH)))
    return Payload("event", kind, envelope(event, event_id))


RAW_BODIES = (
    b"[1, 2]",
    b"null",
    b'"text"',
    b"{nope",
    b'{"type": "event_callback", "event": {"type": "message", "text": "\xff\xfe"}}',  # not UTF-8
    b"",
    b"{}",
    b'{"type": "event_callback"}',
)


@st.composite
def broken_event_envelopes(draw: st.DrawFn, anchors: Anchors) -> Payload:
    """What Bolt reads before any listener: the body, `event` and its type, ids, authorizations."""
    payload = draw(message_events(anchors, draw(st.sampled_from(["plain", "changed", "deleted"]))))
    body, event = payload.body, payload.body["event"]
    match draw(st.integers(0, 6)):
        case 0:
            body["event"] = draw(junk.filter(lambda v: v is not MISSING))
        case 1:
            event["type"] = draw(junk)
        case 2:
            event["user"] = draw(hard_junk)
        case 3:
            event["channel"] = draw(hard_junk)
        case 4:
            body[draw(st.sampled_from(["authorizations", "team_id", "type", "enterprise"]))] = draw(junk)
        case 5:
            event.pop("user", None)
            event["message"] = {"type": "message", "user": draw(hard_junk), "text": "x", "ts": "1763700000.000001"}
        case _:
            return Payload("event", "envelope", None, raw=draw(st.sampled_from(RAW_BODIES)))
    return Payload("event", "envelope", body)


# -- block actions ---------------------------------------------------------------------------------------


@st.composite
def identities(draw: st.DrawFn) -> tuple[Any, Any]:
    """(user object, team object): approvers, outsiders, guests of another organisation, and junk."""
    team: Any = {"id": TEAM, "domain": "acme"}
    match draw(st.integers(0, 6)):
        case 0 | 1:
            user: Any = {"id": draw(st.sampled_from(APPROVERS)), "team_id": TEAM}
        case 2:
            user = {"id": draw(st.sampled_from(APPROVERS))}  # the team comes from the body
        case 3:
            user = {"id": draw(st.sampled_from([OUTSIDER, WRITER])), "team_id": TEAM}
        case 4:
            user = {"id": draw(st.sampled_from([OWNER, GUEST])), "team_id": OTHER_TEAM}
        case 5:
            user = {"id": draw(shaped(st.one_of(plausible_id, short_text), 2)), "team_id": draw(shaped(st.just(TEAM)))}
        case _:
            user = draw(st.one_of(soft_junk, st.just({"id": draw(user_id)})))
            team = draw(soft_junk)
    return user, team


MODAL_ACTIONS = {ActionId.EDIT.value, ActionId.REQUEST_CHANGES.value, ActionId.REJECT.value}  # they only open forms


@st.composite
def block_actions(draw: st.DrawFn, anchors: Anchors, action_id: str | None) -> Payload:
    """A click on a button with `action_id` (None: an id that isn't ours) from anyone, with our fields broken."""
    user, team = draw(identities())

    def action() -> dict[str, Any]:
        chosen = action_id if action_id is not None else draw(st.one_of(short_text, st.just("countersign.publish")))
        # An approver's click on anything that decides or publishes (Approve, Retry, Publish again…) may only
        # carry a ref that can't approve anything.
        refs = anchors.safe_refs() if is_approver(user) and chosen not in MODAL_ACTIONS else anchors.refs()
        return {
            "action_id": chosen,
            "block_id": draw(shaped(st.sampled_from([b.value for b in BlockId]))),
            "type": draw(shaped(st.just("button"))),
            "value": draw(st.one_of(refs, st.just(MISSING))),
            "text": draw(shaped(st.just({"type": "plain_text", "text": "Approve"}))),
            "action_ts": draw(shaped(ts_value)),
        }

    actions = [action() for _ in range(draw(st.integers(1, 2)))]
    channel_id = draw(shaped(st.sampled_from(["D0OWNER", "D0OWNER2", "D0OUTSIDER", DRAFTS, "C0RANDOM"])))
    container = {"type": "message", "message_ts": draw(shaped(ts_value)), "channel_id": channel_id}
    home = {"type": "view", "view_id": "V0HOME"}
    body = {
        "type": "block_actions",
        "user": user,
        "api_app_id": "A0APP",
        "token": "legacy",
        "container": draw(shaped(st.sampled_from([container, container, home]))),
        "trigger_id": draw(shaped(st.sampled_from([FRESH, FRESH, "expired.1.x"]))),
        "team": team,
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": draw(shaped(st.just({"id": channel_id, "name": "directmessage"}), broken=soft_junk)),
        "message": draw(shaped(st.just({"type": "message", "ts": "1763900000.000100", "text": "", "blocks": []}))),
        "response_url": draw(st.one_of(st.just(MISSING), short_text)),
        "state": draw(shaped(st.just({"values": {}}))),
        "actions": actions,
    }
    return Payload("action", action_id or "unknown", body)


@st.composite
def broken_action_envelopes(draw: st.DrawFn, anchors: Anchors) -> Payload:
    """What Bolt reads: `actions[0]` and its `action_id`, and the user, team and channel objects."""
    payload = draw(block_actions(anchors, draw(st.sampled_from([ActionId.EDIT.value, ActionId.REJECT.value]))))
    body = payload.body
    match draw(st.integers(0, 4)):
        case 0:
            body["actions"] = draw(st.one_of(junk, st.just([]), hard_junk.map(lambda v: [v])))
        case 1:
            body["actions"] = [{k: v for k, v in body["actions"][0].items() if k != "action_id"}]
        case 2:
            body["actions"][0]["action_id"] = draw(hard_junk)
        case 3:
            body[draw(st.sampled_from(["user", "team", "channel", "enterprise"]))] = draw(hard_junk)
        case _:
            raw = draw(
                st.sampled_from([b"payload=%7Bnope", b"payload=%5B1%5D", b"payload=null", b"x=1", b"payload=%FF"])
            )
            return Payload("action", "envelope", None, raw=raw)
    return Payload("action", "envelope", body)


# -- view submissions ------------------------------------------------------------------------------------


@st.composite
def view_submissions(draw: st.DrawFn, anchors: Anchors, callback_id: str | None) -> Payload:
    """A submission of the modal `callback_id` (None: one that isn't ours), with our fields broken."""
    user, team = draw(identities())
    callback = callback_id if callback_id is not None else draw(st.one_of(short_text, st.just("countersign.other")))
    # An approver's submitted edit approves it: only with a ref that can't approve anything.
    publishing = is_approver(user) and callback == CallbackId.EDIT
    metadata = draw(st.one_of(anchors.safe_refs() if publishing else anchors.refs(), st.just(MISSING)))

    def field(block: str, action: str) -> dict[str, Any]:
        element = {"type": draw(shaped(st.just("plain_text_input"))), "value": draw(shaped(text))}
        block_id = draw(shaped(st.just(block), 6, broken=short_text))
        return {block_id: draw(shaped(st.just({action: element}), 6))}

    values: dict[str, Any] = {}
    for block, action in ((BlockId.EDIT_TEXT.value, InputId.TEXT.value), (BlockId.REASON.value, InputId.REASON.value)):
        if not draw(chance(4)):
            values.update(field(block, action))
    view = {
        "id": "V0SUB00001",
        "team_id": TEAM,
        "type": "modal",
        "callback_id": callback,
        "private_metadata": metadata,
        "hash": draw(shaped(st.just("1763900002.x1"))),
        "blocks": draw(shaped(st.just([]))),
        "state": draw(shaped(st.just({"values": draw(shaped(st.just(values), 6))}), 6)),
        "title": {"type": "plain_text", "text": "Edit"},
    }
    body = {
        "type": "view_submission",
        "team": team,
        "user": user,
        "api_app_id": "A0APP",
        "token": "legacy",
        "trigger_id": draw(shaped(st.just("1763900000000.1.x"))),
        "view": view,
        "response_urls": draw(st.sampled_from([[], MISSING])),
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return Payload("view", callback_id or "unknown", body)


@st.composite
def broken_view_envelopes(draw: st.DrawFn, anchors: Anchors) -> Payload:
    """What Bolt reads: the view object, its type and callback id, the user and team objects, response_urls."""
    payload = draw(view_submissions(anchors, draw(st.sampled_from([CallbackId.REJECT.value, None]))))
    body = payload.body
    match draw(st.integers(0, 4)):
        case 0:
            body["view"] = draw(junk)
        case 1:
            del body["view"][draw(st.sampled_from(["type", "callback_id"]))]
        case 2:
            body["view"]["callback_id"] = draw(hard_junk)
        case 3:
            body[draw(st.sampled_from(["user", "team"]))] = draw(hard_junk)
        case _:
            body["response_urls"] = draw(st.one_of(hard_junk, st.just([1])))
    return Payload("view", "envelope", body)


# -- slash commands ------------------------------------------------------------------------------------

COMMAND_FIELDS = {
    "token": st.just("legacy"),
    "team_id": st.just(TEAM),
    "team_domain": st.just("acme"),
    "channel_id": st.one_of(st.sampled_from([DRAFTS, "D0OWNER", "C0RANDOM"]), short_text),
    "channel_name": short_text,
    "user_id": st.one_of(user_id, short_text),
    "user_name": short_text,
    "api_app_id": st.just("A0APP"),
    "trigger_id": short_text,
}
WORDS = (
    "status",
    "STATUS",
    "help",
    "show",
    "show 1",
    "show #2",
    "show 999999",
    "show \u00b2",
    "show <!channel>",
    "digest",
    "pause",
    "resume",
    "",
    "  status  ",
    "status x",
)


@st.composite
def slash_commands(draw: st.DrawFn, command: str | None) -> Payload:
    """`/countersign` (or, with None, another command or none) with any text; form fields may be missing."""
    fields = {name: draw(strategy) for name, strategy in COMMAND_FIELDS.items() if not draw(chance(6))}
    words = st.sampled_from(WORDS)
    fields["text"] = draw(st.one_of(words, text, st.tuples(words, text).map(" ".join)))
    fields["command"] = command if command is not None else draw(st.sampled_from(["/other", "/countersign2", MISSING]))
    # Slack always sends a response_url with a command; without one, `/countersign digest` can't answer at all
    # (Bolt's respond() raises), so it is the one field kept, pointing at the sandbox.
    fields["response_url"] = FRESH
    return Payload("command", "countersign" if command else "other", strip_missing(fields))


# -- variants --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    name: str
    share: float  # of its kind's examples
    answers: frozenset[int]  # the documented answers (see the module docstring)
    payloads: Callable[[Anchors], st.SearchStrategy[Payload]]


ROUTED = frozenset({200})
ENVELOPE = frozenset({200, 400, 404})  # Bolt may still route some; a wrong `type` leaves nothing to route to


def _event(kind: str) -> Callable[[Anchors], st.SearchStrategy[Payload]]:
    return lambda anchors: message_events(anchors, kind)


def _action(action_id: str | None) -> Callable[[Anchors], st.SearchStrategy[Payload]]:
    return lambda anchors: block_actions(anchors, action_id)


def _view(callback_id: str | None) -> Callable[[Anchors], st.SearchStrategy[Payload]]:
    return lambda anchors: view_submissions(anchors, callback_id)


VARIANTS: dict[str, list[Variant]] = {
    "event": [
        Variant("plain", 0.25, ROUTED, _event("plain")),
        Variant("thread_reply", 0.08, ROUTED, _event("thread_reply")),
        Variant("bot", 0.08, ROUTED, _event("bot")),
        Variant("file_share", 0.1, ROUTED, _event("file_share")),
        Variant("changed", 0.17, ROUTED, _event("changed")),
        Variant("deleted", 0.1, ROUTED, _event("deleted")),
        Variant("other_subtype", 0.07, ROUTED, _event("other_subtype")),
        Variant("envelope", 0.15, ENVELOPE, broken_event_envelopes),
    ],
    "action": [
        *(Variant(a.value, 0.75 / len(ActionId), ROUTED, _action(a.value)) for a in ActionId),
        Variant("unknown", 0.1, ROUTED, _action(None)),
        Variant("envelope", 0.15, ENVELOPE, broken_action_envelopes),
    ],
    "view": [
        Variant(CallbackId.EDIT.value, 0.25, ROUTED, _view(CallbackId.EDIT.value)),
        Variant(CallbackId.REQUEST_CHANGES.value, 0.2, ROUTED, _view(CallbackId.REQUEST_CHANGES.value)),
        Variant(CallbackId.REJECT.value, 0.2, ROUTED, _view(CallbackId.REJECT.value)),
        Variant("unknown", 0.15, ROUTED, _view(None)),
        Variant("envelope", 0.2, ENVELOPE, broken_view_envelopes),
    ],
    "command": [
        Variant("countersign", 0.85, ROUTED, lambda _: slash_commands("/countersign")),
        Variant("other", 0.15, frozenset({404}), lambda _: slash_commands(None)),
    ],
}


# -- sending and watching ----------------------------------------------------------------------------


class ErrorLog(logging.Handler):
    """Every record at ERROR or above, from any logger (a listener that raised logs one via `bot.app`).

    Except `bot.runner`'s "error while stopping": waitress's shutdown trigger sometimes finds its pipe already
    closed (EBADF) when the app is stopped — a teardown race in `HttpServer.stop`, not a payload being handled.
    """

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not (record.name == "bot.runner" and record.msg == "error while stopping"):
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
        assert_escaped(shown(answer), allowed_mentions(bot), where=f"answer to a {payload.variant} {payload.kind}")
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


def shown(node: Any) -> list[str]:
    """Every string Slack would render from an API call's arguments: message text, Block Kit text, modal errors."""
    found: list[str] = []
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "text" and isinstance(value, str):
                found.append(value)  # a text object's text, or a message's own (notification) text
            elif name == "errors" and isinstance(value, dict):
                found.extend(v for v in value.values() if isinstance(v, str))
            elif isinstance(value, (dict, list)):
                found.extend(shown(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(shown(item))
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
            assert_escaped(shown(call.args), mentions, where=call.method)
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
