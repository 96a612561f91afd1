"""Issue 12, item 1: two brands in one workspace, from a brands file (COUNTERSIGN_CONFIG), served by one app.

North and South cross: their drafts channels differ, OWNER approves North only, OWNER2 South only, BOTH approves
both. Every move on a draft belongs to the draft's brand: another brand's approver is refused, and audited, however
the click or command reaches the app (a stale card, a forged payload, a command in the wrong channel).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.runtime.brands import for_deployment
from bot.runtime.runner import Running, start_http
from bot.runtime.settings import Settings
from bot.sandbox import SlackSandbox, XSandbox
from bot.sandbox.slack_api import Message, dm_channel_for
from storage.models import DigestRun, Draft
from tests.e2e import seed
from tests.e2e.harness import OWNER, OWNER2, WRITER, Harness, app_env, block_text, buttons

NORTH, SOUTH, ELSEWHERE = "C0NORTH", "C0SOUTH", "C0RANDOM"
BOTH = "U0BOTH"
BACKUP = "U0SBACKUP"
NORTH_LINE = "— drafted by North Agency for Northwind, approved by {}"
SOUTH_LINE = "— by South Agency for Southside, signed {}"
REFUSED = "belongs to another brand"

BRANDS = f"""
[brands.north]
name = "Northwind Coffee"
drafts_channels = ["{NORTH}"]
approvers = ["{OWNER}", "{BOTH}"]
agency_name = "North Agency"
attribution_template = "— drafted by {{agency}} for Northwind, approved by {{approver}}"

[brands.north.x]
api_key_env = "NORTH_X_API_KEY"
api_secret_env = "NORTH_X_API_SECRET"
access_token_env = "NORTH_X_ACCESS_TOKEN"
access_token_secret_env = "NORTH_X_ACCESS_TOKEN_SECRET"
api_url = "{{x_url}}"

[brands.south]
name = "Southside Bikes"
drafts_channels = ["{SOUTH}"]
approvers = ["{OWNER2}", "{BOTH}"]
backup_approvers = ["{BACKUP}"]
escalate_after = "2h"
agency_name = "South Agency"
attribution_template = "— by {{agency}} for Southside, signed {{approver}}"
digest_channel = "C0SDIGEST"
digest_schedule = "mon 09:00"
timezone = "Europe/Paris"

[brands.south.x]
api_key_env = "SOUTH_X_API_KEY"
api_secret_env = "SOUTH_X_API_SECRET"
access_token_env = "SOUTH_X_ACCESS_TOKEN"
access_token_secret_env = "SOUTH_X_ACCESS_TOKEN_SECRET"
api_url = "{{x_url}}"
"""


class Brands(Harness):
    """The harness, with writers in either brand's channel."""

    def draft_in(self, channel: str, text: str, user: str = WRITER) -> Draft:
        ts, response = self.driver.message(user, text, channel)
        assert response.status_code == 200, response.text
        self.slack.wait_for(lambda s: s.thread(channel, ts) or None)  # intake is over: cards out, writer told
        with self.store.read() as tx:
            draft = tx.by_message(channel, ts)
        assert draft is not None, f"no draft for {channel} {ts}"
        return draft

    def card_of(self, user: str, draft: Draft) -> Message:
        return self.card(user, containing=draft.text.split()[0])

    def command(self, text: str, user: str, channel: str = NORTH) -> str:
        response = self.driver.command(text, user, channel=channel)
        assert response.status_code == 200, response.text
        return response.json()["text"]

    def get(self, draft: Draft) -> Draft:
        found = self.store.get(draft.id or 0)
        assert found is not None
        return found

    def refusals(self, user: str) -> list[str]:
        return [a.detail or "" for a in self.audit() if a.action == "refused_other_brand" and a.actor_id == user]


