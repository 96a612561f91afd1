"""Publishing: each approved version goes to each of its brand's networks at most once, one delivery per network
(storage.deliveries), never waiting inside a Slack handler.

Claim a delivery with a lease and commit, with the key of every part still to go chosen and stored in that same
transaction (`Account.new_key`: Mastodon's Idempotency-Key, Bluesky's record key, nothing for X), so each retry of
a part sends the same key; call the delivery's account holding no database lock; record the result fenced by the
attempt id and the status (`deliveries.attempt_write`), so a worker whose claim was recovered can't record anything
or go on with a thread. A thread records each part's id as it goes, renewing the lease for the next part, so a
retry resumes after the last part that is known to be up. Each delivery move writes the draft's status (their
aggregate) in its transaction. One network failing never blocks or repeats another: each has its own claim,
backoff, uncertainty and reconciliation. A claim names its process (`bot.delivery.claimer`): one of this host
whose process is gone is recovered at once, others when their lease runs out.

A pass woken by an approval reads what is due once (`storage.publishing`: each candidate carries what its claim
needs) and, after it, when to wake; the scans for abandoned claims and due looks, nearly always empty, wait for
the tick or a booked time.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from bot.delivery.claimer import Claimer
from bot.delivery.media_publish import MediaNotReady, MediaUploader, for_part
from bot.delivery.publish_wait import Waiter, Waiters
from bot.delivery.reconcile import Reconciler
from bot.delivery.recovery import FRESHLY_UNKNOWN, Recovery
from bot.intake import draft_media
from bot.intake.media_rules import MediaItem
from bot.networks.base import Account, Diagnosis, Verdict, title_of
from bot.networks.registry import by_network
from bot.runtime import failpoints
from storage import deliveries, notices, publishing
from storage import media as stored_media
from storage.models import Card, Delivery, Draft, DraftMedia, Status
from storage.publishing import Candidate
from storage.store import Store, Tx
from storage.types import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=90)
MAX_ATTEMPTS = 8
BACKOFF_BASE_S = 2.0
BACKOFF_CAP_S = 300.0
IDLE_TICK_S = 5.0
CANDIDATES = 5  # due drafts looked at per pass, oldest decision first


def backoff(attempt: int, rng: random.Random | None = None) -> float:
    """Capped exponential backoff with jitter (between half and all of the step)."""
    step = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(0, attempt - 1))
    return step * (0.5 + 0.5 * (rng or random).random())


@dataclass(frozen=True)
class NoAccount:
    """`_claim`'s answer when it failed the delivery instead: no account for its network on this instance."""

    draft_id: int


@dataclass(frozen=True)
class Published:
    """The outcome that published a draft, for its telling (`on_published`), with what that shows, read in the
    outcome's transaction: the draft as written, the move whose telling it claimed, the draft's cards, and its
    version's images and deliveries. The cards and the writer's reply then go out with no read of their own."""

    draft: Draft
    move_id: int
    cards: list[Card]
    media: list[DraftMedia]
    deliveries: list[Delivery]


def no_account_reason(brand: str, network: str) -> str:
    return (
        f"no {title_of(network)} account for brand '{brand}' on this instance: add it to the brand's networks and its "
        "credentials to the environment, then Retry"
    )


