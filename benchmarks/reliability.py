"""Reliability figures: every fault and bad input we can produce, injected N times into the real app, and counted.

Each round runs the real app in HTTP mode on loopback (in this process, or as a subprocess for crashes) against the
Slack and X sandboxes with a fresh SQLite file: a draft, the owner's approval, the fault at its moment; then the end
state is awaited, the app is stopped, and the round is counted: posts on X, duplicates, drafts and decisions lost,
and the state each draft ended in with the buttons its cards offer. Bad input comes from a seeded random generator,
is sent signed, and is counted: 5xx answers, tracebacks in answers, rows stored half-way, posts made.

    .venv/bin/python benchmarks/reliability.py [--rounds 3] [--payloads 80] [--seed 4] [--out docs/reliability.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _app import (
    APPROVERS,
    DRAFTS,
    LEASE,
    OWNER,
    OWNER2,
    WRITER,
    Lab,
    Round,
    Tally,
    final_text,
    oneline,
    poll,
)
from _bad_input import BAD, INPUT_EXPECTED, INPUTS, BadInput, bad_input
from _message_life import deleted_first, edits_reversed, refused_then_fixed, slackbot_and_unfurl, tombstone
from _ops import digest_lost, digest_refused, names_fail, names_slow, own_drafts

from bot.networks.x.client import XAccount
from bot.slack.ids import BlockId, CallbackId, InputId
from storage.types import utcnow

Outcome = tuple[int, set[str], int, dict[str, bool]]  # faults injected, end states expected, posts expected, checks
Body = Callable[[Round, int], Outcome]
ASKED, PUBLISHED = "unknown, asked", "published"


# -- X answers badly ---------------------------------------------------------------------------------------------


def x_rate_limited(r: Round, i: int, daily: bool) -> Outcome:
    x, kind = r.lab.sandbox.x, ("user", "app")[i % 2] if daily else None
    x.fail(status=429, daily=kind, daily_reset_in=1.5) if daily else x.fail(status=429, reset_in=1)
    ts, _ = r.approve(f"Rate limited ({kind or 'window'}), round {i}.")
    queued = poll(lambda: (d := r.row(ts)) and d.next_attempt_at and d, 5, "a queued retry")
    r.wait_status(ts, PUBLISHED)
    posts, due = x.live_posts(), queued.next_attempt_at
    waited = bool(posts) and due is not None and posts[0].created_at >= due
    return r.audits("publish_retry"), {PUBLISHED}, 1, {"posted only after the reset X announced": waited}


def x_refused(r: Round, i: int) -> Outcome:
    r.lab.sandbox.x.go_down()
    try:
        ts, _ = r.approve(f"X is unreachable, round {i}.")
        poll(lambda: (d := r.sent(ts)) and d.status == "approved" and d.last_error, 10, "a refused attempt")
    finally:
        r.lab.sandbox.x.come_up()
    r.wait_status(ts, PUBLISHED, timeout=15)
    return r.audits("publish_retry"), {PUBLISHED}, 1, {}


def x_uncertain(r: Round, i: int, inject: Callable[[], None], found: bool) -> Outcome:
    """A fault after which X may have the post: found on the account → published; not there → approvers asked."""
    inject()
    ts, _ = r.approve(f"Did X take it? Round {i}.")
    r.reconciled(ts)
    assert r.running is not None
    r.running.services.publisher.run_once()  # a later pass never re-sends it on its own
    return r.audits("publish_uncertain"), {PUBLISHED if found else ASKED}, int(found), {}


def x_links_made(r: Round, i: int) -> Outcome:
    """X shows every link (bare domains too) as t.co: the post is still recognised."""
    x = r.lab.sandbox.x
    x.fail(status=500, record_anyway=True)
    ts, _ = r.approve(f"Menu at northwind.coffee, or https://northwind.coffee/menu?round={i} (round {i}).")
    r.reconciled(ts)
    linked = (sent := r.sent(ts)) is not None and sent.post_ids == [p.id for p in x.live_posts()]
    return r.audits("publish_uncertain"), {PUBLISHED}, 1, {"linked to the post made": linked}


def x_timeline_lag(r: Round, i: int) -> Outcome:
    """The first look misses a post X's timeline shows 3 s late; a look booked in the database finds it."""
    x = r.lab.sandbox.x
    x.lag_timeline(3)
    x.fail(status=500, record_anyway=True)
    ts, _ = r.approve(f"Late on the timeline, round {i}.")
    r.wait_status(ts, PUBLISHED, "failed", timeout=20)
    looks = ((sent := r.sent(ts)) and sent.looks) or 0
    return r.audits("publish_uncertain"), {PUBLISHED}, 1, {"found by a later look": looks >= 2}


