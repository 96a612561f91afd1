"""Hypothesis strategies for every kind of Slack payload Countersign listens to, well-formed or not.

Used by test_fuzz.py: message events of every subtype, block actions for every `ActionId` and unknown ones, view
submissions for every `CallbackId` and unknown ones, `/countersign` with any text; fields missing or of the wrong
type, tampered refs and metadata, huge texts, lone surrogates, invisible characters and mrkdwn injection. Each
listener kind is split into `VARIANTS` so every subtype and id gets its share of examples.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from bot.slack.ids import ActionId, BlockId, CallbackId, InputId
from tests.e2e.harness import (
    DRAFTS,
    GUEST,
    OTHER_TEAM,
    OUTSIDER,
    OWNER,
    OWNER2,
    TEAM,
    WRITER,
)

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


# What a Slack client sends beside `text`: rich_text blocks, with every element kind, mentions that must not
# reach X or ping anyone, custom emoji, and elements that are junk or of kinds the app doesn't know.
LEAVES = (
    {"type": "user", "user_id": "U0EVIL"},
    {"type": "user", "user_id": WRITER},
    {"type": "broadcast", "range": "channel"},
    {"type": "channel", "channel_id": "C0EVIL"},
    {"type": "usergroup", "usergroup_id": "S0EVIL"},
    {"type": "emoji", "name": "coffee", "unicode": "2615"},
    {"type": "emoji", "name": "partyparrot"},
    {"type": "emoji", "name": "wave", "unicode": "1f44b-1f3fc", "skin_tone": 3},
    {"type": "emoji", "name": "x", "unicode": "d800-110000"},
    {"type": "link", "url": "https://evil.example", "text": "<!channel>"},
    {"type": "date", "timestamp": 1767225600, "format": "{date}", "fallback": "<!here>"},
    {"type": "color", "value": "#C0FFEE"},
    {"type": "canvas", "canvas_id": "F0"},
)
leaf = st.one_of(
    st.builds(
        lambda t, s: {"type": "text", "text": t, "style": s},
        text,
        st.one_of(st.sampled_from([{"bold": True}, {}]), junk),
    ),
    st.sampled_from(LEAVES),
    st.dictionaries(
        st.sampled_from(["type", "text", "url", "name", "unicode", "range", "timestamp"]), junk, max_size=3
    ),
    junk,
)
container = st.fixed_dictionaries(
    {
        "type": shaped(
            st.sampled_from(["rich_text_section", "rich_text_list", "rich_text_quote", "rich_text_preformatted"]), 6
        ),
        "elements": shaped(st.lists(leaf, max_size=4), 6),
        "style": st.sampled_from(["bullet", "ordered", None]),
        "indent": shaped(st.integers(0, 3), 6),
        "offset": shaped(st.integers(0, 10**12), 6),
    }
)
rich_text_blocks = st.lists(
    st.fixed_dictionaries(
        {"type": st.just("rich_text"), "block_id": short_text, "elements": shaped(st.lists(container, max_size=3), 6)}
    ),
    max_size=2,
)


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
        if draw(chance(2)):
            body["blocks"] = draw(shaped(rich_text_blocks, 5))
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
