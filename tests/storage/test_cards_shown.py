"""Recording what a draft's cards show after a refresh (storage.cards.mark_all_shown_if_current): only while the draft
is still at the status and version the cards were rendered from, in one statement; a draft another instance moved
meanwhile leaves its cards behind, to be rendered again."""

from __future__ import annotations

from storage import cards
from storage.models import Draft, Status
from storage.store import Store


def pending_with_two_cards(store: Store) -> tuple[int, list[int]]:
    with store.transaction() as tx:
        draft = tx.insert_draft(Draft(channel="C0DRAFTS", ts="1.000001", writer_id="U0WRITER", text="t"), "U0WRITER")
        for n, approver in enumerate(("U0OWNER", "U0OWNER2")):
            assert tx.claim_card(draft.id or 0, approver)
            tx.fill_card(draft.id or 0, approver, f"D{n}", f"2.00000{n}")
        return draft.id or 0, [c.id or 0 for c in tx.cards(draft.id or 0)]


def shown(store: Store, draft_id: int) -> set[tuple[str, int]]:
    with store.read() as tx:
        return {(c.shown_status, c.shown_version) for c in tx.cards(draft_id)}


def test_cards_are_recorded_as_showing_the_draft_while_it_is_still_what_they_show(store: Store) -> None:
    draft_id, ids = pending_with_two_cards(store)
    with store.transaction() as tx:
        assert cards.mark_all_shown_if_current(tx.session, ids, draft_id, Status.PENDING, 1)
    assert shown(store, draft_id) == {(Status.PENDING, 1)}


def test_a_draft_that_moved_meanwhile_leaves_its_cards_behind(store: Store) -> None:
    draft_id, ids = pending_with_two_cards(store)
    with store.transaction() as tx:  # another instance's decision, after these cards were rendered as pending
        assert tx.move(draft_id, frm={Status.PENDING}, to=Status.REJECTED)
    with store.transaction() as tx:
        assert not cards.mark_all_shown_if_current(tx.session, ids, draft_id, Status.PENDING, 1)
        assert not cards.mark_all_shown_if_current(tx.session, ids, draft_id, Status.REJECTED, 2)  # nor a version on
    assert shown(store, draft_id) == {("", 0)}  # behind the draft: the catch-up renders them again
