"""The one mapping from outcomes to what people are told."""

from __future__ import annotations

from typing import Any

import pytest

from bot.approval.outcomes import REFUSALS, Kind, Outcome
from bot.approval.post_text import PostText, compose
from bot.intake.media_rules import MediaRefusal
from bot.intake.media_rules import Problem as MediaProblem
from bot.slack.replies import decision_reply, intake_reply, refusal, revision_refused, slack_only, unexpected_error
from bot.slack.text import Problem, Refusal
from storage.models import Draft, Status
from tests.unit.delivery_rows import delivered

TEMPLATE = "— by {agency}"  # "\n\n— by Ag" adds 9


def make_post(text: str) -> PostText:
    return compose(text, template=TEMPLATE, agency="Ag", approver="Olivia", writer="Wes")


def make_draft(**fields: Any) -> Draft:
    values: dict[str, Any] = {
        "id": 17,
        "version": 2,
        "status": Status.PENDING,
        "channel": "C0DRAFTS",
        "ts": "1.1",
        "writer_id": "U0WRITER",
        "text": "Fresh beans are in.",
    }
    return Draft(**(values | fields))


# -- refusals ------------------------------------------------------------------------------


def refusal_outcome(kind: Kind) -> Outcome:
    if kind is Kind.ALREADY_DECIDED:
        return Outcome(kind, draft=make_draft(status=Status.REJECTED, decided_by="U0OWNER"))
    if kind is Kind.TOO_LONG:
        return Outcome(kind, post=make_post("a" * 300))
    return Outcome(kind)


def test_every_refusal_kind_has_its_own_non_empty_text() -> None:
    texts = {kind: refusal(refusal_outcome(kind)) for kind in REFUSALS}
    assert all(text.strip() for text in texts.values())
    assert len(set(texts.values())) == len(REFUSALS), texts
    generic = refusal(Outcome(Kind.IGNORED))
    assert generic not in texts.values(), "no refusal may fall back to the generic text"


def test_an_unexpected_error_gives_the_reference_and_says_nothing_was_published() -> None:
    text = unexpected_error("c0ffee12")
    assert "c0ffee12" in text
    assert "Nothing was published" in text
    assert text not in {refusal(refusal_outcome(kind)) for kind in REFUSALS}


def test_already_decided_names_who_decided_and_the_state() -> None:
    text = refusal(Outcome(Kind.ALREADY_DECIDED, draft=make_draft(status=Status.PUBLISHED, decided_by="U0OWNER")))
    assert "<@U0OWNER>" in text
    assert "published" in text
    assert "#17" in text


def test_a_networks_button_already_settled_says_which_network() -> None:
    draft = make_draft(status=Status.UNKNOWN, decided_by="U0OWNER")
    text = refusal(Outcome(Kind.ALREADY_DECIDED, draft=draft, detail="mastodon"))
    assert text.startswith(f"Draft #{draft.id} on Mastodon was already settled") and "Nothing was changed" in text


def test_already_decided_reports_each_state_differently() -> None:
    texts = {
        refusal(Outcome(Kind.ALREADY_DECIDED, draft=make_draft(status=status, decided_by="U0OWNER")))
        for status in Status
    }
    assert len(texts) == len(Status)


def test_too_long_refusal_says_by_how_much() -> None:
    # 300 + 9 = 309: 29 over.
    text = refusal(Outcome(Kind.TOO_LONG, post=make_post("a" * 300)))
    assert "29 over" in text
    assert "309/280" in text


# -- intake --------------------------------------------------------------------------------


def test_submitted_reply_names_the_approvers_draft_and_count() -> None:
    # 203 + 9 = 212
    outcome = Outcome(Kind.SUBMITTED, draft=make_draft(), post=make_post("s" * 203))
    text = intake_reply(outcome, "<@U0OWNER>")
    assert text is not None
    assert "212/280" in text
    assert "<@U0OWNER>" in text
    assert "#17" in text
    assert "Images" not in text


def test_files_dropped_reply_names_each_file_left_out_and_what_x_takes() -> None:
    dropped = (MediaRefusal(MediaProblem.UNSUPPORTED, "brief.pdf", "application/pdf"),)
    outcome = Outcome(Kind.FILES_DROPPED, draft=make_draft(), post=make_post("hi"), media=dropped)
    text = intake_reply(outcome, "<@U0OWNER>")
    assert text is not None
    assert "11/280" in text
    assert "`brief.pdf` won't be posted" in text
    assert "JPEG, PNG or WebP" in text and "videos and other files aren't supported" in text


def test_refused_images_name_the_file_and_the_limit() -> None:
    refused = (MediaRefusal(MediaProblem.TOO_BIG, "hero.png", "6.0 MB; X takes an image up to 5.0 MB"),)
    text = intake_reply(Outcome(Kind.MEDIA_REFUSED, media=refused), "<@U0OWNER>")
    assert text == (
        "Not sent for approval. `hero.png` is too big for X (6.0 MB; X takes an image up to 5.0 MB). "
        "Fix the files and post the message again (or edit it): nothing was sent."
    )


def test_thread_count_lists_every_part() -> None:
    outcome = Outcome(Kind.SUBMITTED, draft=make_draft(), post=make_post("one\n---\ntwo!"))
    text = intake_reply(outcome, "<@U0OWNER>")
    assert text is not None
    assert "3/280 · 13/280" in text


def test_too_long_intake_says_by_how_much_including_attribution() -> None:
    # 275 + 9 = 284: 4 over, and only because of the attribution.
    text = intake_reply(Outcome(Kind.TOO_LONG, post=make_post("t" * 275)), "<@U0OWNER>")
    assert text is not None
    assert text.startswith("Not sent")
    assert "4 over" in text
    assert "attribution included" in text


