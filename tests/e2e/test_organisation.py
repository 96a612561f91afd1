"""Issue 9, cases 11c and 11d: who is of this organisation (Enterprise Grid, Slack Connect), and who may read.

On Grid, auth.test names the install's enterprise; an approver's own workspace (`user.team_id`) can be another
workspace of the same organisation. A Slack Connect guest of another organisation clicks with the host's
`team` and `enterprise` in the payload and their own `user.team_id`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.sandbox import SlackSandbox
from bot.slack.ids import BlockId, CallbackId, InputId
from tests.e2e.harness import AGENCY, GUEST, OTHER_TEAM, OUTSIDER, OWNER, WRITER, Harness, buttons

ENTERPRISE = "E0ACME"
SISTER_TEAM = "T0SISTER"  # another workspace of the same Grid organisation
SISTER = "W0SISTER"
CONNECT = "W0CONNECT"  # a Slack Connect user whose organisation is on Grid too


@pytest.fixture
def grid(slack: SlackSandbox) -> Iterator[SlackSandbox]:
    """The sandbox workspace as part of an Enterprise Grid organisation (set before the app starts)."""
    slack.enterprise_id = ENTERPRISE
    slack.add_user(SISTER, "sam", real_name="Sam Sister", team_id=SISTER_TEAM, enterprise_id=ENTERPRISE)
    slack.add_user(CONNECT, "cora", real_name="Cora Connect", team_id=OTHER_TEAM, enterprise_id="E0OTHER")
    yield slack
    slack.enterprise_id = None


def grid_bot(start_bot, **overrides: str) -> Harness:
    bot = start_bot(**overrides)
    bot.driver.enterprise_id = ENTERPRISE
    return bot


def test_an_approver_from_another_workspace_of_the_same_grid_organisation_approves(grid, start_bot) -> None:
    bot = grid_bot(start_bot, APPROVERS=f"{OWNER},{SISTER}")
    ts = bot.draft("Approved across the org.")
    card = bot.card(SISTER, containing="Approved across the org")
    bot.click(card, "Approve", SISTER, user_team_id=SISTER_TEAM)
    [post] = bot.x.wait_for_posts(1, timeout=10)
    assert post.text == f"Approved across the org.\n\n— drafted by {AGENCY}, approved by Sam Sister"
    assert bot.wait_status(ts, "published").decided_by == SISTER
    assert not bot.slack.ephemerals(SISTER)


def test_a_grid_approver_of_another_workspace_decides_through_a_form_too(grid, start_bot) -> None:
    bot = grid_bot(start_bot, APPROVERS=f"{OWNER},{SISTER}")
    ts = bot.draft("Rejected across the org.")
    bot.click(bot.card(SISTER, containing="Rejected across the org"), "Reject", SISTER, user_team_id=SISTER_TEAM)
    response = bot.submit(
        bot.modal(CallbackId.REJECT), {BlockId.REASON: {InputId.REASON: "Off brand."}}, SISTER, user_team_id=SISTER_TEAM
    )
    assert response.status_code == 200 and "response_action" not in (response.text or "")
    assert bot.wait_status(ts, "rejected").decided_by == SISTER


def test_a_slack_connect_user_of_another_grid_organisation_is_refused(grid, start_bot) -> None:
    bot = grid_bot(start_bot, APPROVERS=f"{OWNER},{CONNECT}")  # even if listed as an approver
    ts = bot.draft("Not across organisations.")
    card = bot.card(OWNER, containing="Not across organisations")
    bot.click(card, "Approve", CONNECT, user_team_id=OTHER_TEAM)
    assert "from this workspace" in bot.ephemeral(CONNECT)
    assert bot.row(ts).status == "pending" and bot.x.posts == []
    assert buttons(bot.fresh(card)) == ["Approve", "Edit", "Request changes", "Reject"]


def test_a_slack_connect_user_with_no_enterprise_is_refused_on_grid(grid, start_bot) -> None:
    bot = grid_bot(start_bot, APPROVERS=f"{OWNER},{GUEST}")
    ts = bot.draft("Guests don't decide.")
    card = bot.card(OWNER, containing="Guests don't decide")
    bot.click(card, "Approve", GUEST, user_team_id=OTHER_TEAM)
    assert "from this workspace" in bot.ephemeral(GUEST)
    assert bot.row(ts).status == "pending" and bot.x.posts == []


def test_the_grid_sandbox_says_what_slack_says(grid, start_bot) -> None:
    bot = grid_bot(start_bot)
    [auth] = [c for c in bot.slack.calls_to("auth.test") if c.response][:1]
    assert auth.response["enterprise_id"] == ENTERPRISE and auth.response["is_enterprise_install"] is False
    assert bot.running.services.workflow.policy.enterprise_id == ENTERPRISE


def command(bot: Harness, text: str, user: str, **kw: str) -> str:
    response = bot.driver.command(text, user, **kw)
    assert response.status_code == 200
    return response.json()["text"]


def test_show_is_refused_to_a_slack_connect_guest(bot: Harness) -> None:
    ts = bot.draft("Internal only.")
    bot.card(OWNER, containing="Internal only")
    draft_id = bot.row(ts).id
    answer = command(bot, f"show {draft_id}", GUEST, user_team_id=OTHER_TEAM)
    assert "Internal only" not in answer
    assert "only for this organisation" in answer
    assert "Internal only." in command(bot, f"show {draft_id}", OUTSIDER)  # a colleague in the workspace may read


def test_a_slack_connect_writer_may_show_their_own_draft_only(bot: Harness) -> None:
    mine = bot.draft("The guest's own draft.", user=GUEST)
    bot.card(OWNER, containing="The guest's own draft")
    other = bot.draft("Someone else's draft.", user=WRITER)
    bot.card(OWNER, containing="Someone else's draft")
    assert "The guest's own draft." in command(bot, f"show {bot.row(mine).id}", GUEST, user_team_id=OTHER_TEAM)
    answer = command(bot, f"show {bot.row(other).id}", GUEST, user_team_id=OTHER_TEAM)
    assert "Someone else's draft" not in answer and "only for this organisation" in answer


def test_status_and_digest_are_refused_to_a_slack_connect_guest(bot: Harness) -> None:
    bot.draft("Queue secrets.")
    bot.card(OWNER, containing="Queue secrets")
    for verb in ("status", "", "digest"):
        answer = command(bot, verb, GUEST, user_team_id=OTHER_TEAM)
        assert "Queue secrets" not in answer and "only for this organisation" in answer
    assert "Queue secrets" in command(bot, "status", OUTSIDER)
    bot.settle()
    assert bot.slack.calls_to("response_url") == []  # no digest was built for the guest


def test_show_on_grid_is_open_to_the_organisation_and_closed_to_connect_users(grid, start_bot) -> None:
    bot = grid_bot(start_bot)
    ts = bot.draft("Grid-wide reading.")
    bot.card(OWNER, containing="Grid-wide reading")
    draft_id = bot.row(ts).id
    sister = command(bot, f"show {draft_id}", SISTER, user_team_id=SISTER_TEAM, user_enterprise_id=ENTERPRISE)
    assert "Grid-wide reading." in sister
    connect = command(bot, f"show {draft_id}", CONNECT, user_team_id=OTHER_TEAM, user_enterprise_id="E0OTHER")
    assert "Grid-wide reading" not in connect and "only for this organisation" in connect
