"""Each part's key is chosen and stored before its first create call, and the same key goes with every retry of that
part: what makes a retry safe on a network whose create call is idempotent by key (Mastodon's Idempotency-Key)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from bot.approval.workflow import Workflow
from bot.delivery.publisher import Publisher
from bot.networks.base import Diagnosis, Network, Posted, Verdict
from storage import deliveries
from storage.models import Status
from storage.store import Store
from tests.unit.test_workflow import PARTNER, migrated_db, ref_of, store, submitted, wf  # noqa: F401 (fixtures)


class IdempotentAccount:
    """Answers 500 to the first create call of each key after making the post, as a server that keeps the post and
    replays it for the same key: the retry with that key returns the same post, never a second one."""

    network = Network.MASTODON

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []  # (key, reply_to) of every create call
        self.made: dict[str, str] = {}  # key -> post id
        self.keys = itertools.count(1)

    def new_key(self) -> str:
        return f"key-{next(self.keys)}"

    def post(self, text: str, *, key: str, reply_to: str | None = None, media: Sequence[str] = ()) -> Posted:
        self.calls.append((key, reply_to))
        if key not in self.made:
            self.made[key] = str(500 + len(self.made))
            raise ConnectionResetError("the answer was lost")
        return Posted(self.made[key], f"https://m.example/@acme/{self.made[key]}")

    def link(self, post_id: str) -> str:
        return f"https://m.example/@acme/{post_id}"

    def diagnose(self, exc: BaseException) -> Diagnosis:
        return Diagnosis(Verdict.RETRY, "no answer; the same key makes the same post")


def test_a_thread_retried_after_lost_answers_sends_each_part_with_its_own_stored_key(
    wf: Workflow,  # noqa: F811
    store: Store,  # noqa: F811
) -> None:
    draft = submitted(wf, "One\n---\nTwo")
    wf.approve(ref_of(draft), PARTNER)
    account = IdempotentAccount()
    # The brand's one network, played by an account whose create call is idempotent by key.
    publisher = Publisher(store, {"x": account}, on_change=lambda _id: None, worker_id="w1")  # type: ignore[dict-item]
    with store.read() as tx:
        [delivery] = deliveries.of_draft(tx.session, draft.id or 0)
    for _ in range(4):  # each lost answer puts it back in the queue (backoff is the publisher's, not waited here)
        with store.transaction() as tx:
            deliveries.move(
                tx.session, delivery.id or 0, frm={Status.APPROVED}, to=Status.APPROVED, next_attempt_at=None
            )
        publisher.publish(delivery.id or 0)
    with store.read() as tx:
        [done] = deliveries.of_draft(tx.session, draft.id or 0)
    assert done.status == Status.PUBLISHED and done.post_ids == ["500", "501"]
    first, second = done.keys or []
    assert first != second  # one key per part, both stored at the first claim
    assert account.calls == [(first, None), (first, None), (second, "500"), (second, "500")]  # each retry: its key