def x_read_timeout(r: Round) -> None:
    assert r.running is not None
    r.running.services.publisher.account.client.session.timeout = (2.0, 0.5)
    r.lab.sandbox.x.hang(seconds=2.0, record_anyway=True)


def x_duplicate(r: Round, i: int) -> Outcome:
    x, text = r.lab.sandbox.x, f"Said it before, round {i}."
    up = XAccount(api_key=x.consumer_key, api_secret="s", access_token="t", access_token_secret="s", base_url=x.url)
    first = up.post(final_text(text))
    ts, _ = r.approve(text)
    r.reconciled(ts)
    linked = (sent := r.sent(ts)) is not None and sent.post_ids == [first]
    return r.audits("publish_uncertain"), {PUBLISHED}, 1, {"linked to the post already up": linked}


def x_refusal(r: Round, i: int, status: int, why: str) -> Outcome:
    r.lab.sandbox.x.fail(status=status)
    ts, _ = r.approve(f"X says {status}, round {i}.")
    r.wait_status(ts, "failed")
    return r.audits("publish_failed"), {f"failed: {why}, Retry"}, 0, {}


# -- Slack answers badly -----------------------------------------------------------------------------------------


def slack_rate_limited(r: Round, i: int, method: str) -> Outcome:
    slack, text = r.lab.sandbox.slack, f"Slack says slow down ({method}), round {i}."
    if method == "chat.postMessage":
        slack.fail(method, error="ratelimited", status=429, retry_after=1)
    ts, card = r.submitted(text)
    if method == "chat.update":
        slack.fail(method, error="ratelimited", status=429, retry_after=1)
    r.click(ts, card, "Approve")
    r.wait_status(ts, PUBLISHED)
    r.settle()
    calls = [c for c in slack.calls_to(method) if text in str(c.args.get("blocks"))]
    limited = [c for c in calls if c.status == 429]
    later = [c for c in calls if c.status == 200 and limited and c.at - limited[0].at >= 0.9]
    cards = [m for a in APPROVERS for m in slack.messages(f"D{a[1:]}") if text in str(m.blocks)]
    checks = {"retried after Retry-After": bool(later), "one card per approver": len(cards) == len(APPROVERS)}
    return len(limited), {PUBLISHED}, 1, {**checks, "cards show the post": r.cards_current()}


def slack_unreachable(r: Round, i: int) -> Outcome:
    slack = r.lab.sandbox.slack
    ts, card = r.submitted(f"Decided while Slack is away, round {i}.")
    slack.go_down()
    try:
        r.click(ts, card, "Approve")  # the click reaches the app; the app's calls back to Slack can't
        r.wait_status(ts, PUBLISHED, timeout=15)
        r.settle()  # the listener and the publisher have given up on Slack
    finally:
        slack.come_up()
    assert r.running is not None
    tick = r.running.services.scheduler.tick(utcnow() + timedelta(minutes=3))  # past the live path's grace and claims
    told = [m for m in slack.thread(DRAFTS, ts) if "published" in m.text]
    checks = {
        f"cards up to date after the tick (it caught up {tick.cards_caught_up})": r.cards_current(),
        f"the writer told it was published, once (told {len(told)} times)": len(told) == 1,
    }
    return 1, {PUBLISHED}, 1, checks


