"""Point 5: only approvers of this workspace decide, and only signed requests from Slack are heard."""

from __future__ import annotations

import json
import time

import pytest

from tests.e2e.harness import (
    GUEST,
    OTHER_TEAM,
    OUTSIDER,
    OWNER,
    WRITER,
    Harness,
    buttons,
)


def test_a_non_approver_click_is_refused_privately_and_changes_nothing(bot: Harness) -> None:
    ts = bot.draft("Only owners decide.")
    card = bot.card(OWNER, containing="Only owners")
    bot.driver.click(card, "Approve", OUTSIDER)
    assert "Only this brand's approvers" in bot.ephemeral(OUTSIDER)
    assert bot.row(ts).status == "pending" and bot.x.posts == []
    assert buttons(bot.fresh(card)) == ["Approve", "Edit", "Request changes", "Reject"]
    refusals = [a for a in bot.audit() if a.action == "refused_not_an_approver"]
    assert [(a.actor_id, a.draft_id) for a in refusals] == [(OUTSIDER, bot.row(ts).id)]


def test_a_slack_connect_user_from_another_organisation_is_refused(bot: Harness) -> None:
    ts = bot.draft("Shared channel, not shared power.")
    card = bot.card(OWNER, containing="Shared channel")
    bot.driver.click(card, "Approve", GUEST, user_team_id=OTHER_TEAM)
    assert "from this workspace" in bot.ephemeral(GUEST)
    assert bot.row(ts).status == "pending"


def test_an_approvers_user_id_from_another_organisation_is_refused(bot: Harness) -> None:
    ts = bot.draft("Same id, other org.")
    card = bot.card(OWNER, containing="Same id")
    bot.driver.click(card, "Approve", OWNER, user_team_id=OTHER_TEAM)
    assert "from this workspace" in bot.ephemeral(OWNER)
    assert bot.row(ts).status == "pending" and bot.x.posts == []
    assert [a.actor_team_id for a in bot.audit() if a.action.startswith("refused")] == [OTHER_TEAM]


def test_a_writer_listed_as_approver_cannot_approve_their_own_draft(start_bot) -> None:
    bot = start_bot(APPROVERS=f"{OWNER},{WRITER}")
    ts = bot.draft("Self-approval attempt.")
    card = bot.card(OWNER, containing="Self-approval")
    bot.driver.click(card, "Approve", WRITER)
    assert "nobody countersigns their own post" in bot.ephemeral(WRITER)
    assert bot.row(ts).status == "pending" and bot.x.posts == []


def test_non_approvers_cannot_open_the_edit_or_reason_forms(bot: Harness) -> None:
    bot.draft("No forms for outsiders.")
    card = bot.card(OWNER, containing="No forms")
    for label in ("Edit", "Request changes", "Reject"):
        bot.driver.click(card, label, OUTSIDER)
    bot.slack.wait_for(lambda s: len(s.ephemerals(OUTSIDER)) >= 3 or None)
    assert bot.slack.views == []


def test_a_forged_modal_submission_by_a_non_approver_is_refused_in_the_modal(bot: Harness) -> None:
    ts = bot.draft("Forged form.")
    bot.card(OWNER, containing="Forged form")
    ref = f"{bot.row(ts).id}:1"
    response = bot.driver.submit_view(
        "countersign.reject_modal", ref, {"decision.reason": {"reason": "mine now"}}, OUTSIDER
    )
    assert response.json()["response_action"] == "errors"
    assert bot.row(ts).status == "pending"


@pytest.mark.parametrize("value", ["", "abc", "1", "1:2:3", "99999:1", "-1:1", "1:" + "9" * 40, "1 OR 1=1"])
def test_a_tampered_button_value_changes_nothing(bot: Harness, value: str) -> None:
    ts = bot.draft("Tamper-proof.")
    card = bot.card(OWNER, containing="Tamper-proof")
    action = {"action_id": "countersign.approve", "block_id": "card.actions", "value": value, "text": "Approve"}
    container = {"type": "message", "message_ts": card.ts, "channel_id": card.channel}
    response = bot.driver.block_action(action, OWNER, container=container, channel=card.channel)
    assert response.status_code == 200
    bot.ephemeral(OWNER)
    assert bot.row(ts).status == "pending" and bot.x.posts == []


def test_forged_stale_and_missing_signatures_get_401_and_do_nothing(bot: Harness) -> None:
    event = bot.driver.message_event(WRITER, "Unsigned draft", "C0DRAFTS")
    forged = bot.driver.event(event, signature="v0=" + "0" * 64)
    stale = bot.driver.event(event, timestamp=int(time.time()) - 301)
    missing = bot.driver.event(event, signed=False)
    other_secret = type(bot.driver)(bot.driver.app_url, "not-the-secret").event(event)
    assert [r.status_code for r in (forged, stale, missing, other_secret)] == [401, 401, 401, 401]
    bot.settle()
    assert bot._maybe_row(event["ts"]) is None


def test_a_signed_body_that_was_altered_in_transit_is_refused(bot: Harness) -> None:
    body = json.dumps(bot.driver.envelope_for_event(bot.driver.message_event(WRITER, "original", "C0DRAFTS")))
    headers = bot.driver.sign(body.encode())
    altered = body.replace("original", "altered!").encode()
    response = bot.driver.post(altered, "application/json", signed=False, headers=headers)
    assert response.status_code == 401


def test_url_verification_is_answered(bot: Harness) -> None:
    response = bot.driver.url_verification("challenge-123")
    assert response.status_code == 200 and "challenge-123" in response.text
