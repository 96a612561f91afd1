"""The wire pieces of the Bluesky stand-in: XRPC error bodies, tokens, CIDs, record validation, views.

What the real PDS does, from bluesky-social/atproto (packages/pds, xrpc-server, lex-schema), that is modelled:
- Errors are `{"error": name, "message": text}`; a 500 says only "Internal Server Error".
- Access JWTs (`typ: at+jwt`, scope `com.atproto.appPass` for an app password, 2 h) and refresh JWTs
  (`typ: refresh+jwt`, scope `com.atproto.refresh`, 90 days, rotated on use). An expired one answers 400
  `ExpiredToken` "Token has expired"; an unverifiable one 400 `InvalidToken`; none at all 401 `AuthMissing`.
- A record the lexicon refuses answers 400 `InvalidRequest` "Invalid app.bsky.feed.post record: <issue> at
  <path>", with lex-schema's issue wording (`grapheme too big (maximum 300, got 301)`); bytes are checked first.
- CIDs look as real ones do (CIDv1, sha-256, base32: `bafkrei…` for raw blobs, `bafyrei…` for records), but a
  record's is hashed over its JSON, not its DAG-CBOR: nothing here recomputes one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

from bot.networks.bluesky.text_rules import BYTE_LIMIT, GRAPHEME_LIMIT, graphemes, utf8_length
from bot.networks.bluesky.tid import is_tid
from bot.sandbox.http_base import Reply

POST = "app.bsky.feed.post"
IMAGES = "app.bsky.embed.images"
MAX_IMAGES = 4
IMAGE_MAX_SIZE = 2_000_000
SERVICE_DID = "did:web:pds.sandbox.test"


def xrpc_error(status: int, error: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply.of_json({"error": error, "message": message}, status, headers)


def invalid(message: str, error: str = "InvalidRequest") -> Reply:
    return xrpc_error(400, error, message)


INTERNAL = {"error": "InternalServerError", "message": "Internal Server Error"}


# CIDs


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").lower().rstrip("=")


def cid_for(data: bytes, codec: int) -> str:
    """CIDv1 with a sha-256 multihash, multibase base32 (`b…`): codec 0x55 raw, 0x71 dag-cbor."""
    return "b" + _b32(bytes([0x01, codec, 0x12, 0x20]) + hashlib.sha256(data).digest())


def blob_cid(data: bytes) -> str:
    return cid_for(data, 0x55)


def record_cid(value: Any) -> str:
    return cid_for(json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8"), 0x71)


# tokens


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Tokens:
    """Signs and checks the sandbox's JWTs (HS256 with its own secret, as a PDS signs with its jwt key)."""

    secret: bytes = field(default_factory=lambda: hashlib.sha256(str(time.time_ns()).encode()).digest())
    issued: int = 0

    def make(self, typ: str, scope: str, did: str, ttl: float, jti: str | None = None) -> str:
        self.issued += 1
        now = int(time.time())
        head = {"typ": typ, "alg": "HS256"}
        payload: dict[str, Any] = {"scope": scope, "sub": did, "aud": SERVICE_DID, "iat": now, "exp": int(now + ttl)}
        payload["jti"] = jti or f"sbx-{self.issued}"
        signing = f"{_b64url(json.dumps(head).encode())}.{_b64url(json.dumps(payload).encode())}"
        signature = hmac.new(self.secret, signing.encode("ascii"), hashlib.sha256).digest()
        return f"{signing}.{_b64url(signature)}"

    def read(self, token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(header, payload) of a token this sandbox signed, else None (the exp is not checked here)."""
        try:
            head, body, signature = token.split(".")
            expected = hmac.new(self.secret, f"{head}.{body}".encode("ascii"), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64url(signature)):
                return None
            return json.loads(_unb64url(head)), json.loads(_unb64url(body))
        except (ValueError, UnicodeDecodeError):
            return None


# record validation: lex-schema's messages, the checks a post meets


def _issue(path: str, message: str) -> str:
    return f"Invalid {POST} record: {message} at $.record{path}"


def validate_post(record: Any, blobs: dict[str, dict[str, Any]]) -> Reply | None:
    """None if the PDS would take this `app.bsky.feed.post`, else its 400 answer."""
    if not isinstance(record, dict):
        return invalid(_issue("", "Expected object value type (got " + type(record).__name__ + ")"))
    text = record.get("text")
    if not isinstance(text, str):
        return invalid(
            _issue("", 'Missing required key "text"') if text is None else _issue(".text", "Expected string value type")
        )
    if utf8_length(text) > BYTE_LIMIT:
        return invalid(_issue(".text", f"string too big (maximum {BYTE_LIMIT}, got {utf8_length(text)})"))
    if graphemes(text) > GRAPHEME_LIMIT:
        return invalid(_issue(".text", f"grapheme too big (maximum {GRAPHEME_LIMIT}, got {graphemes(text)})"))
    if not isinstance(record.get("createdAt"), str):
        return invalid(_issue("", 'Missing required key "createdAt"'))
    for i, facet in enumerate(record.get("facets") or []):
        index = facet.get("index") if isinstance(facet, dict) else None
        if not isinstance(index, dict) or not all(isinstance(index.get(k), int) for k in ("byteStart", "byteEnd")):
            return invalid(_issue(f".facets[{i}]", 'Missing required key "index"'))
        if not isinstance(facet.get("features"), list):
            return invalid(_issue(f".facets[{i}]", 'Missing required key "features"'))
    for part in ("root", "parent"):
        reply = record.get("reply")
        if reply is not None and not (isinstance(reply.get(part), dict) and {"uri", "cid"} <= set(reply[part])):
            return invalid(_issue(f".reply.{part}", 'Missing required key "uri"'))
    embed = record.get("embed")
    if embed is not None and embed.get("$type") == IMAGES:
        return _validate_images(embed.get("images"), blobs)
    return None


def _validate_images(images: Any, blobs: dict[str, dict[str, Any]]) -> Reply | None:
    if not isinstance(images, list):
        return invalid(_issue(".embed", 'Missing required key "images"'))
    if len(images) > MAX_IMAGES:
        return invalid(_issue(".embed.images", f"array too big (maximum {MAX_IMAGES}, got {len(images)})"))
    for i, image in enumerate(images):
        path = f".embed.images[{i}]"
        if not isinstance(image, dict) or not isinstance(image.get("alt"), str):
            return invalid(_issue(path, 'Missing required key "alt"'))
        blob = image.get("image")
        if not isinstance(blob, dict) or blob.get("$type") != "blob":
            return invalid(_issue(f"{path}.image", "Expected blob value type"))
        mime, size = blob.get("mimeType", ""), blob.get("size")
        if not str(mime).startswith("image/"):
            return invalid(_issue(f"{path}.image.mimeType", f'Expected "image/*" (got "{mime}")'))
        if isinstance(size, int) and size > IMAGE_MAX_SIZE:
            return invalid(_issue(f"{path}.image", f"blob too big (maximum {IMAGE_MAX_SIZE}, got {size})"))
        cid = (blob.get("ref") or {}).get("$link")
        stored = blobs.get(str(cid))
        if stored is None:
            return invalid(f"Could not find blob: {cid}", "BlobNotFound")
        if stored["mimeType"] != mime:
            got = f"Expected: {stored['mimeType']}, Got: {mime}"
            return invalid(f"Referenced Mimetype does not match stored blob. {got}", "InvalidMimeType")
        if stored["size"] != size:
            got = f"Expected: {stored['size']}, Got: {size}"
            return invalid(f"Referenced Size does not match stored blob. {got}", "InvalidSize")
    return None


def check_rkey(rkey: Any) -> Reply | None:
    if rkey is None or (isinstance(rkey, str) and is_tid(rkey)):
        return None
    return invalid(f"Invalid record key for {POST}: Invalid TID format (got {json.dumps(rkey)})")


def sniff_mime(data: bytes, declared: str) -> str:
    """What the PDS stores as the blob's type: sniffed from the bytes (file-type), else what the client said."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return declared or "application/octet-stream"
