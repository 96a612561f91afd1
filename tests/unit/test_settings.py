"""Settings.from_env: one typed object, every problem named at once, secrets remembered for redaction."""

from __future__ import annotations

import re

import pytest

from bot.runtime.settings import Settings, SettingsError

HTTP_ENV = {
    "SLACK_BOT_TOKEN": "xoxb-1-bot-token",
    "SLACK_SIGNING_SECRET": "signing-secret-value",
    "X_API_KEY": "x-key-value",
    "X_API_SECRET": "x-secret-value",
    "X_ACCESS_TOKEN": "x-access-token-value",
    "X_ACCESS_TOKEN_SECRET": "x-access-secret-value",
    "DRAFTS_CHANNEL": "C0DRAFTS",
    "APPROVERS": "U0OWNER, U0SECOND",
    "AGENCY_NAME": "Acme Agency",
}
SOCKET_ENV = {k: v for k, v in HTTP_ENV.items() if k != "SLACK_SIGNING_SECRET"} | {"SLACK_APP_TOKEN": "xapp-1-app"}
REQUIRED_IN_HTTP_MODE = [
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "X_API_KEY",
    "X_API_SECRET",
    "X_ACCESS_TOKEN",
    "X_ACCESS_TOKEN_SECRET",
    "DRAFTS_CHANNEL",
    "APPROVERS",
    "AGENCY_NAME",
]


def problems_for(env: dict[str, str], *, socket_mode: bool = False) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env, socket_mode=socket_mode)
    return caught.value.problems


def naming(variable: str, problems: list[str]) -> list[str]:
    return [p for p in problems if re.search(rf"\b{variable}\b", p)]


def the_problem_naming(variable: str, problems: list[str]) -> str:
    named = naming(variable, problems)
    assert len(named) == 1, f"expected one problem naming {variable}, got {problems}"
    return named[0]


# -- a good environment --------------------------------------------------------------------


def test_a_full_http_environment_gives_typed_settings() -> None:
    settings = Settings.from_env(HTTP_ENV)
    assert settings.slack_bot_token == "xoxb-1-bot-token"
    assert settings.slack_signing_secret == "signing-secret-value"
    assert settings.slack_app_token == ""
    assert settings.drafts_channel == "C0DRAFTS"
    assert settings.approvers == ("U0OWNER", "U0SECOND")
    assert settings.agency_name == "Acme Agency"
    assert settings.approval_channel == ""


def test_socket_mode_needs_the_app_token_instead_of_the_signing_secret() -> None:
    settings = Settings.from_env(SOCKET_ENV, socket_mode=True)
    assert settings.slack_app_token == "xapp-1-app"
    assert settings.slack_signing_secret == ""


def test_socket_mode_without_app_token_names_it() -> None:
    env = {k: v for k, v in SOCKET_ENV.items() if k != "SLACK_APP_TOKEN"}
    assert problems_for(env, socket_mode=True) == ["SLACK_APP_TOKEN is missing"]


def test_http_mode_without_signing_secret_names_it() -> None:
    assert problems_for(SOCKET_ENV) == ["SLACK_SIGNING_SECRET is missing"]


def test_defaults() -> None:
    settings = Settings.from_env(HTTP_ENV)
    assert settings.database_url == "sqlite:///countersign.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.x_api_url == "https://api.twitter.com"
    assert settings.attribution_template == "— drafted by {agency}, approved by {approver}"


def test_values_are_trimmed_and_duplicate_approvers_dropped() -> None:
    env = HTTP_ENV | {"AGENCY_NAME": "  Acme Agency \n", "APPROVERS": "U0OWNER,,U0OWNER , W0GUEST"}
    settings = Settings.from_env(env)
    assert settings.agency_name == "Acme Agency"
    assert settings.approvers == ("U0OWNER", "W0GUEST")


