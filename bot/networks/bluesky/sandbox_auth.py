"""Sessions on the Bluesky stand-in: createSession, refreshSession, and the Bearer checks every route makes.

As the PDS does it (packages/pds: auth-verifier.ts, api/com/atproto/server/*Session.ts): a wrong identifier or
password is 401 `AuthenticationRequired` "Invalid identifier or password"; no token 401 `AuthMissing`; a token
that doesn't verify 400 `InvalidToken` "Token could not be verified"; an expired one 400 `ExpiredToken` "Token has
expired"; a refresh token used twice (they rotate) 400 `ExpiredToken` "Token has been revoked". The session
answer carries the `didDoc`, whose `#atproto_pds` endpoint the SDK switches to: here, this server.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from bot.networks.bluesky.sandbox_wire import Tokens, invalid, xrpc_error
from bot.sandbox.http_base import Reply, Request


class SessionsMixin:
    """Needs `user_handle`, `did`, `app_password`, `url`, `access_ttl`, `refresh_ttl` and the server's `_lock`."""

    user_handle: str
    did: str
    app_password: str
    url: str
    access_ttl: float
    refresh_ttl: float
    _lock: threading.RLock

    def _init_sessions(self) -> None:
        self._tokens = Tokens()
        self._dead_access: set[str] = set()
        self._live_refresh: set[str] = set()

    def expire_access_tokens(self) -> None:
        """Every access token issued so far now answers `ExpiredToken`, though its `exp` says it's still good
        (the SDK only refreshes ahead of `exp`): what a client with a skewed clock, or a revoked session, sees."""
        with self._lock:
            self._dead_access.update(f"sbx-{n}" for n in range(1, self._tokens.issued + 1))

    def revoke_refresh_tokens(self) -> None:
        with self._lock:
            self._live_refresh.clear()

    def _bearer(self, request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        return header[7:].strip() if header.lower().startswith("bearer ") else None

    def _check_access(self, request: Request) -> Reply | None:
        token = self._bearer(request)
        if not token:
            return xrpc_error(401, "AuthMissing", "Authentication Required")
        read = self._tokens.read(token)
        if read is None or read[0].get("typ") != "at+jwt":
            return invalid("Token could not be verified" if read is None else "Bad token scope", "InvalidToken")
        payload = read[1]
        if payload["exp"] <= time.time() or payload.get("jti") in self._dead_access:
            return invalid("Token has expired", "ExpiredToken")
        return None

    def _check_refresh(self, request: Request) -> Reply | None:
        token = self._bearer(request)
        if not token:
            return xrpc_error(401, "AuthMissing", "Authentication Required")
        read = self._tokens.read(token)
        if read is None or read[0].get("typ") != "refresh+jwt":
            return invalid("Token could not be verified" if read is None else "Invalid token type", "InvalidToken")
        if read[1]["exp"] <= time.time():
            return invalid("Token has expired", "ExpiredToken")
        with self._lock:
            if token not in self._live_refresh:
                return invalid("Token has been revoked", "ExpiredToken")
            self._live_refresh.discard(token)
        return None

    def _create_session(self, request: Request, query: dict[str, list[str]], body: Any) -> Reply:
        if not isinstance(body, dict) or not isinstance(body.get("identifier"), str):
            return invalid('Input must have the property "identifier"')
        if (
            body.get("identifier", "").lower() not in (self.user_handle, self.did)
            or body.get("password") != self.app_password
        ):
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        return self._session_reply()

    def _session_body(self) -> dict[str, Any]:
        did_doc = {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": self.did,
            "alsoKnownAs": [f"at://{self.user_handle}"],
            "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": self.url}],
        }
        return {
            "did": self.did,
            "didDoc": did_doc,
            "handle": self.user_handle,
            "email": "owner@acme.example",
            "emailConfirmed": True,
            "active": True,
        }

    def _session_reply(self) -> Reply:
        access = self._tokens.make("at+jwt", "com.atproto.appPass", self.did, self.access_ttl)
        refresh = self._tokens.make("refresh+jwt", "com.atproto.refresh", self.did, self.refresh_ttl)
        self._live_refresh.add(refresh)
        return Reply.of_json({"accessJwt": access, "refreshJwt": refresh, **self._session_body()})
