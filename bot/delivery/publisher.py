"""Publishing to X: at most once per approved version, never waiting inside a Slack handler.

Claim with a lease and commit; call X holding no database lock; record the result fenced by the
attempt id and the status (`Tx.attempt_write`), so a worker whose claim was recovered can't record anything
or go on with a thread. A thread records each part's id as it goes, renewing the lease for the next part,
so a retry resumes after the last part that is known to be up. A claim names its process
(`bot.delivery.claimer`): one of this host whose process is gone is recovered at once, others when their lease runs out.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from sqlmodel import select

from bot.delivery.claimer import Claimer
from bot.delivery.media_publish import MediaNotReady, MediaUploader, for_part
from bot.delivery.publish_wait import Waiter, Waiters
from bot.delivery.reconcile import Reconciler
from bot.intake import draft_media
from bot.intake.media_rules import MediaItem
from bot.networks.base import Account, Diagnosis, Verdict
from bot.runtime import failpoints
from storage import media as stored_media
from storage import notices, schedule, undo
from storage.models import Draft, Status
from storage.store import Store
from storage.types import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=90)
MAX_ATTEMPTS = 8
BACKOFF_BASE_S = 2.0
BACKOFF_CAP_S = 300.0
IDLE_TICK_S = 5.0
CANDIDATES = 5  # due drafts looked at per pass, oldest decision first
STOPPED = "the bot stopped while posting: the post may or may not be up"
FRESHLY_UNKNOWN = {"looks": 0, "next_attempt_at": None}  # not looked for on X yet: the first look follows at once


def backoff(attempt: int, rng: random.Random | None = None) -> float:
    """Capped exponential backoff with jitter (between half and all of the step)."""
    step = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(0, attempt - 1))
    return step * (0.5 + 0.5 * (rng or random).random())


def min_time(*times: datetime | None) -> datetime | None:
    return min((t for t in times if t is not None), default=None)


class Publisher:
    def __init__(
        self,
        store: Store,
        account: Account,
        on_change: Callable[[int], None],
        *,
        worker_id: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        paused: Callable[[], bool] = lambda: False,
        lease: timedelta = LEASE,
        claimer: Claimer | None = None,
        media: MediaUploader | None = None,
        grace: timedelta = timedelta(minutes=5),
        on_published: Callable[[Draft, int], None] | None = None,
        accounts: Callable[[str], Account] | None = None,
    ) -> None:
        self.accounts = accounts  # a brand's key → the account its drafts go out on (Services.accounts_for)
        # `on_published`: instead of `on_change` after a post went up; the outcome's transaction then also claims
        # telling the writer (the move's audit row id is given), so the telling needs no transaction of its own.
        self.on_published = on_published
        self.media = media  # None: images can't be fetched (a draft with images then fails, saying so)
        self.grace = grace  # a scheduled post this late is held for a person (jobs.timekeeper), never posted silently
        self.paused = paused
        self.lease = lease
        self.reconciler = Reconciler(store, account, clock=clock)
        self.store = store
        self.account = account
        self.on_change = on_change
        self.worker_id = worker_id or f"worker-{uuid.uuid4().hex[:8]}"  # who, in the audit trail
        self.claimer = claimer or Claimer.this_process()  # which process, in `claimed_by`
        self.clock = clock
        self.waiters = Waiters()  # decisions whose handler waits for the outcome (bot.delivery.publish_wait)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the loop ------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="countersign-publisher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Something was approved: look now instead of at the next tick."""
        self._wake.set()

    def expect(self, draft_id: int) -> Waiter | None:
        """Register a decision's wait for the outcome on `draft_id` (before `wake`); None if this publisher's loop
        isn't running, as nothing here would publish it soon."""
        if self._thread is None or not self._thread.is_alive() or self._stop.is_set():
            return None
        return self.waiters.expect(draft_id)

    def _loop(self) -> None:
        try:
            self.look_again()
        except Exception:
            log.exception("looking again at unknown drafts failed; a person can still settle them")
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.run_once()
                pause = self._pause()
            except Exception:
                log.exception("publisher tick failed; trying again at the next tick")
                pause = IDLE_TICK_S
            self._wake.wait(pause)

    def _pause(self) -> float:
        """Sleep until the next postponed attempt is due, or a tick, whichever is sooner. While the brand is
        paused, a tick: an overdue retry can't go out before resume (which wakes the loop) and must not make
        the loop pass again at once, over and over."""
        if self.paused():
            return IDLE_TICK_S
        with self.store.read() as tx:
            now = self.clock()
            due = min_time(
                tx.next_attempt_due(), schedule.next_publish_at(tx.session, now), undo.next_window_end(tx.session, now)
            )
        if due is None:
            return IDLE_TICK_S
        return min(IDLE_TICK_S, max(0.0, (due - self.clock()).total_seconds()))

    def run_once(self) -> int:
        """Recover abandoned claims, take the looks on X that are due, then publish everything that is due.
        Returns posts attempted."""
        begun = self.waiters.pass_begins()
        try:
            return self._run_once()
        finally:
            self.waiters.pass_ends(begun)

    def _run_once(self) -> int:
        self.recover_expired_leases()
        self.look_when_due()  # reading the account, not publishing: a paused brand's unknown posts are looked for too
        if self.paused():
            return 0  # the brand's kill switch: approved drafts wait, in order, for resume
        done = 0
        while not self._stop.is_set():
            with self.store.read() as tx:
                due = tx.due_for_publishing(self.clock(), limit=CANDIDATES, grace=self.grace)
            # Another instance may win a candidate; move on to the next rather than idle until the tick.
            claimed = [draft_id for draft_id in due if not self._stop.is_set() and self.publish(draft_id)]
            if not claimed:
                break
            done += len(claimed)
        return done

    # -- one draft -----------------------------------------------------------------------------

    def publish(self, draft_id: int) -> bool:
        """Claim `draft_id` and post it. False if another worker got there first."""
        attempt_id = uuid.uuid4().hex
        with self.store.transaction() as tx:
            draft = tx.claimed(draft_id, attempt_id, str(self.claimer), self.clock() + self.lease)
            images = draft_media.items(stored_media.of_version(tx.session, draft_id, draft.version)) if draft else ()
            if draft is not None:
                tx.audit(
                    draft_id,
                    "publish_claimed",
                    actor_id=self.worker_id,
                    frm=Status.APPROVED,
                    to=Status.PUBLISHING,
                    version=draft.version,
                    detail=f"attempt {draft.attempts}",
                )
        if draft is None:
            return False
        failpoints.hit("after-claim")
        told: tuple[Draft, int] | None = None
        try:
            told = self._post_parts(draft, attempt_id, images)
        except MediaNotReady as exc:  # before the create call: nothing went out for this part
            self._record_failure(draft, attempt_id, exc.diagnosis)
        except Exception as exc:  # classified below; anything unknown counts as uncertain
            self._record_failure(draft, attempt_id, self.account.diagnose(exc))
        if told is not None and self.on_published is not None:
            self.on_published(*told)
        else:
            self.on_change(draft_id)
        self.waiters.shown(draft_id)  # the outcome is on the cards: a decision waiting for it has nothing to show
        return True

    def _renew(self, draft: Draft, attempt_id: str) -> bool:
        """Still ours (fenced by the attempt id)? Then the lease runs from now, before the create call."""
        with self.store.transaction() as tx:
            return tx.attempt_write(draft.id or 0, attempt_id, lease_until=self.clock() + self.lease)

    def _media_ids(
        self, images: tuple[MediaItem, ...], part: int, parts: int, account: Account | None = None
    ) -> list[str]:
        mine = for_part(images, part, parts)
        if not mine:
            return []
        if self.media is None:
            raise MediaNotReady(Diagnosis(Verdict.FAILED, "this instance can't read images from Slack"))
        return (replace(self.media, account=account) if account else self.media).prepare(mine)

    def account_of(self, draft: Draft) -> Account:
        """The account `draft` goes out on: its brand's."""
        return self.accounts(draft.brand) if self.accounts is not None else self.account

    def _post_parts(
        self, draft: Draft, attempt_id: str, images: tuple[MediaItem, ...] = ()
    ) -> tuple[Draft, int] | None:
        """Post what is left of the thread; the published row and its move's claimed telling, if this recorded
        the outcome and `on_published` will tell."""
        parts = draft.final_parts or []
        ids = list(draft.post_ids or [])
        account = self.account_of(draft)
        for text in parts[len(ids) :]:
            media_ids = self._media_ids(images, len(ids), len(parts), account)  # uploaded now: ids expire in 24 h
            if media_ids and not self._renew(draft, attempt_id):  # fetching and uploading took lease time
                log.warning("draft %s: lease lost while uploading images; leaving it to the new owner", draft.id)
                return
            posted = account.post(text, key=account.new_key(), reply_to=ids[-1] if ids else None, media=media_ids)
            ids.append(posted.id)
            failpoints.hit("after-x-call")
            if len(ids) == len(parts) and posted.link is not None:
                # The last part, and the account knew its link without a call: its id and the outcome at once.
                return self._record_published(draft, attempt_id, account.link(ids[0]), ids)
            with self.store.transaction() as tx:
                # The part's id and a renewed lease in one fenced write: the next part goes out on a full lease.
                if not tx.attempt_write(draft.id or 0, attempt_id, post_ids=ids, lease_until=self.clock() + self.lease):
                    log.warning("draft %s: lease lost mid-thread; leaving it to the new owner", draft.id)
                    return None
        return self._record_published(draft, attempt_id, account.link(ids[0]))

    def _record_published(
        self, draft: Draft, attempt_id: str, url: str | None, ids: list[str] | None = None
    ) -> tuple[Draft, int] | None:
        """The outcome, fenced by the attempt; with `ids`, the last part's id too, in the same write. With
        `on_published`, the writer's telling is claimed in it too: returns the row as written and the move's id."""
        with_ids = {"post_ids": ids} if ids is not None else {}
        with self.store.transaction() as tx:
            written = tx.attempt_written(
                draft.id or 0,
                attempt_id,
                to=Status.PUBLISHED,
                post_url=url,
                published_at=self.clock(),
                last_error=None,
                **with_ids,
            )
            if written is None:
                return None
            move = tx.audit(
                draft.id,
                "published",
                actor_id=self.worker_id,
                frm=Status.PUBLISHING,
                to=Status.PUBLISHED,
                version=draft.version,
                detail=url,
            )
            move_id = notices.claim_move(tx.session, move, utcnow()) if self.on_published is not None else None
        return None if move_id is None else (written, move_id)

    def _record_failure(self, draft: Draft, attempt_id: str, diagnosis: Diagnosis) -> None:
        now = self.clock()
        to, extra = self._next_state(draft, diagnosis, now)
        log.warning("draft %s: publishing attempt %s: %s -> %s", draft.id, draft.attempts, diagnosis.reason, to)
        with self.store.transaction() as tx:
            if tx.attempt_write(draft.id or 0, attempt_id, to=to, last_error=diagnosis.reason, **extra):
                tx.audit(
                    draft.id,
                    f"publish_{diagnosis.verdict.value}",
                    actor_id=self.worker_id,
                    frm=Status.PUBLISHING,
                    to=to,
                    version=draft.version,
                    detail=diagnosis.reason,
                )
        if to is Status.UNKNOWN and self.reconciler.settle(draft.id or 0, self.worker_id):
            self.wake()  # found on X: published, or the rest of the thread is due now

    def _next_state(self, draft: Draft, diagnosis: Diagnosis, now: datetime) -> tuple[Status, dict]:
        if diagnosis.verdict is Verdict.RETRY and draft.attempts < MAX_ATTEMPTS:
            if diagnosis.retry_at is not None:
                when = datetime.fromtimestamp(diagnosis.retry_at, tz=now.tzinfo)
            else:
                when = now + timedelta(seconds=backoff(draft.attempts))
            return Status.APPROVED, {"next_attempt_at": when}
        if diagnosis.verdict is Verdict.UNCERTAIN:
            return Status.UNKNOWN, FRESHLY_UNKNOWN
        return Status.FAILED, {}

    def look_again(self) -> int:
        """Once per start, look on X for every draft left unknown: a process that stopped between marking a
        draft unknown and looking for its post left it unlooked-at. Returns how many the account settled."""
        with self.store.read() as tx:
            unknown = tx.session.exec(select(Draft.id).where(Draft.status == Status.UNKNOWN)).all()
        settled = [i for i in unknown if i is not None and self.reconciler.settle(i, self.worker_id)]
        for draft_id in settled:
            self.on_change(draft_id)
        return len(settled)

    def look_when_due(self) -> int:
        """The looks on X booked for unknown drafts (X's timeline lags): take those whose time has come."""
        with self.store.read() as tx:
            due = tx.looks_due(self.clock())
        settled = 0
        for draft_id in due:
            settled += self.reconciler.settle(draft_id, self.worker_id)
            self.on_change(draft_id)  # found, or the card's "still looking" changed
        return settled

    def recover_expired_leases(self) -> None:
        """A worker died holding a claim: whether X got the post is unknown, so the account is looked at and, if
        that can't tell, a person. Its lease ran out; or, on this host, its process no longer exists (no need
        to wait for the lease then: a dead process renews nothing)."""
        now = self.clock()
        moved = []
        with self.store.read() as tx:  # at every wake-up, and almost always none: no write transaction for that
            if not tx.claims_to_check(now, self.claimer.prefix, lock=False):
                return
        with self.store.transaction() as tx:
            for draft in tx.claims_to_check(now, self.claimer.prefix):
                expired = draft.lease_until is not None and draft.lease_until < now
                if expired:
                    action, detail = "lease_expired", f"claimed by {draft.claimed_by}"
                elif self.claimer.is_gone(draft.claimed_by):
                    action, detail = "claimer_gone", f"claimed by {draft.claimed_by}, a process of this host now gone"
                else:
                    continue
                if tx.attempt_write(
                    draft.id or 0, draft.attempt_id, to=Status.UNKNOWN, last_error=STOPPED, **FRESHLY_UNKNOWN
                ):
                    tx.audit(
                        draft.id,
                        action,
                        actor_id=self.worker_id,
                        frm=Status.PUBLISHING,
                        to=Status.UNKNOWN,
                        version=draft.version,
                        detail=detail,
                    )
                    moved.append(draft.id)
        for draft_id in moved:
            if draft_id is not None:
                self.reconciler.settle(draft_id, self.worker_id)
                self.on_change(draft_id)
