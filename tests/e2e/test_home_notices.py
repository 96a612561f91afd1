"""Issue 9, case 11b: a refusal for a click in the App Home reaches the person.

Real Slack answers `channel_not_found` to chat.postEphemeral with a user id as the channel (an ephemeral needs a
conversation the user is in); a click in the Home tab has no channel, so that is where such refusals went.
"""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from bot.sandbox.slack_api import dm_channel_for
from tests.e2e.harness import OWNER, OWNER2, Harness, block_text


def test_the_sandbox_refuses_an_ephemeral_to_a_user_id_like_slack(bot: Harness) -> None:
    client = bot.running.services.client
    with pytest.raises(SlackApiError) as refused:
        client.chat_postEphemeral(channel=OWNER, user=OWNER, text="hi")
    assert refused.value.response["error"] == "channel_not_found"
    assert client.chat_postEphemeral(channel=dm_channel_for(OWNER), user=OWNER, text="hi")["ok"]


def test_a_refused_click_in_the_app_home_says_why_in_the_home_tab(bot: Harness) -> None:
    ts = bot.draft("Decided while you looked.")
    bot.card(OWNER, containing="Decided while you looked")
    bot.driver.app_home_opened(OWNER)
    home = bot.slack.wait_for(lambda s: s.home(OWNER))
    bot.click(bot.card(OWNER2, containing="Decided while you looked"), "Approve", OWNER2)  # meanwhile
    bot.wait_status(ts, "published", timeout=10)
    bot.driver.click_in_view(home, "Approve", OWNER)  # the Home tab still shows it
    shown = bot.slack.wait_for(lambda s: (v := s.home(OWNER)) and "already decided" in block_text(v.blocks) and v)
    assert "Decided while you looked" not in block_text(shown.blocks)  # the queue is fresh, and the notice says why
    assert not [c for c in bot.slack.calls_to("chat.postEphemeral") if c.args.get("channel") == OWNER]
    bot.driver.app_home_opened(OWNER)  # the notice was for that click: the next opening is the plain queue
    bot.slack.wait_for(lambda s: (v := s.home(OWNER)) and "already" not in block_text(v.blocks) and v)


def test_a_refused_form_button_in_the_app_home_says_why_in_the_home_tab(bot: Harness) -> None:
    ts = bot.draft("Too late to edit.")
    bot.card(OWNER, containing="Too late to edit")
    bot.driver.app_home_opened(OWNER)
    home = bot.slack.wait_for(lambda s: s.home(OWNER))
    bot.click(bot.card(OWNER2, containing="Too late to edit"), "Approve", OWNER2)
    bot.wait_status(ts, "published", timeout=10)
    bot.driver.click_in_view(home, "Edit", OWNER)
    shown = bot.slack.wait_for(lambda s: (v := s.home(OWNER)) and "already decided" in block_text(v.blocks) and v)
    assert f"<@{OWNER2}>" in block_text(shown.blocks)
    assert bot.slack.views == []  # no form opened


def test_a_form_that_cant_be_read_is_told_in_a_dm(bot: Harness) -> None:
    response = bot.driver.submit_view("countersign.unknown_form", "", {}, OWNER)
    assert response.status_code == 200
    told = bot.slack.wait_for(lambda s: next((m for m in s.messages(dm_channel_for(OWNER)) if not m.blocks), None))
    assert "This form is out of date or damaged" in told.text
