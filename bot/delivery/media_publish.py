"""A version's images on their way to X, at publish time: fetch from Slack, check the hash, upload, alt text.

Media ids expire (24 h), so nothing is uploaded before the post is due. Each image is fetched again from Slack
and posted only if its sha256 is the one the owner approved: "exactly the bytes approved". None of this makes
anything public, so every failure here is either retried (X or Slack unreachable, 5xx, 429, a dropped upload)
or, when a person must act, a failure that says what to do (a file deleted or changed in Slack, X refusing
the image). Only the create call itself is ever uncertain (the account's `diagnose`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.intake.media_rules import MediaItem, sha256
from bot.networks.base import Account, Diagnosis, Verdict
from bot.slack.files import FileUnavailable


class MediaNotReady(Exception):
    """Publishing stops before the create call; `diagnosis` says whether to retry or to ask a person."""

    def __init__(self, diagnosis: Diagnosis) -> None:
        super().__init__(diagnosis.reason)
        self.diagnosis = diagnosis


@dataclass
class MediaUploader:
    download: Callable[[str], bytes]
    account: Account

    def prepare(self, items: Sequence[MediaItem], account: Account | None = None) -> list[str]:
        """`account`'s media ids for `items` (the brand's X account if none is given), in order, each with its alt
        text set. Raises MediaNotReady."""
        return [self._one(item, account or self.account) for item in items]

    def _one(self, item: MediaItem, account: Account) -> str:
        data = self._fetch(item)
        try:
            media_id = account.upload_media(data, item.mime, item.alt or None)
        except Exception as exc:  # nothing is public: what would be "uncertain" for a post is a retry here
            found = account.diagnose(exc)
            verdict = Verdict.FAILED if found.verdict is Verdict.FAILED else Verdict.RETRY
            raise MediaNotReady(Diagnosis(verdict, f"uploading {item.name}: {found.reason}", found.retry_at)) from None
        return media_id

    def _fetch(self, item: MediaItem) -> bytes:
        try:
            data = self.download(item.url)
        except FileUnavailable as exc:
            if exc.gone:
                reason = (
                    f"the image {item.name} is no longer in Slack ({exc.reason}), so nothing was posted; attach it "
                    "again by editing the draft's message (a new version to approve)"
                )
                raise MediaNotReady(Diagnosis(Verdict.FAILED, reason)) from None
            if exc.permanent:
                raise MediaNotReady(Diagnosis(Verdict.FAILED, f"reading {item.name}: {exc.reason}")) from None
            raise MediaNotReady(Diagnosis(Verdict.RETRY, f"reading {item.name} from Slack: {exc.reason}")) from None
        if sha256(data) != item.sha256:
            reason = (
                f"the image {item.name} in Slack is not the one that was approved (its content changed), so nothing "
                "was posted; attach it again by editing the draft's message (a new version to approve)"
            )
            raise MediaNotReady(Diagnosis(Verdict.FAILED, reason))
        return data


def for_part(items: Sequence[MediaItem], part: int, parts: int) -> list[MediaItem]:
    """The images that go with thread part `part` (0-based); a part number past the end means the last."""
    return [i for i in items if min(i.part, max(parts - 1, 0)) == part]