# -- the process dies --------------------------------------------------------------------------------------------


def after_restart(r: Round, ts: str) -> str:
    """Restart in this process on the same database (which recovers the dead process's claim), settle, catch the
    cards up."""
    r.start()
    assert r.running is not None
    draft = r.reconciled(ts, timeout=20, drive=r.running.services.publisher.run_once)
    r.running.services.scheduler.tick()
    return str(draft.status)


def crash(r: Round, i: int, failpoint: str) -> Outcome:
    ts, _ = r.approve(f"Crash {failpoint}, round {i}.")
    code = r.exit_code()
    status = after_restart(r, ts)
    expected = {"after-claim": {ASKED}, "after-x-call": {PUBLISHED}}.get(failpoint, {PUBLISHED, ASKED})
    checks = {"exited at the failpoint (86)": code == 86, "cards show the end state": r.cards_current()}
    return int(code == 86), expected, int(status == PUBLISHED), checks


def sigkill(r: Round, i: int, after_post: bool) -> Outcome:
    """kill -9 at a random moment after the approval, or once X has the post and the app is looking up its link."""
    x = r.lab.sandbox.x
    if after_post:
        x.hang(route="GET /2/users/me", seconds=15)  # the link lookup comes after the post's id is stored
    ts, _ = r.approve(f"Killed {'after the post' if after_post else 'at random'}, round {i}.")
    if after_post:
        poll(lambda: any(q.route == "GET /2/users/me" for q in x.requests), 10, "the link lookup")
    else:
        time.sleep(random.Random(i).uniform(0, 0.3))  # the moment of the kill, not a wait for a condition
    assert r.process is not None
    r.process.kill()
    code = r.exit_code()
    status = after_restart(r, ts)
    expected, posts = ({PUBLISHED}, 1) if after_post else ({PUBLISHED, ASKED}, int(status == PUBLISHED))
    return int(code == -9), expected, posts, {"cards show the end state": r.cards_current()}


def killed_after_intake(r: Round, i: int) -> Outcome:
    """kill -9 as soon as Slack got its 200 for a draft: the draft is kept, and a tick sends the cards later."""
    slack, text = r.lab.sandbox.slack, f"Killed right after the 200, round {i}."
    r.draft(text)
    assert r.process is not None
    r.process.kill()
    code = r.exit_code()
    r.start()
    assert r.running is not None
    r.running.services.scheduler.tick(utcnow() + timedelta(minutes=3))  # past the grace for cards still going out
    cards = [len([m for m in slack.messages(f"D{a[1:]}") if text in str(m.blocks)]) for a in APPROVERS]
    checks = {"every approver has a card": min(cards) >= 1, "cards show the draft": r.cards_current()}
    return int(code == -9), {"pending"}, 0, {**checks, "note: an approver got two cards": max(cards) > 1}


# -- Slack says it twice -----------------------------------------------------------------------------------------


def double_click(r: Round, i: int) -> Outcome:
    slack, text = r.lab.sandbox.slack, f"Click me thrice, round {i}."
    ts, _ = r.submitted(text)
    cards = {who: r.card(text, who) for who in APPROVERS}
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda who: r.click(ts, cards[who], "Approve", who), (OWNER, OWNER2, OWNER)))
    r.wait_status(ts, PUBLISHED)
    told = slack.wait_for(lambda s: len(e := [m for m in s.ephemerals() if "already decided" in m.text]) >= 2 and e)
    r.settle()
    replies = [m for m in slack.thread(DRAFTS, ts) if "published" in m.text]
    checks = {"every click answered 200": answers == [200] * 3, "two told 'already decided'": len(told) == 2}
    return len(answers), {PUBLISHED}, 1, {**checks, "one 'published' reply": len(replies) == 1}


