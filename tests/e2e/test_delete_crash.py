"""Delete from X across a crash: the process exits (`COUNTERSIGN_FAILPOINT=after-delete-call`) just after X deleted
a part and before anything was recorded; the restarted app takes the claim over and finishes, each part once more
at most, and says so on every card and in the writer's thread once."""

from __future__ import annotations

from collections.abc import Callable

from bot.runtime import failpoints
from bot.sandbox import SlackSandbox, XSandbox
from tests.delivered import x_delivery
from tests.e2e.harness import OWNER, Harness, block_text
from tests.e2e.test_crash import (  # noqa: F401 (fixtures)
    Launch,
    eventually,
    find,
    launch,
    restart,
    row,
    store,
    submitted,
    wait_card,
    writer_told,
)
from tests.e2e.test_delete_from_x import THREAD


def test_dying_after_xs_answer_is_finished_on_restart_and_nothing_is_lost(
    launch: Launch,  # noqa: F811
    start_bot: Callable[..., Harness],
    slack: SlackSandbox,
    x: XSandbox,
    store,  # noqa: F811
) -> None:
    app = launch(failpoint="after-delete-call")
    ts, cards = submitted(app, slack, THREAD)
    app.click(cards[0], "Approve")
    published = eventually(lambda: (d := find(store, ts)) and d.status == "published" and d, what="published")
    ids = list(x_delivery(store, published.id or 0).post_ids or [])
    shown = wait_card(slack, cards[0], lambda m: "view on X" in block_text(m.blocks))

    app.click_as_it_dies(shown, "Delete from X")
    assert app.wait_exit() == failpoints.EXIT_CODE

    held = row(store, ts)
    claimed = x_delivery(store, held.id or 0)
    assert held.status == "deleting" and not claimed.deleted_ids and held.deleted_by == OWNER  # the claim survived
    assert x.delete_requests() == [ids[2]]  # X deleted part 3; the process died before recording it

    second = restart(start_bot)
    second.running.services.scheduler.tick()  # finds the claim of a process that is gone, and finishes it

    done = eventually(lambda: (d := find(store, ts)) and d.status == "deleted" and d, what="deleted")
    assert x.delete_requests() == [ids[2], ids[2], ids[1], ids[0]]  # part 3 once more (its answer died with it)
    assert x.live_posts() == []
    assert sorted(x_delivery(store, done.id or 0).deleted_ids or []) == sorted(ids)
    with store.read() as tx:
        trail = [(a.action, a.detail) for a in tx.audit_trail(done.id or 0)]
    assert ("part_deleted", f"part 3 of 3: {ids[2]} (already gone)") in trail
    assert [a for a, _ in trail if a.startswith("delete")] == ["delete_requested", "delete_resumed", "deleted_from_x"]
    for card in cards:
        wait_card(slack, card, lambda m: f"deleted from X by <@{OWNER}>" in block_text(m.blocks))
    writer_told(slack, ts, "deleted from X")
    second.settle()
    assert len([m for m in slack.thread("C0DRAFTS", ts) if "deleted from X" in m.text]) == 1
