"""Issue 4, point 4: approvals racing each other and the writer's edits post each draft once, never an old version.

Every draft gets three concurrent Approve clicks from two approvers (a double click and the other approver) while
the writer edits some of the drafts at the same moment (message_changed events). Whichever wins, exactly one post
goes out per draft, of the version that was approved: an edit that lands first makes the old card's clicks stale
(refused, the draft stays pending with the new text until someone approves the new card), and an approval that
lands first makes the edit too late (the writer is told). Every refused click is audited and told to the clicker.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
from sqlmodel import col, select

from bot.sandbox.slack_api import Message, SlackSandbox, dm_channel_for
from storage.models import AuditEvent, Draft
from tests.delivered import x_delivery
from tests.e2e.harness import DRAFTS, OWNER, OWNER2, WRITER, Harness, block_text, buttons, posted

APPROVERS = (OWNER, OWNER2)
CLICKERS = (OWNER, OWNER2, OWNER)  # Olivia double-clicks, Omar clicks too
DECISION = ["Approve", "Edit", "Request changes", "Reject"]
# Drafts stormed at once (each burst: its three clicks and maybe an edit, released together): up to 8 requests
# in flight. With 16, an approval's one-row update on SQLite waited up to 2.4 s for the write lock (3.2 s with two
# instances, past Bolt's 3 s ack timeout: a 404 to Slack); on PostgreSQL at most 0.7 s.
BURSTS = 2
EDIT_FIRST, APPROVE_FIRST, RACE, CLICKS_ONLY = "edit acked first", "approval acked first", "edit races", "no edit"


@dataclass
class Case:
    number: int
    text: str
    plan: str
    ts: str = ""
    cards: dict[str, Message] = field(default_factory=dict)  # approver -> the card as first shown (version 1)
    clicks: Counter[str] = field(default_factory=Counter)  # approver -> clicks sent

    @property
    def revised(self) -> str:
        return f"{self.text} Revised: now with oat milk."

    @property
    def tag(self) -> str:
        return f"Storm {self.number:02d}:"


def test_ten_drafts_three_clicks_each_racing_edits_post_once(start_bot: Callable[..., Harness]) -> None:
    storm(start_bot, drafts=10, instances=1, seed=10)


def test_fifty_drafts_post_once_never_an_old_version(start_bot: Callable[..., Harness], database_url: str) -> None:
    """On PostgreSQL the clicks are spread over two instances sharing the database, each with its publisher;
    SQLite is the one-instance setup."""
    storm(start_bot, drafts=50, instances=2 if database_url.startswith("postgresql") else 1, seed=50)


def storm(start_bot: Callable[..., Harness], *, drafts: int, instances: int, seed: int) -> None:
    started = time.monotonic()
    rng = random.Random(seed)
    apps = [start_bot() for _ in range(instances)]  # one database; every instance publishes
    main = apps[0]
    slack, x = main.slack, main.x
    cases = plan(drafts, rng)
    answers: list[int] = []  # status codes only: a kept Response would keep its connection open

    def via(app: Harness, send: Callable[[Harness], requests.Response]) -> Callable[[], None]:
        return lambda: answers.append(_answer(send(app)))

    with ThreadPoolExecutor(BURSTS) as pool:
        # The writer posts every draft (spread over the instances); each approver gets a card per draft.
        for case, ts in zip(
            cases, pool.map(lambda c: _post(rng_pick(apps, c.number), main, c.text), cases), strict=True
        ):
            case.ts = ts
        for approver in APPROVERS:
            shown = slack.wait_for(lambda s, a=approver: _cards_of_all(s, a, cases), timeout=30)
            for case in cases:
                case.cards[approver] = shown[case.number]
        slack.wait_for(lambda s: all(any("Sent to" in m.text for m in s.thread(DRAFTS, c.ts)) for c in cases), 30)

        # Some moves are acknowledged before the storm, so both outcomes of the race are certainly seen.
        for case in cases:
            if case.plan == EDIT_FIRST:
                answers.append(_answer(_edit(main, case)))
            elif case.plan == APPROVE_FIRST:
                case.clicks[OWNER] += 1
                answers.append(_answer(_click(main, OWNER, case.cards[OWNER])))

        bursts: list[list[Callable[[], None]]] = []
        for case in cases:
            burst = []
            for approver in CLICKERS[1:] if case.plan == APPROVE_FIRST else CLICKERS:
                case.clicks[approver] += 1
                card = case.cards[approver]
                burst.append(via(rng.choice(apps), lambda a, who=approver, m=card: _click(a, who, m)))
            if case.plan in (RACE, APPROVE_FIRST):
                burst.append(via(rng.choice(apps), lambda a, c=case: _edit(a, c)))
            bursts.append(burst)
        list(pool.map(all_at_once, bursts))

        # Settled: each draft is published, or pending at version 2 because the edit won.
        settled = main.slack.wait_until(lambda: _settled(main, cases), timeout=30)
        edit_won = [c for c in cases if settled[c.number].status == "pending"]
        for case in edit_won:
            for approver in APPROVERS:  # the cards now show the writer's new text, with live buttons
                main.wait_card(
                    case.cards[approver],
                    lambda m, c=case: (
                        "version 2" in block_text(m.blocks)
                        and c.revised in block_text(m.blocks)
                        and buttons(m) == DECISION
                    ),
                    timeout=10,
                )

        # The new cards are approved the same way: three concurrent clicks.
        again: list[list[Callable[[], None]]] = []
        for case in edit_won:
            again.append([])
            for approver in CLICKERS:
                case.clicks[approver] += 1
                card = main.fresh(case.cards[approver])
                again[-1].append(via(rng.choice(apps), lambda a, who=approver, m=card: _click(a, who, m)))
        list(pool.map(all_at_once, again))
        main.slack.wait_until(lambda: all(d.status == "published" for d in _drafts(main).values()), timeout=30)

    for app in apps:
        app.settle()  # listeners and publishers finish: what the sandboxes saw is final
    if instances > 1:  # card updates from two instances can land out of order; the scheduler's tick catches up
        catch_up = start_bot()
        catch_up.running.services.scheduler.tick()
        catch_up.settle()
    elapsed = time.monotonic() - started

    assert answers == [200] * len(answers)
    final = _drafts(main)
    trail = _audit(main)
    outcomes = Counter("edit won" if final[c.number].version == 2 else "approval won" for c in cases)
    print(
        f"\n{drafts} drafts on {instances} instance(s), {len(answers)} signed requests, {len(x.posts)} posts, "
        f"{dict(outcomes)}, plans {dict(Counter(c.plan for c in cases))}, {elapsed:.1f} s"
    )

    # Exactly one post per draft, and nothing posted twice.
    assert len(x.posts) == drafts
    assert sum(1 for r in x.requests if r.route == "POST /2/tweets") == drafts
    assert all(n == 1 for n in Counter(p.text for p in x.posts).values())
    posts = {p.id: p for p in x.posts}

    for case in cases:
        draft = final[case.number]
        events = [e for e in trail if e.draft_id == draft.id]
        [approval] = [e for e in events if e.action == "approved"]
        refused = [e for e in events if e.action.startswith("refused_") and e.actor_id in APPROVERS]

        # The post is the version that was approved, signed by whoever approved it, and that is the newest version.
        assert draft.status == "published" and approval.version == draft.version, case
        assert draft.text == (case.revised if draft.version == 2 else case.text)
        [post_id] = x_delivery(main.store, draft.id or 0).post_ids or []
        assert posts[post_id].text == posted(draft.text, approval.actor_id)

        # Every click is accounted for: one approval, every other click refused and audited.
        clicks = sum(case.clicks.values())
        assert len(refused) + 1 == clicks, (case, [e.action for e in events])
        if draft.version == 2:  # the edit won: all three clicks on the old card were stale
            assert [e.action for e in refused[:3]] == ["refused_stale_card"] * 3
            assert all(e.version == 1 for e in refused[:3])
            assert {e.action for e in refused[3:]} <= {"refused_already_decided"}
        else:
            assert {e.action for e in refused} == {"refused_already_decided"}

        if case.plan == EDIT_FIRST:
            assert draft.version == 2
        if case.plan == APPROVE_FIRST:
            assert draft.version == 1 and approval.actor_id == OWNER
        too_late = [e for e in events if e.action == "refused_not_editable" and e.actor_id == WRITER]
        if case.plan in (RACE, APPROVE_FIRST) and draft.version == 1:  # the edit came too late: audited, and told
            assert len(too_late) == 1, (case, [e.action for e in events])
            assert any("This edit wasn't sent" in m.text for m in slack.thread(DRAFTS, case.ts)), case
        else:
            assert too_late == []

        # Both cards end showing the post, without buttons.
        for approver in APPROVERS:
            shown = main.fresh(case.cards[approver])
            assert "view on X" in block_text(shown.blocks) and not buttons(shown), (case, block_text(shown.blocks))
            assert f"version {draft.version}" in block_text(shown.blocks)

    # Every refusal was told, privately, to the approver who clicked.
    for approver in APPROVERS:
        refusals = [e for e in trail if e.actor_id == approver and e.action.startswith("refused_")]
        told = slack.ephemerals(approver)
        assert len(told) == len(refusals), approver
        assert sum("older version" in e.text for e in told) == sum(e.action == "refused_stale_card" for e in refusals)


def all_at_once(moves: list[Callable[[], None]]) -> None:
    """One draft's clicks (and the writer's edit) leave together: each on its own thread, released by a barrier."""
    gate = threading.Barrier(len(moves))

    def go(move: Callable[[], None]) -> None:
        gate.wait()
        move()

    with ThreadPoolExecutor(len(moves)) as burst:
        list(burst.map(go, moves))


def plan(drafts: int, rng: random.Random) -> list[Case]:
    """Which drafts the writer edits, and how: a tenth each acknowledged before or after the clicks, a
    third racing them, the rest only clicked."""
    numbers = list(range(1, drafts + 1))
    rng.shuffle(numbers)
    tenth, third = max(1, drafts // 10), max(1, drafts * 3 // 10)
    plans = [EDIT_FIRST] * tenth + [APPROVE_FIRST] * tenth + [RACE] * third
    plans += [CLICKS_ONLY] * (drafts - len(plans))
    by_number = dict(zip(numbers, plans, strict=True))
    return [Case(n, f"Storm {n:02d}: beans of the day, batch {n}.", by_number[n]) for n in range(1, drafts + 1)]


def rng_pick(apps: list[Harness], number: int) -> Harness:
    return apps[number % len(apps)]


def _post(app: Harness, clock: Harness, text: str) -> str:
    """One driver numbers the messages, so drafts sent through different instances never share a ts."""
    return app.draft(text, ts=clock.driver.next_ts())


def _answer(response: requests.Response) -> int:
    response.close()
    return response.status_code


def _edit(app: Harness, case: Case) -> requests.Response:
    return app.driver.edit_message(WRITER, DRAFTS, case.ts, case.revised, case.text)


def _click(app: Harness, approver: str, card: Message) -> requests.Response:
    return app.driver.click(card, "Approve", approver)


def _cards_of_all(slack: SlackSandbox, approver: str, cases: list[Case]) -> dict[int, Message] | None:
    found: dict[int, Message] = {}
    for message in slack.messages(dm_channel_for(approver)):
        text = block_text(message.blocks)
        for case in cases:
            if case.tag in text:
                found[case.number] = message
    return found if len(found) == len(cases) else None


def _drafts(app: Harness) -> dict[int, Draft]:
    """Drafts by their storm number."""
    with app.store.transaction() as tx:
        rows = tx.session.exec(select(Draft).order_by(col(Draft.id))).all()
    return {int(d.text.split(":")[0].removeprefix("Storm ")): d for d in rows}


def _settled(app: Harness, cases: list[Case]) -> dict[int, Draft] | None:
    drafts = _drafts(app)
    done = len(drafts) == len(cases) and all(
        d.status == "published" or (d.status == "pending" and d.version == 2) for d in drafts.values()
    )
    return drafts if done else None


def _audit(app: Harness) -> list[AuditEvent]:
    with app.store.transaction() as tx:
        return list(tx.session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all())
