"""`countersign doctor` for a Mastodon account: the instance answers, the token works, and it may post and upload.

Mastodon tells no token its own scopes: `GET /api/v1/apps/verify_credentials` lists (since 4.3) the scopes the
*application* was registered with, and a token may hold fewer. So each scope is asked of the endpoint that needs
it, with a request that can change nothing: Doorkeeper checks the scope before the action runs, so a token without
`write:statuses` is answered 403 "This action is outside the authorized scopes" where one with it gets 422 for an
empty status ("Text can't be blank"); likewise `PUT /api/v1/media/0` is 403 without `write:media` and 404 with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mastodon import MastodonAPIError, MastodonError, MastodonNotFoundError, MastodonUnauthorizedError

from bot.networks.base import Check
from bot.networks.mastodon.errors import token_fix

if TYPE_CHECKING:
    from bot.networks.mastodon.account import MastodonAccount


def run_checks(account: MastodonAccount) -> list[Check]:
    checks = [_instance(account)]
    token = _token(account)
    checks.append(token)
    if token.ok:
        checks.append(
            _scope(account, "write:statuses", lambda: account.api.status_post("", idempotency_key=account.new_key()))
        )
        checks.append(_scope(account, "write:media", lambda: account.api.media_update("0", description="")))
    return checks


def _instance(account: MastodonAccount) -> Check:
    what = f"the Mastodon instance {account.instance_url} answers"
    try:
        info = account._call(account.api.instance_v2)
    except MastodonNotFoundError:
        try:
            info = account._call(account.api.instance_v1)
        except MastodonError as exc:
            return Check(what, False, f"check the instance address: {account.diagnose(exc).reason}")
    except MastodonError as exc:
        return Check(what, False, f"check the instance address: {account.diagnose(exc).reason}")
    return Check(f"{what} (Mastodon {info.get('version', '?')})", True)


def _token(account: MastodonAccount) -> Check:
    try:
        me = account._account()
    except MastodonUnauthorizedError:
        return Check(
            "the Mastodon access token works", False, f"the instance refused it: {token_fix(account.token_env)}"
        )
    except MastodonError as exc:
        return Check("the Mastodon access token works", False, account.diagnose(exc).reason)
    return Check(f"the Mastodon access token works (@{me['acct']})", True)


def _scope(account: MastodonAccount, scope: str, probe: Callable[[], object]) -> Check:
    what = f"the access token has the {scope} scope"
    try:
        made = account._call(probe)
    except MastodonAPIError as exc:
        status = exc.args[1] if len(exc.args) > 1 else None
        if status == 403:
            return Check(what, False, f"the token lacks {scope}: {token_fix(account.token_env)}")
        if status in (400, 404, 422):
            return Check(what, True)
        return Check(what, False, account.diagnose(exc).reason)
    except MastodonError as exc:
        return Check(what, False, account.diagnose(exc).reason)
    if isinstance(made, dict) and made.get("content") is not None:  # an instance that took an empty status
        account.delete(str(made["id"]))
    return Check(what, True)