def test_slack_api_url_gets_a_trailing_slash_and_x_api_url_loses_one() -> None:
    env = HTTP_ENV | {"SLACK_API_URL": "http://127.0.0.1:9001/api", "X_API_URL": "http://127.0.0.1:9002/"}
    settings = Settings.from_env(env)
    assert settings.slack_api_url == "http://127.0.0.1:9001/api/"
    assert settings.x_api_url == "http://127.0.0.1:9002"


def test_postgres_database_url_and_approval_channel_are_accepted() -> None:
    env = HTTP_ENV | {"DATABASE_URL": "postgresql+psycopg://u:p@db/cs", "APPROVAL_CHANNEL": "G0PRIVATE"}
    settings = Settings.from_env(env)
    assert settings.database_url == "postgresql+psycopg://u:p@db/cs"
    assert settings.approval_channel == "G0PRIVATE"


def test_secrets_holds_every_secret_value_and_nothing_else() -> None:
    settings = Settings.from_env(HTTP_ENV)
    assert set(settings.secrets) == {
        "xoxb-1-bot-token",
        "signing-secret-value",
        "x-key-value",
        "x-secret-value",
        "x-access-token-value",
        "x-access-secret-value",
    }


def test_secrets_include_the_app_token_in_socket_mode() -> None:
    settings = Settings.from_env(SOCKET_ENV, socket_mode=True)
    assert "xapp-1-app" in settings.secrets
    assert "" not in settings.secrets


# -- everything wrong, all at once --------------------------------------------------------


@pytest.mark.parametrize("variable", REQUIRED_IN_HTTP_MODE)
def test_each_missing_required_variable_is_named(variable: str) -> None:
    env = {k: v for k, v in HTTP_ENV.items() if k != variable}
    problems = problems_for(env)
    assert len(problems) == 1
    assert variable in problems[0]


@pytest.mark.parametrize("variable", REQUIRED_IN_HTTP_MODE)
def test_a_blank_required_variable_counts_as_missing(variable: str) -> None:
    problems = problems_for(HTTP_ENV | {variable: "   "})
    assert "missing" in the_problem_naming(variable, problems)


def test_an_empty_environment_reports_every_required_variable_at_once() -> None:
    problems = problems_for({})
    for variable in REQUIRED_IN_HTTP_MODE:
        the_problem_naming(variable, problems)
    assert len(problems) == len(REQUIRED_IN_HTTP_MODE)


@pytest.mark.parametrize(
    ("variable", "bad", "words"),
    [
        ("SLACK_BOT_TOKEN", "xoxp-user-token", "xoxb-"),
        ("SLACK_APP_TOKEN", "xoxb-not-app", "xapp-"),
        ("DRAFTS_CHANNEL", "#drafts", "channel id"),
        ("DRAFTS_CHANNEL", "drafts", "channel id"),
        ("APPROVAL_CHANNEL", "approvals", "channel id"),
        ("APPROVERS", "U0OWNER,@olivia", "@olivia"),
        ("APPROVERS", "olivia", "user ids"),
        ("APPROVERS", " , ,", "missing"),
        ("SLACK_API_URL", "slack.com/api", "http(s) URL"),
        ("X_API_URL", "ftp://api.example.com", "http(s) URL"),
        ("X_API_URL", "https://", "http(s) URL"),
        ("DATABASE_URL", "mysql://u:p@db/cs", "sqlite"),
        ("ATTRIBUTION_TEMPLATE", "— by {agency} for {brand}", "{agency}, {approver} and {writer}"),
        ("ATTRIBUTION_TEMPLATE", "— by {agency", "{agency}, {approver} and {writer}"),
        ("ATTRIBUTION_TEMPLATE", "— by {0}", "{agency}"),
        ("ATTRIBUTION_TEMPLATE", "— approved by {approver}", "must name the agency"),
    ],
)
def test_a_malformed_value_is_named(variable: str, bad: str, words: str) -> None:
    problems = problems_for(HTTP_ENV | {variable: bad})
    assert naming(variable, problems) == problems, "only the bad variable is blamed"
    assert any(words in p for p in problems), problems


