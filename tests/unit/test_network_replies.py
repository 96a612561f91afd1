"""What the writer's thread and the commands say of a draft whose brand is not on X alone: a brand on Bluesky alone
reads Bluesky wherever an X-only brand reads X, and a brand on X, Bluesky and Mastodon reads all three, with each
network's own fact where they differ. Every fact of where a post went comes from the deliveries given."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.approval.outcomes import Kind, Outcome
from bot.intake.media_rules import MediaRefusal
from bot.intake.media_rules import Problem as MediaProblem
from bot.slack.replies import (
    decision_reply,
    delete_refusal,
    deleting,
    deletion_result,
    help_text,
    intake_reply,
    refusal,
    slack_only,
    status_words,
    too_late_to_undo,
)
from bot.slack.text import Problem, Refusal
from storage.models import Delivery, Draft, Status

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LINKS = {
    "x": "https://x.com/acme/status/1001",
    "bluesky": "https://bsky.app/profile/acme.bsky.social/post/3k2a",
    "mastodon": "https://m.example/@acme/1",
}
THREE = ("x", "bluesky", "mastodon")


def make_draft(status: str, **fields: Any) -> Draft:
    """The owner's decision alone: a reply that names a link or an error got it from a delivery."""
    values: dict[str, Any] = {"id": 7, "version": 1, "channel": "C0", "ts": "1.1", "writer_id": "U0WRITER"}
    return Draft(**(values | {"text": "t", "status": status, "decided_by": "U0OWNER", "decided_at": AT} | fields))


def delivery(network: str, status: str, **fields: Any) -> Delivery:
    values: dict[str, Any] = {"draft_id": 7, "brand": "acme", "version": 1, "network": network, "status": status}
    if status in (Status.PUBLISHED, Status.DELETING, Status.DELETED, Status.DELETE_FAILED):
        values |= {"post_ids": [f"{network}-1"], "post_url": LINKS[network], "published_at": AT}
    return Delivery(**(values | fields))


def all_of(status: str, networks: tuple[str, ...] = THREE, **fields: Any) -> list[Delivery]:
    return [delivery(n, status, **fields) for n in networks]


# -- a brand on Bluesky alone ---------------------------------------------------------------


def test_a_bluesky_brand_is_told_from_its_bluesky_delivery_and_of_bluesky_by_name() -> None:
    up = [delivery("bluesky", Status.PUBLISHED)]
    assert decision_reply(make_draft(Status.PUBLISHED), delivered=up) == (
        f"Approved by <@U0OWNER> · published {LINKS['bluesky']}"
    )
    failed = [delivery("bluesky", Status.FAILED, last_error="the app password was revoked")]
    assert decision_reply(make_draft(Status.FAILED), delivered=failed) == (
        "Approved by <@U0OWNER>, but publishing failed: the app password was revoked. Retry is on the card."
    )
    unsure = [delivery("bluesky", Status.UNKNOWN, last_error="timed out")]
    told = decision_reply(make_draft(Status.UNKNOWN), delivered=unsure)
    assert told is not None and told.startswith("Approved by <@U0OWNER>, but Bluesky didn't confirm the post")
    marked = [delivery("bluesky", Status.PUBLISHED, post_url=None)]
    assert decision_reply(make_draft(Status.PUBLISHED), delivered=marked) == (
        "Approved by <@U0OWNER> · marked as published after a check on Bluesky"
    )


def test_a_bluesky_brand_hears_its_post_was_deleted_from_bluesky() -> None:
    gone = [delivery("bluesky", Status.DELETED, deleted_ids=["bluesky-1"])]
    draft = make_draft(Status.DELETED, deleted_by="U0OWNER")
    assert decision_reply(draft, delivered=gone) == "This post was deleted from Bluesky by <@U0OWNER>."
    assert deletion_result(draft, [], gone) == (
        ":wastebasket: Draft #7 is deleted from Bluesky (its post). Every card says so."
    )
    assert deleting(7, gone) == "Deleting draft #7 from Bluesky (1 post)…"


