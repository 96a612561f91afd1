"""The stand-in's reading of a request body as Rails does for Mastodon: urlencoded form fields (`media_ids[]`
repeated into a list), a JSON object, or multipart fields and the uploaded `file` part."""

from __future__ import annotations

import email.policy
import json
from dataclasses import dataclass, field
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qsl

from bot.sandbox.http_base import Request


@dataclass
class MastodonRequest:
    """One request as the stand-in saw it: the route it matched, its fields, and what it answered."""

    method: str
    path: str
    route: str
    headers: dict[str, str]
    fields: dict[str, Any]
    at: float
    status: int | None = None


@dataclass
class Upload:
    fields: dict[str, Any] = field(default_factory=dict)
    file: tuple[str, bytes] | None = None  # (mime, data)


def parse_body(request: Request) -> Upload:
    """Form fields (repeated `name[]` keys become lists), a JSON object, or multipart fields and the `file` part."""
    upload = Upload()
    if not request.body:
        upload.fields = dict(request.query) if request.method == "GET" else {}
        return upload
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body.decode("utf-8"))
        except ValueError:
            body = None
        upload.fields = body if isinstance(body, dict) else {}
        return upload
    if request.content_type == "multipart/form-data":
        head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
        message = BytesParser(policy=email.policy.HTTP).parsebytes(head + request.body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if name == "file" and part.get_filename() is not None:
                upload.file = (part.get_content_type(), payload)
            elif isinstance(name, str):
                _put(upload.fields, name, payload.decode("utf-8"))
        return upload
    for name, value in parse_qsl(request.body.decode("utf-8"), keep_blank_values=True):
        _put(upload.fields, name, value)
    return upload


def _put(fields: dict[str, Any], name: str, value: str) -> None:
    if name.endswith("[]"):
        fields.setdefault(name[:-2], []).append(value)
    else:
        fields[name] = value


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def as_text(value: Any) -> str | None:
    return None if value is None else str(value)