def brand_env(slack: SlackSandbox, x: XSandbox, database_url: str, path: Path, **overrides: str) -> dict[str, str]:
    """The environment of a brands-file deployment: no DRAFTS_CHANNEL, APPROVERS, AGENCY_NAME or X keys."""
    env = app_env(slack, x, database_url, COUNTERSIGN_CONFIG=str(path), **overrides)
    for name in ("DRAFTS_CHANNEL", "APPROVERS", "AGENCY_NAME", "X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN"):
        env.pop(name)
    env.pop("X_ACCESS_TOKEN_SECRET")
    for brand in ("NORTH", "SOUTH"):
        env[f"{brand}_X_API_KEY"] = x.consumer_key
        env[f"{brand}_X_API_SECRET"] = f"{brand.lower()}-secret"
        env[f"{brand}_X_ACCESS_TOKEN"] = f"{brand.lower()}-token"
        env[f"{brand}_X_ACCESS_TOKEN_SECRET"] = f"{brand.lower()}-token-secret"
    return env


@pytest.fixture
def start_brands(
    slack: SlackSandbox, x: XSandbox, database_url: str, tmp_path: Path
) -> Iterator[Callable[..., Brands]]:
    started: list[Running] = []
    for user, name in ((BOTH, "Bea Both"), (BACKUP, "Bob Backup")):
        slack.add_user(user, name.split()[0].lower(), real_name=name)

    def start(scheduler: bool = False, **overrides: str) -> Brands:
        path = tmp_path / "countersign.toml"
        path.write_text(BRANDS.replace("{x_url}", x.url), encoding="utf-8")
        env = brand_env(slack, x, database_url, path, **overrides)
        settings = Settings.from_env(env)
        running = start_http(settings, "127.0.0.1", 0, scheduler=scheduler, brands=for_deployment(env, settings))
        started.append(running)
        return Brands.of(running, slack, x)

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def app(start_brands: Callable[..., Brands]) -> Brands:
    return start_brands()


def dm_cards(app: Brands, user: str) -> list[Message]:
    return [m for m in app.slack.messages(dm_channel_for(user)) if m.blocks]


# -- intake ----------------------------------------------------------------------------------------


def test_a_message_in_souths_channel_is_a_south_draft_with_souths_cards_and_attribution(app: Brands) -> None:
    draft = app.draft_in(SOUTH, "Spring rides start Saturday.")
    assert draft.brand == "south"
    assert buttons(app.card_of(OWNER2, draft)) == ["Approve", "Edit", "Request changes", "Reject"]
    app.card_of(BOTH, draft)
    assert dm_cards(app, OWNER) == []  # North's approver hears nothing of South's drafts
    [reply] = app.slack.thread(SOUTH, draft.ts)
    assert f"<@{OWNER2}>" in reply.text and f"<@{BOTH}>" in reply.text and f"<@{OWNER}>" not in reply.text
    app.click(app.card_of(OWNER2, draft), "Approve", OWNER2)
    [post] = app.x.wait_for_posts(1)
    assert post.text == "Spring rides start Saturday.\n\n" + SOUTH_LINE.format("Omar Second")


def test_a_message_in_no_brands_channel_is_no_draft(app: Brands) -> None:
    ts, response = app.driver.message(WRITER, "Lunch anyone?", ELSEWHERE)
    assert response.status_code == 200
    app.draft_in(NORTH, "A real draft.")  # handled after the other message: that one had its chance
    with app.store.read() as tx:
        assert [d.channel for d in tx.session.exec(select(Draft)).all()] == [NORTH]
    assert app.slack.thread(ELSEWHERE, ts) == []


# -- decisions -------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["Approve", "Edit", "Request changes", "Reject"])
def test_another_brands_approver_clicking_a_card_is_refused_and_audited(app: Brands, label: str) -> None:
    """OWNER2 approves South only: a North card (forwarded, stale, or a payload made up) decides nothing."""
    draft = app.draft_in(NORTH, "Our new roast is here.")
    card = app.card_of(OWNER, draft)
    app.click(card, label, OWNER2)
    said = app.ephemeral(OWNER2, containing=REFUSED)
    assert "Northwind Coffee" in said and "Nothing was changed" in said
    assert app.refusals(OWNER2), [a.action for a in app.audit()]
    app.settle()
    assert app.get(draft).status == "pending" and app.x.posts == []
    assert not [v for v in app.slack.views if v.callback_id]  # no Edit or reason form opened for them