def event_retries(r: Round, i: int) -> Outcome:
    slack, driver, text = r.lab.sandbox.slack, r.driver, f"Deliver me four times, round {i}."
    assert driver is not None
    event, event_id = driver.message_event(WRITER, text, DRAFTS), driver.new_event_id()
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda n: driver.event(event, event_id=event_id, retry_num=n or None), range(4)))
    ts = event["ts"]
    if any(a.status_code == 200 for a in answers):
        r.texts[ts] = text
    r.click(ts, r.card(text), "Approve")
    r.wait_status(ts, PUBLISHED)
    slack.wait_for(lambda s: [m for m in s.thread(DRAFTS, ts) if "published" in m.text])
    r.settle()
    cards = [c for c in slack.calls_to("chat.postMessage") if text in str(c.args.get("blocks"))]
    intake = [m for m in slack.thread(DRAFTS, ts) if "for approval" in m.text]
    return (
        len(answers),
        {PUBLISHED},
        1,
        {"one card per approver": len(cards) == 2, "one intake reply": len(intake) == 1},
    )


# -- what Slack's formatting must not do to a post ---------------------------------------------------------------


def slack_formatting(r: Round, i: int) -> Outcome:
    """A typed message with styles, a mention and an emoji goes out as plain characters with the person's name;
    one with @here and a custom emoji is refused, named, and gets no card."""
    slack, typed = r.lab.sandbox.slack, f"*Grand* opening {i}! Ask <@{WRITER}> for a tour :coffee:"
    plain = f"Grand opening {i}! Ask Wendy Writer for a tour ☕"
    ts = r.draft(typed)
    r.texts[ts] = plain  # what X must get (the tally matches posts by it)
    card = r.card(plain)
    shown = [b["text"] for b in card.blocks if b.get("block_id") == BlockId.CARD_TEXT]
    r.click(ts, card, "Approve")
    r.wait_status(ts, PUBLISHED)
    refused = r.draft(f"Round {i}: come by <!here> :partyparrot:")
    r.texts.pop(refused, None)  # refused: never a draft
    told = slack.wait_for(lambda s: [m.text for m in s.thread(DRAFTS, refused) if "Not sent" in m.text], 10)
    r.settle()
    posts = [p.text for p in r.lab.sandbox.x.live_posts()]
    return (
        2,
        {PUBLISHED},
        1,
        {
            "X got the plain characters": posts == [final_text(plain)],
            "the card showed them as plain_text": shown
            == [{"type": "plain_text", "text": final_text(plain), "emoji": False}],
            "@here and the custom emoji refused, named": "`@here`" in told[0] and "`:partyparrot:`" in told[0],
            "no card for the refused message": not [m for m in slack.messages() if f"Round {i}: come" in str(m.blocks)],
        },
    )


def edit_form_text(r: Round, i: int) -> Outcome:
    """Case 7: what the owner types into the Edit form is plain text, published exactly."""
    slack, driver, typed = r.lab.sandbox.slack, r.driver, f"We <3 our regulars -> see you &amp; co, round {i}"
    assert driver is not None
    ts, card = r.submitted(f"We love our regulars, round {i}.")
    r.click(ts, card, "Edit")
    view = slack.wait_for(lambda s: next((v for v in s.views if v.callback_id == CallbackId.EDIT), None))
    values = {BlockId.EDIT_TEXT.value: {InputId.TEXT.value: typed}}
    answer = driver.submit_view(view.callback_id, view.private_metadata, values, OWNER, view_id=view.id)
    r.texts[ts] = typed
    r.wait_status(ts, PUBLISHED)
    r.settle()
    posts = [p.text for p in r.lab.sandbox.x.live_posts()]
    return (
        1,
        {PUBLISHED},
        1,
        {"form accepted": answer.status_code == 200, "published exactly": posts == [final_text(typed)]},
    )


