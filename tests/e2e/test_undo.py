"""Issue 11, point 3: Undo after Approve. Signed HTTP against the real app and the sandboxes; the window is
`draft.undo_until` in the database. Most tests move the app's injected clock (no sleeping); one runs on real time
to show the publisher wakes when the window ends, and the crash test kills a real process mid-window."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from bot.intake.inbox import InboxKind
from bot.sandbox import SlackSandbox, XSandbox
from bot.sandbox.slack_api import Message, dm_channel_for
from bot.slack.ids import BlockId, CallbackId, InputId
from storage.store import Store
from storage.types import utcnow
from tests.clock import FakeClock
from tests.delivered import x_delivery
from tests.e2e.harness import DRAFTS, OUTSIDER, OWNER, OWNER2, WRITER, Harness, block_text, buttons, posted
from tests.e2e.test_crash import Launch, eventually, find, launch, store  # noqa: F401  (fixtures)

START = datetime(2026, 12, 2, 14, 2, 35, tzinfo=UTC)
WINDOW = timedelta(seconds=30)
DECISION = ["Approve", "Edit", "Request changes", "Reject"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def held(start_bot: Callable[..., Harness], clock: FakeClock) -> Harness:
    return start_bot(clock=clock, UNDO_WINDOW="30s")


def at_time(bot: Harness, clock: FakeClock, moment: datetime) -> None:
    """Move the app's clock and let the publisher look, as it does when it wakes at the window's end."""
    clock.set(moment)
    bot.running.services.publisher.run_once()


def approved_in_window(bot: Harness, text: str) -> tuple[str, Message, Message]:
    """A draft approved by OWNER at START: its two cards, both showing the window."""
    ts = bot.draft(text)
    mine, theirs = bot.card(OWNER, containing=text), bot.card(OWNER2, containing=text)
    bot.click(mine, "Approve")
    for card in (mine, theirs):
        bot.wait_card(card, lambda m: buttons(m) == ["Undo"])
    return ts, bot.fresh(mine), bot.fresh(theirs)


def test_the_cards_say_when_it_goes_out_and_an_undo_by_another_approver_means_no_post_ever(
    held: Harness, clock: FakeClock
) -> None:
    ts, mine, theirs = approved_in_window(held, "Launch on Friday.")
    end = int((START + WINDOW).timestamp())
    for card in (mine, theirs):
        text = block_text(card.blocks)
        assert f"going out at <!date^{end}^{{time_secs}}|14:03:05 UTC> (30 s after approval)" in text
        assert "Approved by <@U0OWNER>" in text
    assert held.row(ts).undo_until == START + WINDOW

    at_time(held, clock, START + timedelta(seconds=12))
    assert held.x.posts == []
    held.click(theirs, "Undo", OWNER2)  # any approver, not only the one who approved
    modal = held.modal(CallbackId.UNDO_REASON)  # opened after the Undo took effect
    assert held.wait_status(ts, "pending").undone_by == OWNER2
    response = held.submit(modal, {BlockId.REASON: {InputId.REASON: "Friday is a holiday"}}, OWNER2)
    assert response.status_code == 200 and response.text == ""

    for card in (mine, theirs):  # live again, same version; who undid it and why
        again = held.wait_card(card, lambda m: "Friday is a holiday" in block_text(m.blocks))
        assert buttons(again) == DECISION
        assert f"{held.row(ts).id}:1" in {
            e["value"] for b in again.blocks if b["type"] == "actions" for e in b["elements"]
        }
        assert "Approval undone by <@U0OWNER2>" in block_text(again.blocks)
    [told] = held.thread(ts, count=1, containing="undid the approval")
    assert told.text.startswith("<@U0OWNER2> undid the approval before it went out: nothing reached X.")

    for later in (START + WINDOW, START + WINDOW * 3, START + timedelta(hours=2)):
        at_time(held, clock, later)
    time.sleep(0.3)  # and the publisher's own loop had its turns too
    assert held.x.posts == []
    row = held.row(ts)
    assert (row.status, row.version, row.reason) == ("pending", 1, "Friday is a holiday")
    trail = [(a.action, a.actor_id, a.from_status, a.to_status) for a in held.audit(row.id)]
    assert ("undone", OWNER2, "approved", "pending") in trail
    assert ("undo_reason", OWNER2, None, None) in trail
    assert not [a for a in trail if a[0] == "publish_claimed"]


def test_after_undo_the_same_card_approves_again_with_a_fresh_window(held: Harness, clock: FakeClock) -> None:
    ts, mine, _ = approved_in_window(held, "Second thoughts.")
    held.click(mine, "Undo")
    held.modal(CallbackId.UNDO_REASON)  # skipped: the reason is optional
    held.wait_card(mine, lambda m: buttons(m) == DECISION)
    clock.set(START + timedelta(seconds=20))
    held.click(mine, "Approve")
    held.wait_card(mine, lambda m: buttons(m) == ["Undo"])
    at_time(held, clock, START + WINDOW + timedelta(seconds=1))  # the first window's end: not yet
    assert held.x.posts == []
    at_time(held, clock, START + timedelta(seconds=50))
    assert [p.text for p in held.x.wait_for_posts(1)] == [posted("Second thoughts.")]
    held.wait_status(ts, "published")


def test_undo_after_the_window_is_too_late_said_plainly_and_the_post_is_there_once(
    held: Harness, clock: FakeClock
) -> None:
    ts, mine, _ = approved_in_window(held, "Out it goes.")
    at_time(held, clock, START + WINDOW)
    held.x.wait_for_posts(1)
    held.wait_status(ts, "published")
    went = held.on_x(ts).published_at
    assert went is not None
    final = held.wait_card(mine, lambda m: "view on X" in block_text(m.blocks))
    assert buttons(final) == []  # the publisher's card update replaced the window line
    held.driver.click(mine, "Undo", OWNER)  # the old card, still showing Undo in a slow client
    said = held.ephemeral(OWNER, containing="Too late to undo")
    assert said.startswith(f"Too late to undo: it went out at <!date^{int(went.timestamp())}^")
    assert said.endswith("use Delete from X to take it down.")
    held.settle()
    assert [p.text for p in held.x.posts] == [posted("Out it goes.")]
    assert held.row(ts).status == "published"
    assert [a.action for a in held.audit(held.row(ts).id)][-1] == "refused_too_late_to_undo"


def test_a_non_approvers_undo_is_refused_audited_and_the_post_goes_out(held: Harness, clock: FakeClock) -> None:
    ts, mine, _ = approved_in_window(held, "Not yours to stop.")
    held.driver.click(mine, "Undo", OUTSIDER)
    assert "Only this brand's approvers" in held.ephemeral(OUTSIDER)
    held.driver.click(mine, "Undo", WRITER)  # the writer isn't an approver either
    held.ephemeral(WRITER, containing="Only this brand's approvers")
    refused = [(a.action, a.actor_id) for a in held.audit(held.row(ts).id) if a.action.startswith("refused")]
    assert refused == [("refused_not_an_approver", OUTSIDER), ("refused_not_an_approver", WRITER)]
    assert held.row(ts).status == "approved"
    at_time(held, clock, START + WINDOW)
    assert [p.text for p in held.x.wait_for_posts(1)] == [posted("Not yours to stop.")]


def test_an_undo_from_another_organisation_is_refused_and_audited(held: Harness) -> None:
    ts, mine, _ = approved_in_window(held, "Guests can't stop it.")
    held.driver.click(mine, "Undo", OWNER, user_team_id="T0OTHER")  # the same id, through Slack Connect
    assert "Only approvers from this workspace" in held.ephemeral(OWNER)
    assert [a.action for a in held.audit(held.row(ts).id)][-1] == "refused_other_organisation"
    assert held.row(ts).status == "approved"


def test_a_double_clicked_undo_is_one_undo(held: Harness, clock: FakeClock) -> None:
    ts, mine, theirs = approved_in_window(held, "Click twice.")
    with ThreadPoolExecutor(2) as pool:
        responses = list(
            pool.map(lambda card_user: held.driver.click(*card_user), [(mine, "Undo", OWNER), (theirs, "Undo", OWNER2)])
        )
    assert [r.status_code for r in responses] == [200, 200]
    held.wait_status(ts, "pending")
    told = held.slack.wait_for(
        lambda s: next((e.text for u in (OWNER, OWNER2) for e in s.ephemerals(u) if "Already undone" in e.text), None)
    )
    assert "waiting for a decision again" in told
    held.thread(ts, count=1, containing="undid the approval")
    held.settle()
    actions = [a.action for a in held.audit(held.row(ts).id)]
    assert actions.count("undone") == 1 and actions.count("refused_already_undone") == 1
    assert len([v for v in held.slack.views if v.callback_id == CallbackId.UNDO_REASON]) == 1
    assert len([m for m in held.slack.thread(DRAFTS, ts) if "undid the approval" in m.text]) == 1
    at_time(held, clock, START + timedelta(minutes=5))
    assert held.x.posts == []


def test_on_real_time_the_post_goes_out_when_the_window_ends_not_at_the_next_tick(
    start_bot: Callable[..., Harness],
) -> None:
    bot = start_bot(UNDO_WINDOW="2s")
    ts = bot.draft("On the dot.")
    bot.click(bot.card(OWNER, containing="On the dot"), "Approve")
    decided = bot.wait_status(ts, "approved")
    [post] = bot.x.wait_for_posts(1, timeout=10)
    bot.wait_status(ts, "published")
    went = bot.on_x(ts).published_at
    assert decided.undo_until is not None and went is not None
    assert went >= decided.undo_until  # never before the window's end
    assert (went - decided.undo_until).total_seconds() < 2.5  # woken for it, not a 5 s tick
    assert post.text == posted("On the dot.")


def test_kill_9_in_the_window_and_restart_the_post_still_waits_out_the_window_and_goes_out_once(
    launch: Launch,  # noqa: F811
    store: Store,  # noqa: F811
    slack: SlackSandbox,
    x: XSandbox,
) -> None:
    app = launch(UNDO_WINDOW="6s")
    ts = app.draft("Held across a crash.")
    channel = dm_channel_for(OWNER)
    card = eventually(
        lambda: next((m for m in slack.messages(channel) if m.blocks and "Held across" in block_text(m.blocks)), None),
        10,
        "the card",
    )
    app.click(card, "Approve")
    decided = eventually(lambda: (d := find(store, ts)) and d.status == "approved" and d, 10, "approved")
    app.kill()  # SIGKILL, well inside the window
    assert utcnow() < decided.undo_until and x.posts == []
    again = launch(UNDO_WINDOW="6s")  # the restart has the same setting; the window is the database's anyway
    time.sleep(max(0.0, (decided.undo_until - utcnow()).total_seconds() - 1.0))
    assert x.posts == []  # still inside the window after the restart
    posts = x.wait_for_posts(1, timeout=15)
    published = eventually(lambda: (d := find(store, ts)) and d.status == "published" and d, 15, "published")
    went = x_delivery(store, published.id or 0).published_at
    assert went is not None and went >= decided.undo_until
    assert again.stop() == 0
    assert [p.text for p in posts] == [posted("Held across a crash.")] and len(x.posts) == 1


def test_the_shared_approvals_channel_card_offers_undo_too_and_show_keeps_who_when_and_why(
    start_bot: Callable[..., Harness], clock: FakeClock
) -> None:
    bot = start_bot(clock=clock, UNDO_WINDOW="30s", APPROVAL_CHANNEL="C0APPROVE")
    ts = bot.draft("One card for everyone.")
    card = bot.slack.wait_for(lambda s: next(iter(bot.cards_in("C0APPROVE")), None))
    bot.click(card, "Approve", OWNER2)
    held = bot.wait_card(card, lambda m: buttons(m) == ["Undo"])
    assert "Approved by <@U0OWNER2> · going out at" in block_text(held.blocks)
    bot.click(card, "Undo", OWNER)
    modal = bot.modal(CallbackId.UNDO_REASON)
    bot.submit(modal, {BlockId.REASON: {InputId.REASON: "Wrong hashtag"}}, OWNER)
    again = bot.wait_card(card, lambda m: "Wrong hashtag" in block_text(m.blocks))
    assert buttons(again) == DECISION and "Approval undone by <@U0OWNER>" in block_text(again.blocks)
    response = bot.driver.command(f"show {bot.row(ts).id}", OWNER)
    shown = response.json()["text"]
    assert "undone by <@U0OWNER>" in shown and "approval by U0OWNER2 undone" in shown
    assert "undo_reason by <@U0OWNER>: Wrong hashtag" in shown
    stops = shown.split("*Stops*", 1)[1].split("*Audit trail*", 1)[0]  # who stopped it, when and why, in one place
    assert "Undone by <@U0OWNER>: approval by U0OWNER2 undone" in stops
    assert "Reason for Undo, added by <@U0OWNER>: Wrong hashtag" in stops
    at_time(bot, clock, START + timedelta(minutes=2))
    assert bot.x.posts == []


def test_an_undo_acked_by_a_process_that_stopped_before_the_move_still_wins_after_the_window(
    start_bot: Callable[..., Harness],
) -> None:
    """The click was written to the inbox and acked, then its receiver stopped: Slack never sends it again. Its row
    keeps the publisher off the draft past the window's end, and the replay (once REQUEST_LEASE runs out) undoes it:
    the click came in time, so nothing reaches X."""
    bot = start_bot(UNDO_WINDOW="1s", REQUEST_LEASE="3s")
    ts = bot.draft("Caught by the inbox.")
    card = bot.card(OWNER, containing="Caught by the inbox")
    bot.click(card, "Approve")
    draft = bot.wait_status(ts, "approved")
    undo_click = {
        "type": "block_actions",
        "user": {"id": OWNER2, "username": "omar", "name": "omar", "team_id": "T0ACME"},
        "team": {"id": "T0ACME", "domain": "acme"},
        "api_app_id": "A0COUNTERSIGN",
        "container": {"type": "message", "message_ts": card.ts, "channel_id": card.channel, "is_ephemeral": False},
        "trigger_id": "0.1.expired",
        "actions": [{"type": "button", "action_id": "countersign.undo", "value": f"{draft.id}:1", "action_ts": "1"}],
    }
    services = bot.running.services
    received = utcnow()
    services.inbox.receive(InboxKind.DECISION, undo_click, holds_draft=draft.id)  # ...and nothing more: it stopped
    assert draft.undo_until is not None
    time.sleep(max(0.0, (draft.undo_until - utcnow()).total_seconds()) + 1.0)
    services.publisher.wake()
    time.sleep(0.3)
    assert bot.x.posts == [] and bot.row(ts).status == "approved"  # past the window, held by the waiting click
    time.sleep(max(0.0, (received + timedelta(seconds=3) - utcnow()).total_seconds()) + 0.2)
    assert services.scheduler.tick().requests_replayed == 1  # any instance's tick, once the lease ran out
    undone = bot.wait_status(ts, "pending")
    assert undone.undone_by == OWNER2
    assert [a.actor_id for a in bot.audit(draft.id) if a.action == "undone"] == [OWNER2]
    bot.thread(ts, count=1, containing="undid the approval")
    services.publisher.wake()
    time.sleep(0.3)
    assert bot.x.posts == []


def test_an_undo_under_approval_rule_all_asks_every_approver_again(
    start_bot: Callable[..., Harness], clock: FakeClock
) -> None:
    """Both yeses met `all` and opened the window; an Undo puts the version back to both of them: each sees live
    buttons and says yes afresh, the window starts at the second new yes, and the post goes out once, signed by both."""
    bot = start_bot(clock=clock, UNDO_WINDOW="30s", APPROVAL_RULE="all")
    ts = bot.draft("Two signatures.")
    olivia, omar = bot.card(OWNER, containing="Two signatures"), bot.card(OWNER2, containing="Two signatures")
    bot.click(olivia, "Approve", OWNER)
    bot.wait_card(omar, lambda m: f"✓ <@{OWNER}>" in block_text(m.blocks))
    bot.click(bot.fresh(omar), "Approve", OWNER2)
    held = bot.wait_card(olivia, lambda m: buttons(m) == ["Undo"])
    assert f"Approved by <@{OWNER}> and <@{OWNER2}> · going out at" in block_text(held.blocks)

    bot.click(held, "Undo", OWNER)
    assert bot.wait_status(ts, "pending").undone_by == OWNER
    for card in (olivia, omar):
        bot.wait_card(card, lambda m: buttons(m) == DECISION and "0 of 2" in block_text(m.blocks))
    at_time(bot, clock, START + WINDOW * 2)
    assert bot.x.posts == []

    clock.set(START + timedelta(minutes=5))
    bot.click(bot.fresh(olivia), "Approve", OWNER)
    bot.wait_card(omar, lambda m: f"1 of 2: ✓ <@{OWNER}>" in block_text(m.blocks))
    assert bot.row(ts).status == "pending"
    bot.click(bot.fresh(omar), "Approve", OWNER2)
    row = bot.wait_status(ts, "approved")
    assert row.undo_until == START + timedelta(minutes=5) + WINDOW
    at_time(bot, clock, START + timedelta(minutes=5) + WINDOW)
    [post] = bot.x.wait_for_posts(1)
    assert post.text.endswith("approved by Olivia Owner and Omar Second")
    bot.settle()
    assert len(bot.x.posts) == 1
