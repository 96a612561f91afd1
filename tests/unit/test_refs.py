"""CardRef and Actor: the only things taken from a click's payload, parsed strictly."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.approval.refs import Actor, BadRef, CardRef

# -- CardRef ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "draft_id", "version"),
    [
        ("1:1", 1, 1),
        ("42:7", 42, 7),
        ("123456789012345678:123456789", 123456789012345678, 123456789),  # the widest accepted
    ],
)
def test_parse_accepts_draft_id_and_version(value: str, draft_id: int, version: int) -> None:
    ref = CardRef.parse(value)
    assert (ref.draft_id, ref.version) == (draft_id, version)
    assert str(ref) == value


@pytest.mark.parametrize(
    "value",
    [
        "",
        "1",
        "1:",
        ":1",
        "1:2:3",
        "1::2",
        "a:1",
        "1:b",
        "-1:2",
        "1:-2",
        "1.0:2",
        " 1:2",
        "1:2 ",
        "1 :2",
        "0x10:2",
        "1:2;DROP TABLE draft",
        "1234567890123456789:1",  # 19 digits: beyond a 64-bit id
        "1:1234567890",  # 10-digit version
        "9" * 400 + ":1",
        "{'draft_id': 1, 'version': 2}",
    ],
)
def test_parse_refuses_anything_else(value: str) -> None:
    with pytest.raises(BadRef):
        CardRef.parse(value)


@pytest.mark.parametrize("value", [None, 12, 1.5, b"1:2", ["1", "2"], {"draft_id": 1}, (1, 2)])
def test_parse_refuses_non_strings(value: object) -> None:
    with pytest.raises(BadRef):
        CardRef.parse(value)


def test_bad_ref_message_is_short_even_for_a_huge_value() -> None:
    with pytest.raises(BadRef) as caught:
        CardRef.parse("x" * 10_000)
    assert len(str(caught.value)) < 100


def test_bad_ref_is_a_value_error() -> None:
    assert issubclass(BadRef, ValueError)


@given(st.integers(min_value=0, max_value=10**18 - 1), st.integers(min_value=0, max_value=10**9 - 1))
@settings(max_examples=100, deadline=None)
def test_str_and_parse_round_trip(draft_id: int, version: int) -> None:
    ref = CardRef(draft_id, version)
    assert CardRef.parse(str(ref)) == ref
    assert str(ref) == f"{draft_id}:{version}"


@pytest.mark.parametrize("value", ["1:2\n", "\u0661:\u0662", "\uff11:\uff12"])
def test_parse_refuses_values_that_do_not_round_trip(value: str) -> None:
    with pytest.raises(BadRef):
        CardRef.parse(value)


@pytest.mark.parametrize("network", ["x", "bluesky", "mastodon"])
def test_a_networks_button_names_its_network_and_round_trips(network: str) -> None:
    ref = CardRef.parse(f"42:7:{network}")
    assert (ref.draft_id, ref.version, ref.network) == (42, 7, network)
    assert str(ref) == f"42:7:{network}" and CardRef.parse(str(ref)) == ref


def test_a_ref_without_a_network_means_every_network_as_before() -> None:
    ref = CardRef.parse("42:7")
    assert ref.network is None and ref == CardRef(42, 7) and str(ref) == "42:7"


@pytest.mark.parametrize(
    "value",
    ["1:2:twitter", "1:2:X", "1:2:Bluesky", "1:2:", "1:2:x:", "1:2:x:x", "1:2: x", "1:2:x ", "1:2:threads", "1:2:3"],
)
def test_a_network_no_account_has_is_refused(value: str) -> None:
    with pytest.raises(BadRef):
        CardRef.parse(value)


def test_a_ref_cannot_be_made_for_an_unknown_network() -> None:
    with pytest.raises(BadRef):
        CardRef(1, 2, "friendster")


# -- Actor -----------------------------------------------------------------------------------


def test_actor_takes_the_users_own_team_id() -> None:
    body = {"user": {"id": "U0GUEST", "team_id": "T0OTHER"}, "team": {"id": "T0ACME"}}
    assert Actor.from_body(body) == Actor("U0GUEST", "T0OTHER")


def test_actor_falls_back_to_the_payload_team_when_the_user_has_none() -> None:
    body = {"user": {"id": "U0OWNER"}, "team": {"id": "T0ACME"}}
    assert Actor.from_body(body) == Actor("U0OWNER", "T0ACME")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"team": {"id": "T0ACME"}},
        {"user": None, "team": {"id": "T0ACME"}},
        {"user": "U0OWNER", "team": {"id": "T0ACME"}},
        {"user": ["U0OWNER"], "team": {"id": "T0ACME"}},
        {"user": {"team_id": "T0ACME"}},
        {"user": {"id": 7, "team_id": "T0ACME"}},
        {"user": {"id": "U0OWNER"}},
        {"user": {"id": "U0OWNER"}, "team": None},
        {"user": {"id": "U0OWNER"}, "team": {}},
        {"user": {"id": "U0OWNER", "team_id": 5}},
    ],
)
def test_actor_without_user_or_team_raises_bad_ref(body: dict) -> None:
    with pytest.raises(BadRef):
        Actor.from_body(body)


def test_actor_with_a_non_object_team_raises_bad_ref() -> None:
    with pytest.raises(BadRef):
        Actor.from_body({"user": {"id": "U0OWNER"}, "team": "T0ACME"})


# -- Enterprise Grid (issue 9, case 11c) -------------------------------------------------------

GRID_TEAM = {"id": "T0ACME", "domain": "acme", "enterprise_id": "E0ACME", "enterprise_name": "Acme"}


def test_a_grid_users_enterprise_is_read_when_the_payload_speaks_of_their_own_team() -> None:
    body = {"user": {"id": "W0OWNER", "team_id": "T0ACME"}, "team": GRID_TEAM, "enterprise": {"id": "E0ACME"}}
    assert Actor.from_body(body) == Actor("W0OWNER", "T0ACME", "E0ACME")


def test_the_hosts_enterprise_is_never_taken_for_a_user_of_another_workspace() -> None:
    """A Slack Connect guest's click names the host's team and enterprise; the guest's own is unknown here."""
    body = {"user": {"id": "U0GUEST", "team_id": "T0OTHER"}, "team": GRID_TEAM, "enterprise": {"id": "E0ACME"}}
    assert Actor.from_body(body) == Actor("U0GUEST", "T0OTHER", None)


def test_a_users_own_enterprise_id_is_read() -> None:
    body = {"user": {"id": "W0SIS", "team_id": "T0SISTER", "enterprise_id": "E0ACME"}, "team": GRID_TEAM}
    assert Actor.from_body(body).enterprise_id == "E0ACME"


@pytest.mark.parametrize(
    ("actor", "member"),
    [
        (Actor("U1", "T0ACME"), True),
        (Actor("W1", "T0SISTER", "E0ACME"), True),  # another workspace of the same organisation
        (Actor("W1", "T0OTHER", "E0OTHER"), False),  # Slack Connect, another Grid organisation
        (Actor("U1", "T0OTHER"), False),  # Slack Connect, no Grid
        (Actor("U1", "T0OTHER", "E0ACME"), True),
    ],
)
def test_policy_counts_the_grid_organisation_as_this_one(actor: Actor, member: bool) -> None:
    from bot.approval.policy import Policy

    assert Policy(frozenset(), "T0ACME", "E0ACME").of_this_organisation(actor) is member
    assert Policy(frozenset(), "T0ACME").of_this_organisation(actor) is (actor.team_id == "T0ACME")