def slack_reset_after_post(r: Round, i: int) -> Outcome:
    """Slack takes each card and the writer's reply, then the connection resets before its answer: slack_sdk
    must not send them again, and the tick's catch-up must find the cards Slack kept instead of posting more."""
    slack, text = r.lab.sandbox.slack, f"Slack took it, then the line dropped, round {i}."
    slack.reset_after("chat.postMessage", times=3)  # both cards and the "for approval" reply
    ts = r.draft(text)
    card = r.card(text)
    r.card(text, OWNER2)
    slack.wait_for(lambda s: [m for m in s.thread(DRAFTS, ts) if "for approval" in m.text], 10)
    assert r.running is not None
    r.running.services.scheduler.tick(utcnow() + timedelta(minutes=3))  # past the grace for missing cards
    r.click(ts, card, "Approve")
    r.wait_status(ts, PUBLISHED)
    r.settle()
    cards = [len([m for m in slack.messages(f"D{a[1:]}") if text in str(m.blocks)]) for a in APPROVERS]
    intake = [m for m in slack.thread(DRAFTS, ts) if "for approval" in m.text]
    checks = {"one card per approver": cards == [1] * len(APPROVERS), "one intake reply": len(intake) == 1}
    return 3, {PUBLISHED}, 1, {**checks, "cards show the post": r.cards_current()}


# -- the table: key | name | how it is injected | what must happen ---------------------------------------------

TABLE = """
window | X 429, 15-minute window | 429 with x-rate-limit-reset in 1 s | waits for the reset, then posts once
daily | X 429, 24-hour cap | 429, x-user/x-app-limit-24hour exhausted, reset in 1.5 s | waits, then posts once
refused | X connection refused | X down until the first attempt failed | retried with backoff, posts once
5xx | X 500/503, no post | 5xx, the post not made | unknown; not found on the account; approvers asked
5xx-made | X 500, post made | X makes the post, then answers 500 | found on the account: published, one post
timeout | X read timeout | X makes the post, answers after 2 s; client reads 0.5 s | found on the account: published
links | X 500, post with links made | northwind.coffee and https:// links, t.co on the timeline | found: published
lag | X 500, timeline lags | X makes the post, its timeline shows it 3 s later | a later look finds it: published
drop-made | X dropped connection, post made | X makes the post, closes the socket | found on the account: published
drop | X dropped connection, no post | socket closed unanswered, no post made | unknown; approvers asked
duplicate | X 403 duplicate content | the same text already on the account | published, linked to that post
401 | X 401 | 401 Unauthorized | failed, "check the X keys", Retry button
402 | X 402 | 402, out of credits | failed, "out of credits", Retry button
slack-post | Slack 429 on chat.postMessage | 429, Retry-After: 1, on the first card | one card each, after the wait
slack-update | Slack 429 on chat.update | 429, Retry-After: 1, on the card update | cards show the post after the wait
slack-down | Slack unreachable during a decision | Slack down from the click until published | later tick: told once
after-claim | Crash after-claim | exit at the failpoint once the claim is committed | recovered at once, not on X; asked
after-x-call | Crash after-x-call | exit at the failpoint once X has the post | recovered at once, on X; published
before-card-update | Crash before-card-update | exit at the failpoint before the first card update | published or asked
intake | SIGKILL after a draft's 200 | kill -9 as soon as the message event is answered | kept (inbox replay); cards
kill | SIGKILL at a random moment | kill -9 0-300 ms after the approval | published or asked; cards current
kill-posted | SIGKILL after the post | kill -9 once X has the post, while its link is looked up | published
clicks | Double click x3 | 3 concurrent Approve clicks from 2 approvers | one post; the other two clickers told
retries | Event retries x4 | one message event delivered 4 times at once | one draft, one card each, one post
formatting | Slack formatting and ids | `*Grand* … <@U0WRITER> :coffee:`; `<!here> :partyparrot:` | plain; 2nd refused
edit-form | Edit form text (case 7) | the owner types `We <3 our regulars -> see you &amp; co` | published as typed
tombstone | Deletion as a tombstone | delete a draft with our reply, then its tombstone | withdrawn, cards say so
edits | Edits out of order | two edits delivered newest first | the older ignored; the newest is posted
deleted-first | Deletion before creation | deletion, then creation, then an edit of it | nothing live, nothing said
refused-fixed | Refused draft fixed by an edit | too long, then edited to fit | card, approved, posted once
slackbot | Slackbot and an unfurl | a /remind message; an unfurl of a pending draft | no draft, no new version
slack-reset | Slack reset after a post | Slack takes the cards and the reply, then resets | one card each, one reply
names-fail | users.info fails (case 3) | every users.info errors once the name cache expired | signed with the last name
names-slow | users.info slow (case 3) | users.info takes 3 s during a decision | the next message acked under 1 s
digest-lost | Digest answer lost (case 5) | Slack posts the digest, the answer never comes | one digest; approvers told
digest-refused | Digest refused (case 5) | not_in_channel for ten minutes of ticks, then invited | tried once, told once
own-drafts | Approvers' own drafts (case 6) | 20 drafts by an approver, then a writer's card lost | caught up at once
"""


