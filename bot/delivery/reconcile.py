"""After an uncertain attempt: look for the post on the account before asking a person.

X has no idempotency key, so "did my post go through?" can only be answered by reading the account's
recent posts. A match settles it (published, or the rest of a thread resumes); no match, or no answer,
leaves the draft `unknown` for an approver to settle from the card, while the bot looks a few more times (X's
timeline lags behind its writes).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta

from twitter_text import extract_urls_with_indices

from bot.delivery.media_publish import for_part
from bot.intake import draft_media
from bot.networks.x.client import XAccount
from storage import media as stored_media
from storage.models import Draft, Status
from storage.store import Store
from storage.types import utcnow

log = logging.getLogger(__name__)
LOOKBACK = timedelta(minutes=15)
# After the first look, right after the uncertain answer: 5 more over two minutes (at +5, +15, +30, +60, +120 s).
LOOK_AGAIN = tuple(timedelta(seconds=s) for s in (5, 10, 15, 30, 60))
LINK = "\ufffclink\ufffc"  # a placeholder no post text contains
_TCO = re.compile(r"https://t\.co/[A-Za-z0-9]+")
_X_ENTITY = re.compile(r"&(amp|lt|gt);")
_UNESCAPED = {"amp": "&", "lt": "<", "gt": ">"}


def comparable(text: str) -> str:
    """Our text as it can be compared with what X shows: X links every URL twitter-text finds (bare domains like
    `northwind.coffee` too) and shows each as a t.co link, so each becomes one placeholder."""
    text = unicodedata.normalize("NFC", text)
    out, at = [], 0
    for found in extract_urls_with_indices(text):
        start, end = found["indices"]
        out += [text[at:start], LINK]
        at = end
    out.append(text[at:])
    return " ".join("".join(out).split())


def comparable_from_x(text: str, *, media: bool = False) -> str:
    """A post's text as X's timeline shows it, made comparable with `comparable`: X escapes exactly `&`, `<`
    and `>` (undone here in one pass, so a typed `&amp;` stays `&amp;`), and every link is a t.co link. A post
    with media (`media`) ends with one more t.co link, to its photos, which our text never had."""
    text = _X_ENTITY.sub(lambda m: _UNESCAPED[m.group(1)], text)
    shown = " ".join(_TCO.sub(LINK, unicodedata.normalize("NFC", text)).split())
    return shown.removesuffix(LINK).rstrip() if media else shown


class Reconciler:
    def __init__(self, store: Store, account: XAccount, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.account = account
        self.clock = clock

    def settle(self, draft_id: int, actor: str = "reconciler") -> bool:
        """Look for the post on the account now. True when that settled the draft one way or the other.

        Each look is claimed first (a compare-and-set on the count of looks), and that same write books the next
        one: X's timeline lags behind its writes, so a post that isn't there yet is looked for again
        `LOOK_AGAIN` later, a few times over a couple of minutes, by whichever instance's publisher is ticking
        then (the time is in the database). The approvers have the buttons all along: someone who has seen
        the account needn't wait for the bot."""
        draft = self.store.get(draft_id)
        # The look is claimed (and the next booked) before anything else, so a due look is never left due.
        if draft is None or draft.status != Status.UNKNOWN or not self._claim_look(draft) or not draft.final_parts:
            return False
        ids = list(draft.post_ids or [])
        found = None
        if len(ids) < len(draft.final_parts):  # else every part's id was recorded before the stop: no need to look
            expected = comparable(draft.final_parts[len(ids)])
            media = self._has_media(draft, len(ids))
            recent = self.account.recent_posts(since=(draft.decided_at or draft.updated_at) - LOOKBACK)
            if recent is None:
                return self._note(draft_id, draft.last_error, "the account's recent posts couldn't be read")
            found = next(
                (pid for pid, text in recent if comparable_from_x(text, media=media) == expected and pid not in ids),
                None,
            )
            if found is None:
                return self._note(draft_id, draft.last_error, "it is not among the account's recent posts")
            ids.append(found)
        done = len(ids) >= len(draft.final_parts)
        values: dict[str, object] = {"post_ids": ids, "last_error": None, "next_attempt_at": None}
        if done:  # the link needs the username: asked of X (once per process) before the transaction, not in it
            values.update(post_url=self.account.try_link(ids[0]), published_at=self.clock())
        with self.store.transaction() as tx:
            to = Status.PUBLISHED if done else Status.APPROVED
            if not tx.move(draft_id, frm={Status.UNKNOWN}, to=to, **values):
                return False
            tx.audit(
                draft_id,
                "reconciled",
                actor_id=actor,
                frm=Status.UNKNOWN,
                to=to,
                version=draft.version,
                detail=f"found post {found} on the account",
            )
        log.info("draft %s: reconciled (%s); now %s", draft_id, found or "all parts recorded", to)
        return True

    def _has_media(self, draft: Draft, part: int) -> bool:
        """Whether `part` of the draft went out with images (X then shows one more link after its text)."""
        with self.store.read() as tx:
            images = draft_media.items(stored_media.of_version(tx.session, draft.id or 0, draft.version))
        return bool(for_part(images, part, len(draft.final_parts or [])))

    def _claim_look(self, draft: Draft) -> bool:
        """This look is ours (no other instance is taking the same one), and the next one is booked."""
        looks = draft.looks + 1
        after = LOOK_AGAIN[looks - 1] if looks <= len(LOOK_AGAIN) else None
        with self.store.transaction() as tx:
            return tx.look(draft.id or 0, draft.looks, self.clock() + after if after is not None else None)

    def _note(self, draft_id: int, error: str | None, finding: str) -> bool:
        with self.store.transaction() as tx:
            noted = error if finding in (error or "") else f"{error}; {finding}"  # looked again after a restart
            if noted != error:
                tx.move(draft_id, frm={Status.UNKNOWN}, to=Status.UNKNOWN, last_error=noted)
        return False