def test_a_bluesky_brands_undo_and_refusals_name_bluesky() -> None:
    undone = make_draft(Status.PENDING, undone_by="U0OWNER", undone_at=AT, undone_version=1)
    told = decision_reply(undone, networks=("bluesky",))
    assert told is not None and "nothing reached Bluesky." in told
    up = (delivery("bluesky", Status.PUBLISHED),)
    too_late = too_late_to_undo(make_draft(Status.PUBLISHED), up)
    assert f"({LINKS['bluesky']}) — use Delete from Bluesky to take it down." in too_late
    going = Outcome(
        Kind.TOO_LATE_TO_UNDO, draft=make_draft(Status.APPROVED), delivered=all_of("approved", ("bluesky",))
    )
    assert "going out to Bluesky now" in refusal(going)
    outcome = Outcome(Kind.ALREADY_DELETING, draft=make_draft(Status.DELETING), delivered=up)
    assert "being deleted from Bluesky already" in delete_refusal(outcome)
    assert status_words(Status.DELETED, "Bluesky") == "deleted from Bluesky"


def test_slack_only_text_and_images_name_the_brands_networks() -> None:
    emoji = (Refusal(Problem.CUSTOM_EMOJI, "partyparrot"),)
    assert "custom Slack emoji with no character on Bluesky" in slack_only(emoji, "Bluesky")
    told = intake_reply(Outcome(Kind.SLACK_ONLY, refusals=emoji, networks=("bluesky", "mastodon")), "<@U0OWNER>")
    assert told is not None and "no character on Bluesky and Mastodon" in told
    assert refusal(Outcome(Kind.MEDIA_REFUSED, networks=THREE)) == ("X, Bluesky and Mastodon won't take these images.")


# -- a brand on X, Bluesky and Mastodon -------------------------------------------------------


def test_three_networks_published_link_each_network_in_the_thread() -> None:
    told = decision_reply(make_draft(Status.PUBLISHED), delivered=all_of(Status.PUBLISHED))
    assert told == (
        f"Approved by <@U0OWNER> · published X: {LINKS['x']} · Bluesky: {LINKS['bluesky']} · "
        f"Mastodon: {LINKS['mastodon']}"
    )


def test_three_networks_one_failed_says_which_and_links_the_others() -> None:
    found = [*all_of(Status.PUBLISHED, ("x", "bluesky")), delivery("mastodon", Status.FAILED, last_error="401")]
    assert decision_reply(make_draft(Status.FAILED), delivered=found) == (
        f"Approved by <@U0OWNER>, but publishing failed on Mastodon: <{LINKS['x']}|X> · <{LINKS['bluesky']}|Bluesky>"
        " · Mastodon failed: 401. Retry is on the card."
    )


def test_three_networks_one_unconfirmed_names_it_alone() -> None:
    x, mastodon = all_of(Status.PUBLISHED, ("x", "mastodon"))
    found = [x, delivery("bluesky", Status.UNKNOWN, last_error="reset"), mastodon]  # the brand's order
    told = decision_reply(make_draft(Status.UNKNOWN), delivered=found)
    assert told == (
        f"Approved by <@U0OWNER>, but Bluesky didn't confirm the post: <{LINKS['x']}|X> · Bluesky unknown: reset"
        f" · <{LINKS['mastodon']}|Mastodon>. The approver will check the account before anything is sent again."
    )


def test_three_networks_deleted_names_all_three_and_counts_every_post() -> None:
    gone = [delivery(n, Status.DELETED, deleted_ids=[f"{n}-1"]) for n in THREE]
    draft = make_draft(Status.DELETED, deleted_by="U0OWNER", delete_reason="Wrong price")
    assert decision_reply(draft, delivered=gone) == (
        "This post was deleted from X, Bluesky and Mastodon by <@U0OWNER>:\n>Wrong price"
    )
    assert deletion_result(draft, [], gone) == (
        ":wastebasket: Draft #7 is deleted from X, Bluesky and Mastodon (all 3 posts). Every card says so."
    )
    assert deleting(7, all_of(Status.DELETING)) == "Deleting draft #7 from X, Bluesky and Mastodon (3 posts)…"


