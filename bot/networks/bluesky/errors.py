"""What an exception from a Bluesky call means for a post: retry, uncertain, or failed for good.

The atproto SDK (atproto_client.request) turns answers and transport failures into its own classes:
400 → BadRequestError, 401/403 → UnauthorizedError, 429 → RateLimitExceededError, 409/413/502 → NetworkError
(with a response), any other non-2xx → RequestException; httpx's TimeoutException → InvokeTimeoutError and
httpx's NetworkError → NetworkError (no response, the httpx error as `__cause__`). httpx errors it doesn't map
(a server that closes the connection without an answer: RemoteProtocolError) come out raw.

The body is XRPC's `{"error": name, "message": text}`. Names the PDS sends that matter here: ExpiredToken /
InvalidToken (400, the access token; the account renews an expired one itself), AuthenticationRequired (401,
"Invalid identifier or password": the app password is wrong or revoked), AccountTakedown / AccountDeactivated
(401), InvalidRequest (400, e.g. a record the lexicon refuses), RateLimitExceeded (429, `ratelimit-reset` in
epoch seconds), PayloadTooLarge (413, a blob over the upload limit).

The post's record key is chosen before the call, so an uncertain create is settled exactly by reading that key.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from atproto_client import exceptions as atx

from bot.networks.base import Diagnosis, Verdict

PASSWORD_VAR = "BLUESKY_APP_PASSWORD"


class MediaRefused(ValueError):
    """Our own check refused an image before any upload: the sentence says what to change."""


class KeyTaken(RuntimeError):
    """The record key holds a different post: the key was reused for other text, which must never happen."""


def password_fix(password_var: str = PASSWORD_VAR) -> str:
    return f"Create an app password at Settings → Privacy and security → App passwords and set {password_var}."


def error_name(exc: BaseException) -> str | None:
    content = _content(exc)
    return getattr(content, "error", None) or (content.get("error") if isinstance(content, dict) else None)


def error_message(exc: BaseException) -> str:
    content = _content(exc)
    message = getattr(content, "message", None) or (content.get("message") if isinstance(content, dict) else None)
    return str(message or error_name(exc) or "no details given")[:300]


def status_of(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def _content(exc: BaseException) -> Any:
    return getattr(getattr(exc, "response", None), "content", None)


def diagnose(exc: BaseException, *, password_var: str = PASSWORD_VAR, now: float | None = None) -> Diagnosis:
    now = time.time() if now is None else now
    if isinstance(exc, MediaRefused):
        return Diagnosis(Verdict.FAILED, str(exc))
    if isinstance(exc, KeyTaken):
        return Diagnosis(Verdict.FAILED, f"Bluesky already has a different post at this record key ({exc})")
    if isinstance(exc, atx.RequestErrorBase) and exc.response is not None:
        return _answered(exc, password_var, now)
    if isinstance(exc, atx.InvokeTimeoutError):
        if isinstance(exc.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout):
            return Diagnosis(Verdict.RETRY, "could not connect to Bluesky in time")
        return Diagnosis(Verdict.UNCERTAIN, "Bluesky did not answer in time: the post may or may not be up")
    if isinstance(exc, atx.NetworkError | httpx.TransportError):
        cause = exc.__cause__ if isinstance(exc, atx.NetworkError) else exc
        if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout):
            return Diagnosis(Verdict.RETRY, "could not connect to Bluesky")
        if isinstance(cause, httpx.UnsupportedProtocol):
            return Diagnosis(Verdict.FAILED, "the Bluesky server address is not an http(s) URL: check the setting")
        return Diagnosis(Verdict.UNCERTAIN, "the connection to Bluesky dropped: the post may or may not be up")
    if isinstance(exc, atx.LoginRequiredError):
        return Diagnosis(Verdict.FAILED, f"not signed in to Bluesky. {password_fix(password_var)}")
    return Diagnosis(Verdict.UNCERTAIN, f"unexpected error talking to Bluesky ({type(exc).__name__})")


def _answered(exc: atx.RequestErrorBase, password_var: str, now: float) -> Diagnosis:
    status, name, message = status_of(exc) or 0, error_name(exc), error_message(exc)
    if status == 429 or isinstance(exc, atx.RateLimitExceededError):
        return Diagnosis(Verdict.RETRY, "Bluesky rate limit reached", retry_at=_reset_at(exc, now))
    if name == "ExpiredToken":
        return Diagnosis(Verdict.RETRY, "the Bluesky session expired; a new one is made on the next try")
    if name == "AccountTakedown":
        return Diagnosis(Verdict.FAILED, "Bluesky has taken this account down: the account's owner must appeal")
    if name == "AccountDeactivated":
        return Diagnosis(Verdict.FAILED, "the Bluesky account is deactivated: reactivate it in the app, then retry")
    if status in (401, 403) or name in ("InvalidToken", "AuthenticationRequired", "AuthMissing"):
        return Diagnosis(Verdict.FAILED, f"Bluesky refused the sign-in ({message}). {password_fix(password_var)}")
    if status == 413 or name == "PayloadTooLarge":
        return Diagnosis(Verdict.FAILED, "Bluesky refused the image as too large: use a smaller file")
    if status == 400:
        return Diagnosis(Verdict.FAILED, f"Bluesky refused the post (400 {name}): {message}")
    if status >= 500:
        return Diagnosis(Verdict.UNCERTAIN, f"Bluesky answered {status}: the post may or may not be up")
    return Diagnosis(Verdict.UNCERTAIN, f"Bluesky answered {status} {name or ''}: {message}".rstrip(": "))


def _reset_at(exc: atx.RequestErrorBase, now: float) -> float:
    """`ratelimit-reset` (epoch seconds) when Bluesky sent it, else `retry-after` seconds, else a minute."""
    headers = exc.response.headers if exc.response is not None else {}
    for name, base in (("ratelimit-reset", 0.0), ("retry-after", now)):
        try:
            value = base + float(headers.get(name, ""))
        except (TypeError, ValueError):
            continue
        if value > now:
            return value
    return now + 60