class Publisher(Recovery):
    def __init__(
        self,
        store: Store,
        accounts: Account | Mapping[str, Account],
        on_change: Callable[[int], None],
        *,
        worker_id: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        lease: timedelta = LEASE,
        claimer: Claimer | None = None,
        media: MediaUploader | None = None,
        grace: timedelta = timedelta(minutes=5),
        on_published: Callable[[Published], None] | None = None,
        accounts_for: Callable[[str], Mapping[str, Account]] | None = None,
    ) -> None:
        # `on_published`: instead of `on_change` after a post went up; the outcome's transaction then also claims
        # telling the writer and reads what the telling shows (`Published`), so it needs no transaction before it.
        self.on_published = on_published
        self.media = media  # None: images can't be fetched (a draft with images then fails, saying so)
        self.grace = grace  # a scheduled post this late is held for a person (jobs.timekeeper), never posted silently
        self.lease = lease
        # Every network's account by name (bot.networks.registry.Accounts); one account alone is its network's.
        self.accounts: Mapping[str, Account] = by_network(accounts)
        # `accounts_for`: a brand's key → its accounts by network (Services.accounts_for), when brands have their own
        self.reconciler = Reconciler(store, self.accounts, clock=clock, accounts_for=accounts_for)
        self.store = store
        self.on_change = on_change
        self.worker_id = worker_id or f"worker-{uuid.uuid4().hex[:8]}"  # who, in the audit trail
        self.claimer = claimer or Claimer.this_process()  # which process, in `claimed_by`
        self.clock = clock
        self.waiters = Waiters()  # decisions whose handler waits for the outcome (bot.delivery.publish_wait)
        self._wake = threading.Event()
        self._read_at: datetime | None = None  # when the last pass read what was due (`_pause`)
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
        scanned = -IDLE_TICK_S  # monotonic time of the last scan of claims and looks: the first pass makes one
        woken = False
        while not self._stop.is_set():
            self._wake.clear()
            # A wake-up (an approval) publishes; the scans that are nearly always empty run when the wait ran out
            # (a booked look's or retry's time, or the tick) and at least once a tick however often it is woken.
            scan = not woken or time.monotonic() - scanned >= IDLE_TICK_S
            try:
                if scan:
                    scanned = time.monotonic()
                self.run_once(scan=scan)
                pause = 0.0 if self._wake.is_set() else self._pause(self._read_at)  # woken: pass again, no read
            except Exception:
                log.exception("publisher tick failed; trying again at the next tick")
                pause = IDLE_TICK_S
            woken = self._wake.wait(pause)

    def _pause(self, since: datetime | None = None) -> float:
        """Sleep until the next postponed attempt or look is due, a scheduled time or an Undo window's end, or a
        tick, whichever is sooner. A paused brand's times don't count (its overdue retry can't go out before
        resume, which wakes the loop, and must not make the loop pass again at once, over and over). `since`: when
        the pass read what was due; a time that came after it (during the pass) makes the loop pass again at once."""
        with self.store.read() as tx:
            due = publishing.next_wake(tx.session, since or self.clock())
        if due is None:
            return IDLE_TICK_S
        return min(IDLE_TICK_S, max(0.0, (due - self.clock()).total_seconds()))

    def run_once(self, *, scan: bool = True) -> int:
        """Recover abandoned claims and take the looks that are due (`scan`), then publish every delivery that is
        due. Returns deliveries attempted."""
        begun = self.waiters.pass_begins()
        try:
            return self._run_once(scan)
        finally:
            self.waiters.pass_ends(begun)

    def _run_once(self, scan: bool) -> int:
        if scan:
            self.recover_expired_leases()
            self.look_when_due()  # reading the account, not publishing: a paused brand's posts are looked for too
        # A paused brand's deliveries are not due (storage.brands.unpaused): they wait, in order, for resume.
        done = 0
        while not self._stop.is_set():
            with self.store.read() as tx:
                self._read_at = now = self.clock()
                pg = tx.dialect == "postgresql"
                due = publishing.candidates(tx.session, now, limit=CANDIDATES, grace=self.grace, postgresql=pg)
            # Another instance may win a candidate; move on to the next rather than idle until the tick.
            claimed = [c for c in due if not self._stop.is_set() and self._publish(c)]
            done += len(claimed)
            if not claimed or len(due) < CANDIDATES:  # what was due when read is done; a later approval wakes us
                break
        return done

    # -- one delivery --------------------------------------------------------------------------

    def publish(self, delivery_id: int) -> bool:
        """Claim the delivery `delivery_id` and post it. False if another worker (or an Undo) got there first."""
        return self._publish(delivery_id)

    def _publish(self, candidate: Candidate | int) -> bool:
        """`publish`, given the pass's candidate (or only its id: then read in the claim's transaction)."""
        attempt_id = uuid.uuid4().hex
        with self.store.transaction() as tx:
            found = publishing.candidate(tx.session, candidate) if isinstance(candidate, int) else candidate
            claim = None if found is None else self._claim(tx, found, attempt_id)
        if isinstance(claim, NoAccount):
            self.on_change(claim.draft_id)
            return True
        if claim is None:
            return False
        delivery, stored = claim
        draft_id = delivery.draft_id
        failpoints.hit("after-claim")
        told: Published | None = None
        # `_claim` took it only for a network the brand has an account on
        account = cast(Account, self.reconciler.account_of(delivery.brand, delivery.network))
        try:
            told = self._post_parts(delivery, attempt_id, account, stored)
        except MediaNotReady as exc:  # before the create call: nothing went out for this part
            self._record_failure(delivery, attempt_id, exc.diagnosis)
        except Exception as exc:  # classified by the account; anything unknown counts as uncertain
            self._record_failure(delivery, attempt_id, account.diagnose(exc))
        if told is not None and self.on_published is not None:
            self.on_published(told)
        else:
            self.on_change(draft_id)
        self.waiters.shown(draft_id)  # the outcome is on the cards: a decision waiting for it has nothing to show
        return True

    def publish_draft(self, draft_id: int) -> bool:
        """Claim and post every delivery of the draft's version still waiting to go, whatever their time (a person's
        "now", and tests). False if none was ours to claim."""
        with self.store.read() as tx:
            waiting = [d.id for d in deliveries.of_draft(tx.session, draft_id) if d.status == Status.APPROVED]
        return [self.publish(i) for i in waiting if i is not None].count(True) > 0

    def _claim(self, tx: Tx, found: Candidate, attempt_id: str) -> tuple[Delivery, list[DraftMedia]] | NoAccount | None:
        """approved → publishing, audited, with the keys of its parts stored: in one transaction that holds the
        draft's row first (an Undo of it takes turns with this claim). The keys are chosen before the claim and
        written by its UPDATE, which returns the row; images are read only when the version has some."""
        session = tx.session
        if not deliveries.hold_draft(session, found.draft_id, found.version):
            return None
        account = self.reconciler.account_of(found.brand, found.network)
        if account is None:
            return self._fail_without_account(tx, found)
        # Chosen once per part, before its first create call; a retry keeps the keys its first claim stored.
        fresh = [account.new_key() for _ in range(found.parts)]
        until = self.clock() + self.lease
        delivery = deliveries.claimed(session, found.id, attempt_id, str(self.claimer), until, keys=fresh)
        if delivery is None:
            return None
        parts, keys = delivery.final_parts or [], list(delivery.keys or [])
        if len(keys) < len(parts):  # keys stored short of the parts (not written so today): topped up as before
            keys += [account.new_key() for _ in range(len(parts) - len(keys))]
            deliveries.attempt_write(session, found.id, attempt_id, keys=keys)
            session.expunge(delivery)  # the row as written below, not flushed again from this copy
            delivery.keys = keys
        deliveries.settle_draft(session, delivery.draft_id, delivery.version)
        stored = stored_media.of_version(session, found.draft_id, found.version) if found.has_media else []
        tx.audit(
            delivery.draft_id,
            "publish_claimed",
            actor_id=self.worker_id,
            frm=Status.APPROVED,
            to=Status.PUBLISHING,
            version=delivery.version,
            detail=self._detail(f"attempt {delivery.attempts}", delivery),
            brand=delivery.brand,
        )
        return delivery, stored

    def _fail_without_account(self, tx: Tx, found: Candidate) -> NoAccount | None:
        """A delivery to a network this instance has no account for (taken out of the brand after the approval,
        or its credentials missing here): failed at once, saying so, rather than left due for ever, where enough
        of them would fill every pass's candidates and hold back the rest of the queue. Retry, once fixed."""
        reason = no_account_reason(found.brand, found.network)
        if not deliveries.move(tx.session, found.id, frm={Status.APPROVED}, to=Status.FAILED, last_error=reason):
            return None
        deliveries.settle_draft(tx.session, found.draft_id, found.version)
        tx.audit(
            found.draft_id,
            "publish_failed",  # counted with the others by the digest
            actor_id=self.worker_id,
            frm=Status.APPROVED,
            to=Status.FAILED,
            version=found.version,
            detail=self._detail(reason, found),
            brand=found.brand,
        )
        return NoAccount(found.draft_id)

    def _renew(self, delivery: Delivery, attempt_id: str) -> bool:
        """Still ours (fenced by the attempt id)? Then the lease runs from now, before the create call."""
        with self.store.transaction() as tx:
            until = self.clock() + self.lease
            return deliveries.attempt_write(tx.session, delivery.id or 0, attempt_id, lease_until=until)

    def _media_ids(self, images: tuple[MediaItem, ...], part: int, parts: int, account: Account) -> list[str]:
        mine = for_part(images, part, parts)
        if not mine:
            return []
        if self.media is None:
            raise MediaNotReady(Diagnosis(Verdict.FAILED, "this instance can't read images from Slack"))
        return self.media.prepare(mine, account)

    def _post_parts(
        self, delivery: Delivery, attempt_id: str, account: Account, stored: list[DraftMedia]
    ) -> Published | None:
        """Post what is left of the thread (`stored`: the version's images); the published draft and its move's
        claimed telling, if this recorded the outcome that published the draft and `on_published` will tell."""
        images = draft_media.items(stored)
        parts = delivery.final_parts or []
        ids = list(delivery.post_ids or [])
        keys = list(delivery.keys or [])
        for text in parts[len(ids) :]:
            media_ids = self._media_ids(images, len(ids), len(parts), account)  # uploaded now: ids expire in 24 h
            if media_ids and not self._renew(delivery, attempt_id):  # fetching and uploading took lease time
                log.warning("delivery %s: lease lost while uploading images; leaving it to the new owner", delivery.id)
                return None
            posted = account.post(text, key=keys[len(ids)], reply_to=ids[-1] if ids else None, media=media_ids)
            ids.append(posted.id)
            failpoints.hit("after-x-call")
            if len(ids) == len(parts) and posted.link is not None:
                # The last part, and the account knew its link without a call: its id and the outcome at once.
                return self._record_published(delivery, attempt_id, account.link(ids[0]), stored, ids)
            with self.store.transaction() as tx:
                # The part's id and a renewed lease in one fenced write: the next part goes out on a full lease.
                until = self.clock() + self.lease
                if not deliveries.attempt_write(
                    tx.session, delivery.id or 0, attempt_id, post_ids=ids, lease_until=until
                ):
                    log.warning("delivery %s: lease lost mid-thread; leaving it to the new owner", delivery.id)
                    return None
        return self._record_published(delivery, attempt_id, account.link(ids[0]) if ids else None, stored)

    def _record_published(
        self,
        delivery: Delivery,
        attempt_id: str,
        url: str | None,
        stored: list[DraftMedia],
        ids: list[str] | None = None,
    ) -> Published | None:
        """The outcome, fenced by the attempt; with `ids`, the last part's id too, in the same write. When it
        publishes the draft (every delivery up) and `on_published` is set, the writer's telling is claimed in it
        too, and what the telling shows is read in it (`Published`; `stored`: the version's images, from the claim)."""
        with_ids = {"post_ids": ids} if ids is not None else {}
        with self.store.transaction() as tx:
            written = deliveries.attempt_written(
                tx.session,
                delivery.id or 0,
                attempt_id,
                to=Status.PUBLISHED,
                post_url=url,
                published_at=self.clock(),
                last_error=None,
                **with_ids,
            )
            if written is None:
                return None
            now = deliveries.settle_draft(tx.session, delivery.draft_id, delivery.version)
            move = tx.audit(
                delivery.draft_id,
                "published",
                actor_id=self.worker_id,
                frm=Status.PUBLISHING,
                to=Status.PUBLISHED,
                version=delivery.version,
                detail=self._detail(url, delivery),
                brand=delivery.brand,
            )
            published = now is Status.PUBLISHED and self.on_published is not None
            move_id = notices.claim_move(tx.session, move, utcnow()) if published else None
            if move_id is None or (draft := tx.get(delivery.draft_id)) is None:
                return None
            version = deliveries.of_draft(tx.session, delivery.draft_id, delivery.version)
            return Published(draft, move_id, tx.cards(delivery.draft_id), stored, version)

    def _record_failure(self, delivery: Delivery, attempt_id: str, diagnosis: Diagnosis) -> None:
        now = self.clock()
        to, extra = self._next_state(delivery, diagnosis, now)
        log.warning(
            "delivery %s (%s): attempt %s: %s -> %s",
            delivery.id,
            delivery.network,
            delivery.attempts,
            diagnosis.reason,
            to,
        )
        with self.store.transaction() as tx:
            if deliveries.attempt_write(
                tx.session, delivery.id or 0, attempt_id, to=to, last_error=diagnosis.reason, **extra
            ):
                deliveries.settle_draft(tx.session, delivery.draft_id, delivery.version)
                tx.audit(
                    delivery.draft_id,
                    f"publish_{diagnosis.verdict.value}",
                    actor_id=self.worker_id,
                    frm=Status.PUBLISHING,
                    to=to,
                    version=delivery.version,
                    detail=self._detail(diagnosis.reason, delivery),
                    brand=delivery.brand,
                )
        if to is Status.UNKNOWN and self.reconciler.settle(delivery.id or 0, self.worker_id):
            self.wake()  # found: published, or the rest of the thread is due now

    def _next_state(self, delivery: Delivery, diagnosis: Diagnosis, now: datetime) -> tuple[Status, dict]:
        """RETRY from the account means the create call never arrived, or arriving again is the same post (an
        idempotent key, as Mastodon's); X and Bluesky answer UNCERTAIN when it may have arrived: looked for."""
        if diagnosis.verdict is Verdict.RETRY and delivery.attempts < MAX_ATTEMPTS:
            if diagnosis.retry_at is not None:
                when = datetime.fromtimestamp(diagnosis.retry_at, tz=now.tzinfo)
            else:
                when = now + timedelta(seconds=backoff(delivery.attempts))
            return Status.APPROVED, {"next_attempt_at": when}
        if diagnosis.verdict is Verdict.UNCERTAIN:
            return Status.UNKNOWN, FRESHLY_UNKNOWN
        return Status.FAILED, {}