def _fail(status: int, record: bool) -> Body:
    return lambda r, i: x_uncertain(r, i, lambda: r.lab.sandbox.x.fail(status=status, record_anyway=record), record)


def _drop(record: bool) -> Body:
    return lambda r, i: x_uncertain(r, i, lambda: r.lab.sandbox.x.drop(record_anyway=record), record)


def _5xx(r: Round, i: int) -> Outcome:
    return _fail((500, 503)[i % 2], False)(r, i)


def _crash(failpoint: str) -> Body:
    return lambda r, i: crash(r, i, failpoint)


BODIES: dict[str, tuple[Body, str | None]] = {  # the body, and the failpoint to run the app as a subprocess with
    "window": (lambda r, i: x_rate_limited(r, i, daily=False), None),
    "daily": (lambda r, i: x_rate_limited(r, i, daily=True), None),
    "refused": (x_refused, None),
    "5xx": (_5xx, None),
    "5xx-made": (_fail(500, True), None),
    "timeout": (lambda r, i: x_uncertain(r, i, lambda: x_read_timeout(r), True), None),
    "links": (x_links_made, None),
    "lag": (x_timeline_lag, None),
    "drop-made": (_drop(True), None),
    "drop": (_drop(False), None),
    "duplicate": (x_duplicate, None),
    "401": (lambda r, i: x_refusal(r, i, 401, "check the X keys"), None),
    "402": (lambda r, i: x_refusal(r, i, 402, "out of credits"), None),
    "slack-post": (lambda r, i: slack_rate_limited(r, i, "chat.postMessage"), None),
    "slack-update": (lambda r, i: slack_rate_limited(r, i, "chat.update"), None),
    "slack-down": (slack_unreachable, None),
    "after-claim": (_crash("after-claim"), "after-claim"),
    "after-x-call": (_crash("after-x-call"), "after-x-call"),
    "before-card-update": (_crash("before-card-update"), "before-card-update"),
    "intake": (killed_after_intake, ""),
    "kill": (lambda r, i: sigkill(r, i, after_post=False), ""),
    "kill-posted": (lambda r, i: sigkill(r, i, after_post=True), ""),
    "clicks": (double_click, None),
    "retries": (event_retries, None),
    "formatting": (slack_formatting, None),
    "edit-form": (edit_form_text, None),
    "tombstone": (tombstone, None),
    "edits": (edits_reversed, None),
    "deleted-first": (deleted_first, None),
    "refused-fixed": (refused_then_fixed, None),
    "slackbot": (slackbot_and_unfurl, None),
    "slack-reset": (slack_reset_after_post, None),
    "names-fail": (names_fail, None),
    "names-slow": (names_slow, None),
    "digest-lost": (digest_lost, None),
    "digest-refused": (digest_refused, None),
    "own-drafts": (own_drafts, None),
}