def test_a_forged_payload_for_another_brands_draft_is_refused_and_audited(app: Brands) -> None:
    north = app.draft_in(NORTH, "Forged approval target.")
    south = app.draft_in(SOUTH, "A South card to forge from.")
    card = app.card_of(OWNER2, south)
    forged = [
        {
            **block,
            "elements": [
                {**e, "value": e["value"].replace(f"{south.id}:", f"{north.id}:", 1)} for e in block["elements"]
            ],
        }
        if block.get("type") == "actions"
        else block
        for block in card.blocks
    ]
    response = app.driver.click(forged, "Approve", OWNER2, channel_id=card.channel, message_ts=card.ts)
    assert response.status_code == 200
    app.ephemeral(OWNER2, containing=REFUSED)
    app.settle()
    assert app.get(north).status == "pending" and app.get(south).status == "pending"
    assert app.refusals(OWNER2)


def test_an_approver_of_both_brands_decides_each_in_its_own_voice(app: Brands) -> None:
    north = app.draft_in(NORTH, "North news.")
    south = app.draft_in(SOUTH, "South news.")
    app.click(app.card_of(BOTH, north), "Approve", BOTH)
    app.click(app.card_of(BOTH, south), "Approve", BOTH)
    posts = sorted(p.text for p in app.x.wait_for_posts(2))
    assert posts == [
        "North news.\n\n" + NORTH_LINE.format("Bea Both"),
        "South news.\n\n" + SOUTH_LINE.format("Bea Both"),
    ]
    assert not app.refusals(BOTH)


# -- commands --------------------------------------------------------------------------------------


def test_show_status_pause_and_delete_of_another_brand_are_refused_and_audited(app: Brands) -> None:
    draft = app.draft_in(NORTH, "Published North post.")
    app.click(app.card_of(OWNER, draft), "Approve", OWNER)
    app.slack.wait_until(lambda: app.get(draft).status == "published")

    assert REFUSED in app.command(f"show {draft.id}", OWNER2, channel=dm_channel_for(OWNER2))
    assert REFUSED in app.command("status", OWNER2, channel=NORTH)
    assert REFUSED in app.command("pause", OWNER2, channel=NORTH)
    assert REFUSED in app.command(f"delete {draft.id}", OWNER2, channel=dm_channel_for(OWNER2))
    assert len(app.refusals(OWNER2)) == 4
    assert app.get(draft).status == "published" and app.x.delete_requests() == []
    assert not app.running.services.desk("north").switch.paused()


def test_status_in_a_brands_channel_shows_that_brand_and_in_a_dm_each_brand_the_caller_approves(app: Brands) -> None:
    app.draft_in(NORTH, "Waiting in North.")
    app.draft_in(SOUTH, "Waiting in South.")
    north = app.command("status", WRITER, channel=NORTH)
    assert "Waiting in North" in north and "Waiting in South" not in north
    both = app.command("status", BOTH, channel=dm_channel_for(BOTH))
    assert "Northwind Coffee" in both and "Southside Bikes" in both
    assert "Waiting in North" in both and "Waiting in South" in both
    owner = app.command("status", OWNER, channel=dm_channel_for(OWNER))
    assert "Waiting in North" in owner and "Waiting in South" not in owner


def test_pausing_north_doesnt_stop_south(app: Brands) -> None:
    assert "paused" in app.command("pause", OWNER, channel=NORTH).lower()
    north = app.draft_in(NORTH, "Held by the pause.")
    south = app.draft_in(SOUTH, "Goes out anyway.")
    app.click(app.card_of(OWNER, north), "Approve", OWNER)
    app.click(app.card_of(OWNER2, south), "Approve", OWNER2)
    [post] = app.x.wait_for_posts(1)
    assert post.text.startswith("Goes out anyway.")
    app.settle()
    assert app.get(north).status == "approved" and len(app.x.posts) == 1
    assert app.running.services.desk("north").switch.paused() and not app.running.services.desk("south").switch.paused()


