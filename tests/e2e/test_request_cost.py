"""What a draft and its post cost the database, counted on the app's engine (issue 13).

A draft: one transaction for the ack (the inbox row), one for the intake (the draft, its audit row, the inbox row's
end and the card slots), and one per card to record where Slack put it. Nothing is read back between the intake and
the cards. A post, on the publisher's thread: the claim, the outcome (which claims the writer's reply and reads what
the cards and the reply show), and one transaction that records both once Slack has them."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from tests.e2e.harness import OWNER, OWNER2, Harness

# The threads that serve a request: waitress's (the ack) and the inbox's (the work after it). The publisher's and
# the test's own reads are not the request's.
SERVING = ("waitress", "inbox")


def label(statement: str) -> str:
    """`INSERT card`, `SELECT draft`, `DELETE inbox`: what a statement does, to which table."""
    found = re.match(r"\s*(INSERT INTO|UPDATE|DELETE FROM|SELECT\s.*?\sFROM)\s+(\w+)", statement, re.S)
    return f"{found[1].split()[0]} {found[2]}" if found else statement.split()[0]


@contextmanager
def transactions(harness: Harness, threads: tuple[str, ...] = SERVING) -> Iterator[list[tuple[str, list[str]]]]:
    """Each transaction the `threads` (by name prefix) begin while inside: (thread, its statements)."""
    seen: list[tuple[str, list[str]]] = []
    open_: dict[str, list[str]] = {}
    lock = threading.Lock()

    def begin(conn) -> None:  # type: ignore[no-untyped-def]
        name = threading.current_thread().name
        if name.startswith(threads):
            with lock:
                open_[name] = []
                seen.append((name, open_[name]))

    def statement(conn, cursor, text, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        name = threading.current_thread().name
        if name in open_ and not text.startswith("BEGIN"):
            with lock:
                open_[name].append(label(text))

    engine = harness.store.engine
    event.listen(engine, "begin", begin)
    event.listen(engine, "before_cursor_execute", statement)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "begin", begin)


def test_a_draft_costs_the_ack_one_intake_transaction_and_one_record_per_card(bot: Harness) -> None:
    warm = bot.draft("Warm-up, so first-use work is not counted.")
    bot.card(OWNER, containing="Warm-up")
    bot.thread(warm, containing="approval")
    time.sleep(0.3)
    with transactions(bot) as seen:
        ts = bot.draft("Counted: fresh beans are in.")
        for approver in (OWNER, OWNER2):
            bot.card(approver, containing="Counted")
        bot.thread(ts, containing="approval")
        bot.slack.wait_until(lambda: sum(1 for _, s in seen if any(x.startswith("UPDATE") for x in s)) >= 2)
        time.sleep(0.3)  # anything else the request would still do
    kinds = [(name.split("-")[0].split("_")[0], tuple(statements)) for name, statements in seen]
    assert len(kinds) == 1 + 1 + 2, kinds  # the ack, the intake, a record per card: no read-back between them
    ack, intake, *records = kinds
    assert ack[0] == "waitress" and ack[1] == ("INSERT inbox",)
    assert intake[0] == "inbox" and intake[1].count("INSERT card") == 2  # both slots claimed with the draft
    assert "INSERT draft" in intake[1] and "DELETE inbox" in intake[1]
    assert all(r[1] == ("UPDATE card",) for r in records), records


def test_after_a_post_the_cards_and_the_reply_are_recorded_in_one_transaction(bot: Harness) -> None:
    """The publisher's outcome reads the cards and the deliveries they show, so nothing is read between it and the
    Slack calls; the cards' record and the reply's mark share the transaction after them."""
    ts = bot.draft("Counted: the roast is on X.")
    card = bot.card(OWNER, containing="Counted")
    bot.card(OWNER2, containing="Counted")
    bot.thread(ts, containing="approval")
    time.sleep(0.3)
    with transactions(bot, threads=("countersign-publisher",)) as seen:
        assert bot.click(card, "Approve").status_code == 200
        bot.thread(ts, containing="published")
        bot.slack.wait_until(lambda: any("UPDATE writer_notice" in s for _, s in seen))
        time.sleep(0.3)  # anything else the publisher would still do for this post
    steps = [tuple(statements) for _, statements in seen if statements]
    outcome = next(i for i, s in enumerate(steps) if "INSERT writer_notice" in s)  # the reply claimed with the outcome
    assert "SELECT card" in steps[outcome] and "SELECT delivery" in steps[outcome], steps[outcome]
    after = [s for s in steps[outcome + 1 :] if any(not x.startswith("SELECT") for x in s)]  # writes: not the pass's
    assert len(after) == 1, steps[outcome:]
    [record] = after
    assert record.count("UPDATE card") == 1 and "UPDATE writer_notice" in record, record
    reads = [s for s in steps[outcome + 1 :] if s != record and any(("SELECT card" in x) for x in s)]
    assert reads == [], "the cards were read again after the outcome"