@dataclass
class Scenario:
    key: str
    name: str
    fault: str
    expected: str
    tally: Tally = field(default_factory=Tally)

    def run(self, lab: Lab, rounds: int) -> None:
        body, spawn = BODIES[self.key]
        # The default PUBLISH_LEASE: a restart on the same host takes a dead process's claim over at once.
        overrides = {"REQUEST_LEASE": LEASE} if spawn is not None else {}
        for i in range(1, rounds + 1):
            started = time.perf_counter()
            r = lab.round(spawn=spawn, **overrides)
            try:
                tally = r.tally(*body(r, i))
            except Exception as exc:  # a round that did not hold, saying what went wrong
                tally = r.tally(0, set(), -1, {f"round {i} raised {oneline(exc)}": False})
            self.tally.add(tally)
            mark = "ok" if tally.held else "DID NOT HOLD: " + self.tally.failures[-1]
            print(f"  {self.name} · round {i}/{rounds} · {time.perf_counter() - started:.1f} s · {mark}", flush=True)


def scenarios() -> list[Scenario]:
    rows = (line.split(" | ") for line in TABLE.strip().splitlines())
    return [Scenario(*(part.strip() for part in row)) for row in rows]


# -- the report --------------------------------------------------------------------------------------------------

GUARANTEE = (
    "**What is guaranteed.** An approved version of a draft goes out on X at most once; a draft Slack got a 200 "
    "for, and a decision a click got a 200 for, are never lost; every draft ends in a state a person can see and "
    "act on: published with its link, *unknown* with **Publish again / Mark as published / Cancel**, *failed* with "
    "the reason and **Retry**, or queued for a known retry time; the writer hears what became of their draft once. "
    "**How.** A writer's message and an owner's click are written to an inbox table (one INSERT) before Slack gets "
    "its 200, and the move they ask for is made right after; a request whose instance stopped in between is "
    "replayed by any instance once its `REQUEST_LEASE` runs out (the moves are idempotent); event retries are "
    "deduplicated on `event_id` and on the message. Publishing claims the draft with a lease (`attempt_id`, "
    "`lease_until`) in a committed compare-and-set, calls X holding no lock, and records the result fenced by the "
    "attempt id, so a worker that lost its lease can't overwrite anything. A failure that never reached X "
    "(connection refused, 429) is retried after the announced reset or a capped, jittered backoff; anything that "
    "may have reached X (5xx, read timeout, dropped connection, 403 duplicate, a crash holding a lease) is never "
    "re-sent blindly: the draft goes to *unknown*, the account's recent posts are read (reconciliation), and only "
    "if the post isn't there are the approvers asked. Cards remember the state they last showed, and the scheduler "
    "tick updates any card Slack missed (card catch-up); each move's thread reply is claimed once (`writer_notice`)"
    " and sent again by the tick if Slack didn't take it."
)
FOOTNOTE = (
    "*Injected* counts the faults the app met: for X, the attempts it recorded as retried, uncertain or failed; for "
    "Slack 429s, the 429 answers sent; for crashes, the exits seen (86 at a failpoint, -9 for SIGKILL); for an outage, "
    "one per round; for clicks and retries, the requests sent. *Posts on X*: posts on the account at the end of each "
    "round, summed (for duplicate content, the post that was already up). *End states*: per draft, as cards show it."
)


