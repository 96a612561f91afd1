"""Reading one TOML table of the brands file while collecting problems, never stopping at the first.

The parts every table shares: typed values with a message saying what to write instead, unknown keys with a
"did you mean" (a typo must not pass silently: a misspelt `aprovers` would otherwise leave a brand without
approvers), credentials written into the file refused, and credentials read from the environment variable named.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from bot.runtime.brands import Problem, Secret

ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")  # capitals only: a pasted key or password almost never is
_CREDENTIAL_WORDS = re.compile(r"password|secret|token|api_?key|bearer|credential", re.IGNORECASE)
_TOML_TYPES = {
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "a table",
}


def type_name(value: Any) -> str:
    return next((name for kind, name in _TOML_TYPES.items() if type(value) is kind), "a date or time")


def quoted(value: str, longest: int = 40) -> str:
    """A value as the message shows it: in double quotes, cut if long (a pasted blob shouldn't fill the screen)."""
    return '"' + (value if len(value) <= longest else value[: longest - 1] + "…") + '"'


class Table:
    """One table (`brands.northwind`, `brands.northwind.x`); what is wrong goes to the shared `problems`."""

    def __init__(
        self,
        data: Mapping[str, Any],
        problems: list[Problem],
        *,
        brand: str | None,
        prefix: str = "",
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.data = data
        self.problems = problems
        self.brand = brand
        self.prefix = prefix  # "x." inside a brand's X table
        self.environ = environ or {}

    def problem(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.brand, f"{self.prefix}{key}".rstrip("."), message))

    def unknown_keys(self, known: tuple[str, ...]) -> None:
        """Refuse every key not in `known`: a credential written in the file, or a typo (with what it might be)."""
        for key in self.data:
            if key in known:
                continue
            if f"{key}_env" in known:
                self.problem(key, self._credential_here(f"{key}_env"))
            elif _CREDENTIAL_WORDS.search(key) and not key.endswith("_env"):
                named = [k for k in known if k.endswith("_env")]
                where = f"a key ending in _env ({', '.join(named)})" if named else self._network_table_hint()
                self.problem(key, self._credential_here(where, example=False))
            else:
                self.problem(key, _unknown(key, known))

    def _credential_here(self, env_key: str, *, example: bool = True) -> str:
        text = "credentials never go in this file: put the value in an environment variable and name that variable"
        if not example:
            return f"{text} with {env_key}"
        return f'{text} here instead, {env_key} = "{self.suggested_env(env_key)}"'

    def _network_table_hint(self) -> str:
        brand = self.brand or "<key>"
        name = Table({}, [], brand=self.brand, prefix="x.").suggested_env("api_key_env")
        return f'a key ending in _env in the network\'s table, like [brands.{brand}.x] api_key_env = "{name}"'

    def suggested_env(self, env_key: str) -> str:
        """NORTHWIND_X_API_KEY for `api_key_env` in brands.northwind.x: a name an operator can take as it is."""
        parts = [self.brand or "", self.prefix.rstrip("."), env_key.removesuffix("_env")]
        return re.sub(r"[^A-Z0-9]+", "_", "_".join(p for p in parts if p).upper()).strip("_")

    def string(self, key: str, *, required: bool = False, default: str = "", example: str = "") -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problem(key, f"is missing{_for_example(key, example)}")
            return default
        if not isinstance(value, str):
            self.problem(key, f"must be a string in quotes{_for_example(key, example)} (got {type_name(value)})")
            return default
        value = value.strip()
        if not value and required:
            self.problem(key, f"is empty{_for_example(key, example)}")
        return value or default

    def strings(self, key: str, *, example: str) -> tuple[str, ...] | None:
        """A list of strings, repeats dropped; None when absent or not a list of strings (a problem says so)."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            got = type_name(value) if not isinstance(value, list) else "a list with something other than strings"
            self.problem(key, f"must be a list of strings, like {key} = {example} (got {got})")
            return None
        return tuple(dict.fromkeys(v.strip() for v in value if v.strip()))

    def url(self, key: str, default: str, *, example: str) -> str:
        value = self.string(key, default=default, example=example)
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            guess = f"https://{value}" if "://" not in value and "." in value else example
            self.problem(key, f'must be an http(s) URL, like {key} = "{guess}" (got {quoted(value)})')
            return default
        return value.rstrip("/")

    def secret(self, env_key: str, what: str) -> Secret:
        """The credential in the environment variable that `env_key` names (`api_key_env = "NORTHWIND_X_API_KEY"`)."""
        example = self.suggested_env(env_key)
        name = self.string(env_key, required=True, example=f'"{example}"')
        if not name:
            return Secret("", "")
        if not ENV_NAME.match(name):  # the value is not echoed: it may be the credential itself, pasted here
            self.problem(
                env_key,
                f'must be the NAME of an environment variable, in capitals, like {env_key} = "{example}"; '
                f"the {what} itself goes in that variable, never in this file",
            )
            return Secret("", "")
        value = (self.environ.get(name) or "").strip()
        if not value:
            self.problem(env_key, f"the environment variable {name} is not set (or is empty): set it to the {what}")
        return Secret(name, value)

    def distinct_secrets(self, secrets: Mapping[str, Secret]) -> None:
        """Two credentials read from one variable is a copy-and-paste slip: X would refuse every call."""
        seen: dict[str, str] = {}
        for key, secret in secrets.items():
            if secret.env and secret.env in seen:
                self.problem(key, f"names {secret.env}, as {seen[secret.env]} does: each credential has its own")
            seen.setdefault(secret.env, key)


def _for_example(key: str, example: str) -> str:
    return f": write it like {key} = {example}" if example else ""


def _unknown(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f'is not a key Countersign knows; did you mean "{close[0]}"?'
    return f"is not a key Countersign knows; the keys here are {', '.join(known)}"