def test_too_long_thread_names_the_part() -> None:
    text = intake_reply(Outcome(Kind.TOO_LONG, post=make_post("ok\n---\n" + "t" * 290)), "x")
    assert text is not None
    assert "Part 2 of 2 is 19 over" in text


@pytest.mark.parametrize("kind", [Kind.EMPTY, Kind.FILES_ONLY])
def test_nothing_to_send_replies(kind: Kind) -> None:
    text = intake_reply(Outcome(kind), "<@U0OWNER>")
    assert text
    assert text != intake_reply(Outcome(Kind.EMPTY if kind is Kind.FILES_ONLY else Kind.FILES_ONLY), "")


def test_revised_reply_names_the_new_version() -> None:
    text = intake_reply(Outcome(Kind.REVISED, draft=make_draft(version=4), post=make_post("hi")), "<@U0OWNER>")
    assert text is not None
    assert "version 4" in text
    assert "11/280" in text


def test_not_editable_reply_names_the_state() -> None:
    text = intake_reply(Outcome(Kind.NOT_EDITABLE, draft=make_draft(status=Status.APPROVED)), "")
    assert text is not None
    assert "approved" in text


@pytest.mark.parametrize("kind", [Kind.DUPLICATE, Kind.IGNORED, Kind.WITHDRAWN])
def test_writers_hear_nothing_for_duplicates_and_ignored_events(kind: Kind) -> None:
    assert intake_reply(Outcome(kind, draft=make_draft()), "") is None


def test_revision_refused_keeps_the_previous_version() -> None:
    text = revision_refused(Outcome(Kind.TOO_LONG, draft=make_draft(version=5), post=make_post("r" * 280)))
    assert "9 over" in text
    assert "version 5" in text
    empty = revision_refused(Outcome(Kind.EMPTY, draft=make_draft(version=5)))
    assert "no text" in empty


# -- decisions -----------------------------------------------------------------------------


def test_changes_requested_reply_quotes_the_escaped_reason() -> None:
    draft = make_draft(status=Status.CHANGES_REQUESTED, decided_by="U0OWNER", reason="Drop <!channel> &\nbe nice")
    text = decision_reply(draft)
    assert text is not None
    assert "<@U0OWNER>" in text
    assert "&lt;!channel&gt; &amp;\n>be nice" in text
    assert "<!channel>" not in text


def test_rejected_reply_quotes_the_escaped_reason() -> None:
    text = decision_reply(make_draft(status=Status.REJECTED, decided_by="U0OWNER", reason="<https://a.b|no>"))
    assert text is not None
    assert "rejected" in text
    assert "&lt;https://a.b|no&gt;" in text


def test_a_missing_reason_is_said_plainly() -> None:
    text = decision_reply(make_draft(status=Status.REJECTED, decided_by="U0OWNER", reason=None))
    assert text is not None
    assert "no reason given" in text


def test_published_reply_includes_the_link() -> None:
    draft = make_draft(status=Status.PUBLISHED, decided_by="U0OWNER")
    text = decision_reply(draft, delivered=delivered(draft, post_ids=["99"], post_url="https://x.com/acme/status/99"))
    assert text is not None
    assert "https://x.com/acme/status/99" in text
    assert "<@U0OWNER>" in text


def test_failed_and_unknown_replies_carry_the_error() -> None:
    failing, lost = make_draft(status=Status.FAILED, decided_by="U0OWNER"), make_draft(status=Status.UNKNOWN)
    failed = decision_reply(failing, delivered=delivered(failing, last_error="out of credits"))
    unknown = decision_reply(lost, delivered=delivered(lost, last_error="read timeout"))
    assert failed is not None and "out of credits" in failed
    assert unknown is not None and "read timeout" in unknown
    assert failed != unknown


@pytest.mark.parametrize("status", [Status.PENDING, Status.APPROVED, Status.PUBLISHING, Status.WITHDRAWN])
def test_no_decision_reply_for_states_the_writer_already_knows(status: Status) -> None:
    assert decision_reply(make_draft(status=status)) is None


# -- a draft that only means something in Slack ------------------------------------------------


@pytest.mark.parametrize("problem", list(Problem))
def test_every_slack_only_problem_has_its_own_sentence(problem: Problem) -> None:
    text = intake_reply(Outcome(Kind.SLACK_ONLY, refusals=(Refusal(problem, "x1"),)), "<@U0OWNER>")
    assert text is not None and text.startswith("Not sent for approval. ") and text.endswith("edit your message.")
    others = {
        intake_reply(Outcome(Kind.SLACK_ONLY, refusals=(Refusal(p, "x1"),)), "") for p in Problem if p is not problem
    }
    assert text not in others


def test_slack_only_names_what_to_change_without_pinging_or_rendering_it() -> None:
    refusals = (
        Refusal(Problem.BROADCAST, "here"),
        Refusal(Problem.CHANNEL, "C0GENERAL"),
        Refusal(Problem.USERGROUP, "@baristas"),
        Refusal(Problem.CUSTOM_EMOJI, "party`parrot <!channel>"),
    )
    text = slack_only(refusals)
    assert "`@here`" in text and "<#C0GENERAL>" in text and "`@baristas`" in text
    assert "`:party'parrot &lt;!channel&gt;:` is a custom Slack emoji with no character on X" in text
    assert "<!" not in text


def test_an_edit_refused_for_slack_only_content_says_the_approvers_keep_the_old_version() -> None:
    outcome = Outcome(Kind.SLACK_ONLY, draft=make_draft(version=3), refusals=(Refusal(Problem.BROADCAST, "here"),))
    text = revision_refused(outcome)
    assert text.startswith("Your edit wasn't sent. It mentions `@here`") and "still see version 3" in text
