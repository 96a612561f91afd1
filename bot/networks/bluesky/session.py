"""The account's one SDK client and its session: made lazily, renewed when the PDS says it expired.

The atproto SDK refreshes an access token itself 15 minutes before the `exp` it reads from the JWT
(`Client._invoke`). The PDS can still answer 400 `ExpiredToken` (a clock that's off, a session revoked on the
server): the SDK then only raises. Here that answer renews the session once, with refreshSession (refresh tokens
rotate, so a second thread that saw the same expiry reuses the first one's renewal), else with createSession,
and the call is made again: a refused call never reached the handler, and creates are keyed by rkey anyway.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import httpx
from atproto import Client, Session, SessionEvent
from atproto_client import exceptions as atx
from atproto_client.request import Request

from bot.networks.bluesky.errors import error_name

T = TypeVar("T")


class BlueskySession:
    def __init__(self, identifier: str, app_password: str, base_url: str, timeout: tuple[float, float]) -> None:
        connect, read = timeout
        request = Request(timeout=httpx.Timeout(read, connect=connect))
        self.client = Client(base_url, request=request)
        self._identifier, self._password = identifier, app_password
        self._lock = threading.Lock()
        self._current: Session | None = None
        self.client.on_session_change(self._remember)

    def _remember(self, event: SessionEvent, session: Session) -> None:
        self._current = session

    @property
    def current(self) -> Session | None:
        return self._current

    def did(self) -> str:
        """The signed-in account's DID, signing in first if need be."""
        return self.ensure().did

    def ensure(self) -> Session:
        with self._lock:
            if self._current is None:
                self._login()
            assert self._current is not None
            return self._current

    def login(self) -> Session:
        """A fresh createSession (for `doctor`: the credentials are checked now, not remembered)."""
        with self._lock:
            self._login()
            assert self._current is not None
            return self._current

    def _login(self) -> None:
        self.client.login(self._identifier, self._password, fetch_bsky_profile=False)

    def call(self, fn: Callable[[], T]) -> T:
        session = self.ensure()
        try:
            return fn()
        except atx.BadRequestError as exc:
            if error_name(exc) != "ExpiredToken":
                raise
        self._renew(session.access_jwt)
        return fn()

    def _renew(self, expired_access: str) -> None:
        with self._lock:
            current = self._current
            if current is not None and current.access_jwt != expired_access:
                return  # another thread renewed it already
            try:
                if current is None:
                    raise atx.LoginRequiredError
                refreshed = self.client.com.atproto.server.refresh_session(
                    headers={"Authorization": f"Bearer {current.refresh_jwt}"}, ignore_session_check=True
                )
            except (atx.BadRequestError, atx.UnauthorizedError, atx.LoginRequiredError):
                self._login()  # the refresh token is spent or revoked: sign in again
                return
            renewed = Session(
                refreshed.handle, refreshed.did, refreshed.access_jwt, refreshed.refresh_jwt, current.pds_endpoint
            )
            self.client.login(session_string=renewed.export(), fetch_bsky_profile=False)