def revision() -> str:
    """The commit the run was made on, and whether the working tree had changes on top of it."""
    git = ["git", "-C", str(Path(__file__).resolve().parent)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
    return f"{head or 'unknown'}{' with uncommitted changes' if dirty.stdout.strip() else ''}"


def render(faults: list[Scenario], inputs: list[BadInput], args: argparse.Namespace, took: float) -> str:
    held = sum(s.tally.held == s.tally.rounds for s in faults) + sum(b.held for b in inputs)
    head = "| Fault | Injected how | Rounds | Injected | Posts on X | Duplicates | Drafts lost | Decisions lost |"
    lines = [
        "# Reliability: faults and bad input, injected and counted",
        "",
        GUARANTEE,
        "",
        f"Command: `{args.command}` · started {args.started:%Y-%m-%d %H:%M} UTC on commit {revision()} · "
        f"`nproc` {os.cpu_count()} · Python "
        f"{platform.python_version()} ({platform.system()} {platform.machine()}) · total time {took:.0f} s · "
        f"{args.rounds} rounds per fault, {args.payloads} payloads per input kind and round, seed {args.seed} · every "
        f"round on a fresh SQLite file, the app stopped before counting · {held} of {len(faults) + len(inputs)} held.",
        "",
        "## Faults",
        "",
        head + " End states | Expected | Held |",
        "|---|---|--:|--:|--:|--:|--:|--:|---|---|:-:|",
    ]
    for s in faults:
        t = s.tally
        ok = "✅" if t.held == t.rounds else f"❌ {t.rounds - t.held} of {t.rounds}"
        ends = "<br>".join(f"{k}: {n}" for k, n in sorted(t.states.items(), key=lambda kn: (kn[0][:4] == "note", kn)))
        numbers = f"{t.rounds} | {t.injected} | {t.posts} | {t.duplicates} | {t.drafts_lost} | {t.decisions_lost}"
        lines.append(f"| {s.name} | {s.fault} | {numbers} | {ends} | {s.expected} | {ok} |")
    lines += ["", FOOTNOTE, "", "## Bad input", "", f"Expected for every kind: {INPUT_EXPECTED}.", ""]
    lines += [
        "| Input | Rounds | Payloads | Answers | 5xx | Tracebacks | Rows stored half-way | Posts on X "
        "| Errors logged | Plain draft still works | Held |",
        "|---|--:|--:|---|--:|--:|--:|--:|--:|--:|:-:|",
    ]
    for b in inputs:
        c, answers = b.counts, ", ".join(f"{code}: {n}" for code, n in sorted(b.answers.items()))
        numbers = " | ".join(str(c[k]) for k in BAD)
        ok = "✅" if b.held else "❌"
        lines.append(f"| {b.kind} | {c['rounds']} | {c['sent']} | {answers} | {numbers} | {c['still works']} | {ok} |")
    failed = [
        f"- **{s.name}**, {len(s.tally.failures)} of {s.tally.rounds} rounds; the first: {s.tally.failures[0]}"
        for s in faults
        if s.tally.failures
    ]
    failed += [f"- **{b.kind}**: " + "; ".join(b.failures[:3]) for b in inputs if b.failures]
    lines += ["", "## What did not hold", "", *(failed or ["Nothing: every expectation held in this run."])]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds per fault and per input kind (default 3)")
    parser.add_argument("--payloads", type=int, default=80, help="generated payloads per input kind and round")
    parser.add_argument("--seed", type=int, default=4, help="seed of the bad-input generator")
    parser.add_argument("--only", default="", help="only the faults whose key or name has this ('input': bad input)")
    parser.add_argument("--out", type=Path, default=Path("docs/reliability.md"))
    args = parser.parse_args()
    args.command, args.started = " ".join([".venv/bin/python", *sys.argv]), datetime.now(UTC)
    started, lab = time.perf_counter(), Lab()
    try:
        faults = [s for s in scenarios() if args.only.lower() in f"{s.key} {s.name}".lower()]
        for scenario in faults:
            print(f"{scenario.name}: {scenario.fault}", flush=True)
            scenario.run(lab, args.rounds)
        with_inputs = args.only in ("", "input")
        inputs = [bad_input(lab, k, args.rounds, args.payloads, args.seed) for k in INPUTS if with_inputs]
    finally:
        lab.close()
    took = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(faults, inputs, args, took), encoding="utf-8")
    print(f"\nwrote {args.out} in {took:.0f} s")


if __name__ == "__main__":
    main()
