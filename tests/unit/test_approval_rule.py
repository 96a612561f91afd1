"""APPROVAL_RULE as a pure function (bot.approval.approval_rule), and its setting (bot.runtime.settings)."""

from __future__ import annotations

import pytest

from bot.approval.approval_rule import ALL, Rule, joined, longest_signature, progress
from bot.runtime.settings import Settings
from tests.unit.test_settings import HTTP_ENV, problems_for, the_problem_naming

LISTED = ("U0OLIVIA", "U0SAM", "U0TARA")


@pytest.mark.parametrize(
    ("value", "rule"), [("", Rule()), ("any", Rule()), (" ALL ", Rule(ALL)), ("2", Rule("count", 2))]
)
def test_parse(value: str, rule: Rule) -> None:
    assert Rule.parse(value) == rule


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", "most", "2 of 3"])
def test_parse_refuses_anything_else_saying_what_is_allowed(value: str) -> None:
    with pytest.raises(ValueError, match="any, all or a whole number"):
        Rule.parse(value)


def test_any_is_met_by_one_yes_and_the_writer_never_counts() -> None:
    assert not progress(Rule(), LISTED, [], writer="U0WES").met
    assert progress(Rule(), LISTED, ["U0SAM"], writer="U0WES").met
    assert not progress(Rule(), LISTED, ["U0OLIVIA"], writer="U0OLIVIA").met  # their own draft


def test_all_needs_everyone_but_the_writer_and_says_who_is_waiting() -> None:
    step = progress(Rule(ALL), LISTED, ["U0TARA"], writer="U0WES")
    assert (step.needed, step.counted, step.waiting, step.met) == (3, ("U0TARA",), ("U0OLIVIA", "U0SAM"), False)
    assert progress(Rule(ALL), LISTED, ["U0TARA", "U0SAM", "U0OLIVIA"], writer="U0WES").met
    by_olivia = progress(Rule(ALL), LISTED, ["U0SAM", "U0TARA"], writer="U0OLIVIA")
    assert (by_olivia.needed, by_olivia.met) == (2, True)


def test_n_counts_distinct_eligible_yeses_in_their_order() -> None:
    step = progress(Rule("count", 2), LISTED, ["U0SAM", "U0SAM", "U0STRANGER", "U0WES"], writer="U0WES")
    assert (step.counted, step.met, step.still_needed) == (("U0SAM",), False, 1)
    assert progress(Rule("count", 2), LISTED, ["U0TARA", "U0SAM"], writer="U0WES").counted == ("U0TARA", "U0SAM")


def test_a_rule_that_can_never_be_met_is_not_possible() -> None:
    assert not progress(Rule("count", 3), LISTED, [], writer="U0SAM").possible  # only two others
    assert progress(Rule("count", 3), LISTED, [], writer="U0WES").possible
    assert not progress(Rule(), ("U0SAM",), [], writer="U0SAM").possible
    assert not progress(Rule(ALL), ("U0SAM",), [], writer="U0SAM").possible


def test_backups_count_and_under_all_stand_in_for_a_listed_approver() -> None:
    step = progress(Rule(ALL), ("U0OLIVIA", "U0SAM"), ["U0SAM", "U0BACKUP"], writer="U0WES", backups=("U0BACKUP",))
    assert (step.needed, step.met) == (2, True)


def test_joined_names() -> None:
    assert [joined([]), joined(["A"]), joined(["A", "B"]), joined(["A", "B", "C"])] == [
        "",
        "A",
        "A and B",
        "A, B and C",
    ]


def test_longest_signature_is_the_longest_names_the_rule_could_sign_with() -> None:
    names = {"U0OLIVIA": "Olivia Ortiz", "U0SAM": "Sam", "U0TARA": "Tara Longname-Smith"}
    assert longest_signature(Rule(), names, LISTED, "U0WES") == "Tara Longname-Smith"
    assert longest_signature(Rule("count", 2), names, LISTED, "U0WES") == "Tara Longname-Smith and Olivia Ortiz"
    assert longest_signature(Rule(ALL), names, LISTED, "U0TARA") == "Olivia Ortiz and Sam"


# -- the setting ---------------------------------------------------------------------------


def test_the_setting_defaults_to_any_and_reads_all_or_a_number() -> None:
    assert Settings.from_env(HTTP_ENV).approval_rule == Rule()
    assert Settings.from_env(HTTP_ENV | {"APPROVAL_RULE": "all"}).approval_rule == Rule(ALL)
    assert Settings.from_env(HTTP_ENV | {"APPROVAL_RULE": "2"}).approval_rule == Rule("count", 2)


def test_a_bad_rule_names_the_variable_and_why() -> None:
    problem = the_problem_naming("APPROVAL_RULE", problems_for(HTTP_ENV | {"APPROVAL_RULE": "most"}))
    assert "any, all or a whole number" in problem and "most" in problem


def test_more_approvals_than_approvers_names_both_and_why() -> None:
    problem = the_problem_naming("APPROVAL_RULE", problems_for(HTTP_ENV | {"APPROVAL_RULE": "3"}))
    assert "3 approvals" in problem and "APPROVERS lists only 2" in problem
