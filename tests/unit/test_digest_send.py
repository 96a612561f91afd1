"""The digest's retry schedule and what approvers are told to do about a refusal."""

from __future__ import annotations

from datetime import timedelta

from bot.jobs.digest_send import refusal_advice, retry_after


def test_retries_double_from_ten_minutes_up_to_six_hours() -> None:
    waits = [retry_after(n) for n in range(1, 10)]
    assert waits[:4] == [timedelta(minutes=m) for m in (10, 20, 40, 80)]
    assert waits == sorted(waits) and max(waits) == timedelta(hours=6)
    assert retry_after(10_000) == timedelta(hours=6)  # no overflow however long it goes on


def test_each_refusal_says_what_to_do_about_it() -> None:
    assert "/invite @Countersign" in refusal_advice("not_in_channel", "C0DIGEST")
    assert "<#C0DIGEST>" in refusal_advice("not_in_channel", "C0DIGEST")
    assert "DIGEST_CHANNEL" in refusal_advice("channel_not_found", "C0DIGEST")
    assert "archived" in refusal_advice("is_archived", "C0DIGEST")
    assert "`token_revoked`" in refusal_advice("token_revoked", "C0DIGEST")