def test_several_malformed_values_are_all_reported_together() -> None:
    env = HTTP_ENV | {
        "SLACK_BOT_TOKEN": "xoxp-wrong",
        "DRAFTS_CHANNEL": "#drafts",
        "APPROVERS": "olivia",
        "X_API_URL": "nope",
        "DATABASE_URL": "mongodb://x",
        "ATTRIBUTION_TEMPLATE": "{approver}",
    }
    del env["X_API_KEY"]
    problems = problems_for(env)
    for variable in ("SLACK_BOT_TOKEN", "DRAFTS_CHANNEL", "APPROVERS", "X_API_URL", "DATABASE_URL", "X_API_KEY"):
        the_problem_naming(variable, problems)
    assert len(naming("ATTRIBUTION_TEMPLATE", problems)) == 1
    assert len(problems) == 7


def test_a_wrong_token_prefix_does_not_echo_the_whole_secret() -> None:
    problem = the_problem_naming("SLACK_BOT_TOKEN", problems_for(HTTP_ENV | {"SLACK_BOT_TOKEN": "xoxp-SECRETPART"}))
    assert "SECRETPART" not in problem


def test_str_of_the_error_is_a_readable_list_without_a_traceback() -> None:
    env = {k: v for k, v in HTTP_ENV.items() if k not in ("X_API_KEY", "AGENCY_NAME")}
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env | {"DRAFTS_CHANNEL": "drafts"})
    text = str(caught.value)
    assert "Traceback" not in text
    assert 'File "' not in text
    lines = text.splitlines()
    assert lines[0].startswith("Countersign cannot start")
    assert len(lines) == 1 + 3
    for variable in ("X_API_KEY", "AGENCY_NAME", "DRAFTS_CHANNEL"):
        assert len(naming(variable, lines[1:])) == 1


def test_a_template_that_only_escapes_the_agency_field_is_refused() -> None:
    template = "— drafted by {{agency}}, approved by {approver}"
    assert "Acme" not in template.format(agency="Acme", approver="O", writer="W")  # it really hides the agency
    problems = problems_for(HTTP_ENV | {"ATTRIBUTION_TEMPLATE": template})
    assert naming("ATTRIBUTION_TEMPLATE", problems)


@pytest.mark.parametrize("lease", ["2s", "24s", "20s"])
def test_a_publish_lease_shorter_than_one_x_call_is_refused_naming_the_minimum(lease: str) -> None:
    [problem] = problems_for(HTTP_ENV | {"PUBLISH_LEASE": lease})
    assert problem.startswith("PUBLISH_LEASE must be at least 25s") and "connect" in problem and lease in problem


@pytest.mark.parametrize(("lease", "seconds"), [("25s", 25), ("90s", 90), ("2m", 120)])
def test_a_publish_lease_that_outlives_one_x_call_is_accepted(lease: str, seconds: int) -> None:
    assert Settings.from_env(HTTP_ENV | {"PUBLISH_LEASE": lease}).publish_lease.total_seconds() == seconds


# -- values that used to pass validation and crash later (issue 9, case 10) -----------------


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("postgresql", "postgresql+psycopg://user:password@host:5432/dbname"),
        ("sqlite:", "sqlite:///path"),
        ("sqlite://", "a file"),
        ("postgresql+psycopg2://u:p@db/cs", "psycopg 3"),
        ("postgresql+asyncpg://u:p@db/cs", "psycopg 3"),
        ("postgresql+psycopg://", "host and database"),
    ],
)
def test_a_database_url_that_would_crash_the_start_is_named(bad: str, words: str) -> None:
    problem = the_problem_naming("DATABASE_URL", problems_for(HTTP_ENV | {"DATABASE_URL": bad}))
    assert words in problem


