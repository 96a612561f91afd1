"""Sending the weekly digest: at most once per brand and week, whichever instance or command gets there first.

The week's row is claimed before anything is built (no instance reads X for a digest another has sent), and
marked posting just before Slack is called. Then:
- Slack answered `ok`: sent.
- Slack refused (`ok: false`, e.g. `not_in_channel`): nothing was posted. Tried again later, backing off, and
  the approvers are told once what is wrong and how to fix it.
- No answer (timeout, connection lost after the request went out, a 5xx), or the sender died mid-call: Slack
  may have posted it. It is never re-sent blindly; the approvers are told once, with how to get the text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.jobs.schedule import Week
from storage import digest_runs
from storage.models import DigestRun
from storage.store import Store
from storage.types import utcnow

log = logging.getLogger(__name__)
STALE_CLAIM = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=10)
LONGEST_RETRY = timedelta(hours=6)
# Refusals that mean Slack is busy, not that something needs fixing: backed off and logged, nobody is bothered.
TRANSIENT = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"})


@dataclass(frozen=True)
class SendResult:
    sent: bool
    week: str
    detail: str


def retry_after(attempts: int) -> timedelta:
    """10 min, 20, 40, … up to 6 h between tries after the `attempts`-th refusal."""
    return min(LONGEST_RETRY, FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 16))


def refusal_advice(error: str, channel: str) -> str:
    """What an approver can do about Slack's `error` for the digest channel."""
    where = f"<#{channel}>"
    match error:
        case "not_in_channel":
            return (
                f"Countersign isn't a member of {where}. Invite it there (`/invite @Countersign` in {where}), "
                "or set DIGEST_CHANNEL to a channel it is in."
            )
        case "channel_not_found":
            return (
                f"Slack doesn't know the channel `{channel}` (DIGEST_CHANNEL), or it is private and Countersign "
                "isn't in it: check the id, or invite Countersign there."
            )
        case "is_archived":
            return f"{where} is archived: unarchive it, or set DIGEST_CHANNEL to another channel."
        case error if error in TRANSIENT:
            return "That is usually Slack being busy; nothing needs doing."
    return f"Check DIGEST_CHANNEL and the app's permissions (Slack said `{error}`)."