def test_three_networks_a_stopped_delete_says_each_networks_fact() -> None:
    found = [
        delivery("x", Status.DELETED, deleted_ids=["x-1"]),
        delivery("bluesky", Status.DELETE_FAILED, last_error="Bluesky answered 500"),
        delivery("mastodon", Status.DELETED, deleted_ids=["mastodon-1"]),
    ]
    said = deletion_result(make_draft(Status.DELETE_FAILED), [1], found)
    assert said.startswith(
        ":warning: Deleting draft #7 from X, Bluesky and Mastodon stopped: X deleted · Bluesky delete failed:"
        " Bluesky answered 500 · Mastodon deleted. Still on Bluesky: part 1 of 1."
    )
    assert "*Retry*" in said


def test_three_networks_refusals_and_status_name_all_three() -> None:
    up = all_of(Status.PUBLISHED)
    draft = make_draft(Status.PUBLISHED)
    assert "Only a published post can be deleted from X, Bluesky and Mastodon" in refusal(
        Outcome(Kind.NOT_DELETABLE, draft=make_draft(Status.APPROVED), delivered=all_of(Status.APPROVED))
    )
    assert "was deleted from X, Bluesky and Mastodon already" in refusal(
        Outcome(Kind.ALREADY_DELETED, draft=draft, delivered=all_of(Status.DELETED))
    )
    late = too_late_to_undo(draft, up)
    assert f"(X: {LINKS['x']} · Bluesky: {LINKS['bluesky']} · Mastodon: {LINKS['mastodon']})" in late
    assert late.endswith("— use Delete from X, Bluesky and Mastodon to take it down.")
    decided = refusal(Outcome(Kind.ALREADY_DECIDED, draft=make_draft(Status.APPROVED), delivered=all_of("approved")))
    assert "it is approved and queued for X, Bluesky and Mastodon." in decided
    assert "Only this brand's approvers can delete posts from X, Bluesky and Mastodon" in delete_refusal(
        Outcome(Kind.NOT_AN_APPROVER, draft=draft, delivered=up)
    )


def test_three_networks_a_withdrawal_too_late_links_every_network() -> None:
    outcome = Outcome(Kind.NOT_WITHDRAWABLE, draft=make_draft(Status.PUBLISHED), delivered=all_of(Status.PUBLISHED))
    told = intake_reply(outcome, "<@U0OWNER>")
    assert told is not None
    assert f"It is on X: {LINKS['x']} · Bluesky: {LINKS['bluesky']} · Mastodon: {LINKS['mastodon']}" in told
    assert "ask an approver to delete it on X, Bluesky and Mastodon." in told


def test_help_says_delete_takes_a_post_down_from_the_brands_networks() -> None:
    assert "(every part of a thread) from X, Bluesky and Mastodon; the reason is kept" in help_text(THREE)
    assert "(every part of a thread) from Bluesky; the reason is kept" in help_text(("bluesky",))
    assert "(every part of a thread) from X; the reason is kept" in help_text()


def test_files_left_out_are_told_against_the_brands_networks() -> None:
    pdf = (MediaRefusal(MediaProblem.UNSUPPORTED, "brief.pdf", "application/pdf"),)
    alone = intake_reply(Outcome(Kind.FILES_ONLY, media=pdf, networks=("bluesky",)), "<@U0OWNER>")
    assert alone is not None and "`brief.pdf` won't be posted: Bluesky takes only images;" in alone
    three = intake_reply(Outcome(Kind.FILES_ONLY, media=pdf, networks=THREE), "<@U0OWNER>")
    assert three is not None and "won't be posted: X, Bluesky and Mastodon take only images;" in three
    x_only = intake_reply(Outcome(Kind.FILES_ONLY, media=pdf, networks=("x",)), "<@U0OWNER>")
    assert x_only is not None and "X takes only JPEG, PNG or WebP images" in x_only  # as it always read