def test_a_database_url_problem_hides_the_password() -> None:
    problem = the_problem_naming(
        "DATABASE_URL", problems_for(HTTP_ENV | {"DATABASE_URL": "postgresql+psycopg2://u:s3cret@db/cs"})
    )
    assert "s3cret" not in problem


@pytest.mark.parametrize("url", ["sqlite:///countersign.db", "sqlite:////var/lib/cs.db", "postgresql://u@db/cs"])
def test_ordinary_database_urls_are_accepted(url: str) -> None:
    assert Settings.from_env(HTTP_ENV | {"DATABASE_URL": url}).database_url == url


@pytest.mark.parametrize("variable", ["PUBLISH_LEASE", "REQUEST_LEASE", "REMINDER_AFTER"])
@pytest.mark.parametrize("bad", ["99999999999d", "9999999d", "366d", "53w", "9" * 5000 + "s"])
def test_a_duration_past_a_year_is_refused_naming_the_variable(variable: str, bad: str) -> None:
    problem = the_problem_naming(variable, problems_for(HTTP_ENV | {variable: bad}))
    assert "at most 365d" in problem
    assert len(problem) < 200  # the value is not echoed whole


def test_a_year_is_the_longest_duration_accepted() -> None:
    settings = Settings.from_env(HTTP_ENV | {"REMINDER_AFTER": "365d", "REQUEST_LEASE": "52w"})
    assert settings.reminder_after is not None and settings.reminder_after.days == 365
    assert settings.request_lease.days == 364


def test_health_port_defaults_to_the_dockerfiles_3000_and_0_turns_it_off() -> None:
    assert Settings.from_env(SOCKET_ENV, socket_mode=True).health_port == 3000
    assert Settings.from_env(SOCKET_ENV | {"HEALTH_PORT": "0"}, socket_mode=True).health_port is None
    settings = Settings.from_env(SOCKET_ENV | {"HEALTH_PORT": "8081", "HEALTH_HOST": "127.0.0.1"}, socket_mode=True)
    assert (settings.health_port, settings.health_host) == (8081, "127.0.0.1")


@pytest.mark.parametrize(
    ("variable", "bad"), [("HEALTH_PORT", "70000"), ("HEALTH_PORT", "http"), ("HEALTH_HOST", "http://x")]
)
def test_a_bad_health_setting_is_named(variable: str, bad: str) -> None:
    the_problem_naming(variable, problems_for(HTTP_ENV | {variable: bad}))


def test_undo_window_is_thirty_seconds_unless_told() -> None:
    assert Settings.from_env(HTTP_ENV).undo_window.total_seconds() == 30
    assert Settings.from_env(HTTP_ENV | {"UNDO_WINDOW": "2m"}).undo_window.total_seconds() == 120


@pytest.mark.parametrize("off", ["0", "0s", "off", "OFF"])
def test_undo_window_zero_turns_it_off(off: str) -> None:
    assert Settings.from_env(HTTP_ENV | {"UNDO_WINDOW": off}).undo_window.total_seconds() == 0


@pytest.mark.parametrize(
    ("bad", "words"),
    [("soon", "UNDO_WINDOW: 'soon' is not a duration"), ("1h", "UNDO_WINDOW must be at most 10m (got 1h)")],
)
def test_a_bad_undo_window_names_the_variable(bad: str, words: str) -> None:
    [problem] = problems_for(HTTP_ENV | {"UNDO_WINDOW": bad})
    assert problem.startswith(words)


def test_an_undo_window_longer_than_the_schedule_grace_is_refused() -> None:
    [problem] = problems_for(HTTP_ENV | {"UNDO_WINDOW": "3m", "SCHEDULE_GRACE": "1m"})
    assert problem.startswith("UNDO_WINDOW must not be longer than SCHEDULE_GRACE (60s)")
    assert Settings.from_env(HTTP_ENV | {"UNDO_WINDOW": "10m", "SCHEDULE_GRACE": "10m"}).undo_window.seconds == 600