def test_pause_in_a_dm_asks_which_brand_of_an_approver_of_several(app: Brands) -> None:
    dm = dm_channel_for(BOTH)
    asked = app.command("pause", BOTH, channel=dm)
    assert "pause north" in asked and "pause south" in asked
    services = app.running.services
    assert not services.desk("north").switch.paused() and not services.desk("south").switch.paused()
    app.command("pause south", BOTH, channel=dm)
    assert services.desk("south").switch.paused() and not services.desk("north").switch.paused()
    app.command("pause", OWNER, channel=dm_channel_for(OWNER))  # their one brand
    assert services.desk("north").switch.paused()
    assert REFUSED in app.command("resume north", OWNER2, channel=dm_channel_for(OWNER2))
    assert services.desk("north").switch.paused()


# -- App Home --------------------------------------------------------------------------------------


def test_the_app_home_queues_the_brands_the_viewer_approves_labelled_when_several(app: Brands) -> None:
    app.draft_in(NORTH, "Home North.")
    app.draft_in(SOUTH, "Home South.")
    app.driver.app_home_opened(BOTH)
    both = block_text(app.slack.wait_for(lambda s: s.home(BOTH)).blocks)
    assert "Home North" in both and "Home South" in both
    assert "Northwind Coffee" in both and "Southside Bikes" in both
    app.driver.app_home_opened(OWNER)
    owner = block_text(app.slack.wait_for(lambda s: s.home(OWNER)).blocks)
    assert "Home North" in owner and "Home South" not in owner and "Southside" not in owner


# -- jobs ------------------------------------------------------------------------------------------


def test_escalation_asks_the_backups_of_the_drafts_brand_only(app: Brands) -> None:
    north = app.draft_in(NORTH, "North never escalates.")
    south = app.draft_in(SOUTH, "South escalates.")
    tick = app.running.services.scheduler.tick(datetime.now(UTC) + timedelta(hours=3))
    assert tick.escalated == 1
    assert app.get(south).escalated_at is not None and app.get(north).escalated_at is None
    card = app.card(BACKUP, containing="South escalates")
    assert [m for m in dm_cards(app, BACKUP) if "North never" in block_text(m.blocks)] == []
    app.click(card, "Approve", BACKUP)
    [post] = app.x.wait_for_posts(1)
    assert post.text.endswith(SOUTH_LINE.format("Bob Backup"))


def test_reminders_go_to_the_drafts_brand(app: Brands) -> None:
    south = app.draft_in(SOUTH, "Remind South.")
    assert (
        app.running.services.scheduler.tick((south.pending_since or south.created_at) + timedelta(hours=4)).reminders
        == 1
    )
    assert [m for m in app.slack.messages(dm_channel_for(OWNER2)) if "waited" in m.text]
    assert not [m for m in app.slack.messages(dm_channel_for(OWNER)) if "waited" in m.text]


def test_each_brand_gets_its_own_digest_in_its_channel_once(app: Brands) -> None:
    seed.draft(
        app.store, writer="U0W1", text="North history", submitted=datetime(2026, 11, 2, tzinfo=UTC), brand="north"
    )
    seed.draft(
        app.store, writer="U0W1", text="South history", submitted=datetime(2026, 11, 2, tzinfo=UTC), brand="south"
    )
    tick = app.running.services.scheduler.tick
    # Monday 09:00 UTC is North's (its time zone by default); South's is 09:00 in Paris, an hour earlier.
    first = tick(datetime(2026, 11, 9, 8, 0, tzinfo=UTC))
    assert [r.sent for r in first.digests] == [True]
    assert len([m for m in app.slack.messages("C0SDIGEST") if "Weekly digest" in block_text(m.blocks)]) == 1
    assert not [m for m in app.slack.messages(NORTH) if "Weekly digest" in block_text(m.blocks)]
    tick(datetime(2026, 11, 9, 9, 0, tzinfo=UTC))
    tick(datetime(2026, 11, 9, 9, 5, tzinfo=UTC))
    assert len([m for m in app.slack.messages(NORTH) if "Weekly digest" in block_text(m.blocks)]) == 1
    assert len([m for m in app.slack.messages("C0SDIGEST") if "Weekly digest" in block_text(m.blocks)]) == 1
    with app.store.read() as tx:
        assert sorted(r.brand for r in tx.session.exec(select(DigestRun)).all()) == ["north", "south"]