class DigestSender:
    def __init__(
        self, store: Store, client: WebClient, channel: str, worker_id: str, approvers: tuple[str, ...] = ()
    ) -> None:
        self.store = store
        self.client = client
        self.channel = channel
        self.worker_id = worker_id
        self.approvers = approvers

    def send(
        self, brand: str, week: Week, make_message: Callable[[], dict], *, now: datetime | None = None
    ) -> SendResult:
        now = now or utcnow()
        key = week.key
        with self.store.read() as tx:
            run = digest_runs.get(tx.session, brand, key)
            has_drafts = run is not None or digest_runs.any_draft_before(tx.session, brand, week.end)
        if not has_drafts:
            return SendResult(False, key, f"no digest for {key}: the week ended before the first draft")
        if run is not None and self._settled_or_waiting(run, now):
            return SendResult(False, key, self._describe(run))
        with self.store.transaction() as tx:
            claimed = digest_runs.claim(tx.session, brand, key, self.worker_id, now, now - STALE_CLAIM)
            died = not claimed and digest_runs.died_posting(tx.session, brand, key, now, now - STALE_CLAIM)
        if died:
            log.error("digest %s: its sender stopped while posting it; it may be in Slack, so it isn't sent again", key)
            self._tell(brand, key, now, self._uncertain_text(key, "the bot stopped while posting it"))
        if not claimed:
            return SendResult(False, key, self._describe_now(brand, key))
        try:
            message = make_message()
        except Exception:
            with self.store.transaction() as tx:
                digest_runs.release(tx.session, brand, key, self.worker_id)
            raise
        with self.store.transaction() as tx:
            if not digest_runs.mark_posting(tx.session, brand, key, self.worker_id, now):
                return SendResult(False, key, self._describe_now(brand, key))
        return self._post(brand, key, message, now)

    def _post(self, brand: str, key: str, message: dict, now: datetime) -> SendResult:
        try:
            answer = self.client.chat_postMessage(channel=self.channel, unfurl_links=False, **message)
        except SlackApiError as exc:
            status = getattr(exc.response, "status_code", 200)
            if status >= 500:  # a server error after the request arrived: it may have been posted
                return self._uncertain(brand, key, f"Slack answered HTTP {status}", now)
            error = str(exc.response.get("error") or "unknown_error")
            return self._refused(brand, key, error, now, tell=error not in TRANSIENT)
        except URLError as exc:  # the request never got out (refused, no route, DNS): nothing was posted
            return self._refused(brand, key, f"Slack unreachable: {exc.reason}", now, tell=False)
        except Exception as exc:  # the request went out and no answer came back: it may have been posted
            return self._uncertain(brand, key, f"no answer from Slack ({type(exc).__name__})", now)
        with self.store.transaction() as tx:
            digest_runs.sent(tx.session, brand, key, self.worker_id, answer["channel"], answer["ts"], utcnow())
        return SendResult(True, key, f"digest for {key} sent to <#{self.channel}>")

    def _refused(self, brand: str, key: str, error: str, now: datetime, *, tell: bool = True) -> SendResult:
        with self.store.transaction() as tx:
            run = digest_runs.get(tx.session, brand, key)
            attempts = (run.attempts if run else 0) + 1
            retry_at = now + retry_after(attempts)
            digest_runs.refused(tx.session, brand, key, self.worker_id, error, retry_at, attempts)
        log.warning(
            "digest %s not sent to %s: %s (attempt %d); trying again after %s",
            key,
            self.channel,
            error,
            attempts,
            f"{retry_at:%Y-%m-%d %H:%M} UTC",
        )
        if tell:
            advice = refusal_advice(error, self.channel)
            self._tell(
                brand,
                key,
                now,
                f":warning: The weekly digest for {key} couldn't be posted to <#{self.channel}>: Slack said "
                f"`{error}`. {advice} Countersign tries again by itself; you won't hear about {key} again.",
            )
        return SendResult(False, key, f"Slack refused the digest ({error}); trying again after {retry_at:%H:%M} UTC")

    def _uncertain(self, brand: str, key: str, why: str, now: datetime) -> SendResult:
        with self.store.transaction() as tx:
            digest_runs.uncertain(tx.session, brand, key, self.worker_id, why, now)
        log.error("digest %s: %s; it may or may not be in %s, so it is not sent again", key, why, self.channel)
        self._tell(brand, key, now, self._uncertain_text(key, why))
        return SendResult(False, key, f"the digest for {key} may or may not have been posted ({why}); not sent again")

    def _uncertain_text(self, key: str, why: str) -> str:
        return (
            f":warning: The weekly digest for {key} may or may not have reached <#{self.channel}> ({why}). "
            "It isn't sent again by itself, so it can't appear twice. If it isn't there, "
            f"`countersign digest --week {key}` prints it."
        )

    def _tell(self, brand: str, key: str, now: datetime, text: str) -> None:
        """One DM per approver, once per week's run (whichever instance gets here first)."""
        with self.store.transaction() as tx:
            if not digest_runs.take_telling(tx.session, brand, key, now):
                return
        for approver in self.approvers:
            try:
                self.client.chat_postMessage(channel=approver, text=text, unfurl_links=False)
            except (SlackApiError, OSError) as exc:
                log.warning("couldn't tell %s about the digest for %s: %s", approver, key, exc)

    @staticmethod
    def _settled_or_waiting(run: DigestRun, now: datetime) -> bool:
        return bool(run.sent_at or run.uncertain_at or (run.retry_at and run.retry_at > now))

    def _describe_now(self, brand: str, key: str) -> str:
        with self.store.read() as tx:
            run = digest_runs.get(tx.session, brand, key)
        return self._describe(run) if run else f"the digest for {key} is being sent by another instance"

    def _describe(self, run: DigestRun) -> str:
        key = run.week
        if run.sent_at is not None:
            return f"the digest for {key} was already sent on {run.sent_at:%Y-%m-%d %H:%M} UTC; not sent again"
        if run.uncertain_at is not None:
            return f"the digest for {key} may or may not have been posted ({run.last_error}); not sent again"
        if run.retry_at is not None:
            return f"Slack refused the digest for {key} ({run.last_error}); trying again after {run.retry_at:%H:%M} UTC"
        return f"the digest for {key} is being sent right now by {run.claimed_by}"
