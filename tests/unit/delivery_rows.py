"""Delivery rows for the card builders' unit tests: a card reads what came of a version from its deliveries (one per
network), the draft only for the owner's decision, so a test gives it the rows a real card would be drawn with."""

from __future__ import annotations

from typing import Any

from storage.deliveries import DELIVERY_STATUSES
from storage.models import Delivery, Draft, Status


def delivery(network: str, status: Status, **fields: Any) -> Delivery:
    """One network's delivery of draft #17, version 3 (tests/unit/test_blocks.make_draft's), with `fields`."""
    values: dict[str, Any] = {"draft_id": 17, "brand": "acme", "version": 3, "network": network, "status": status}
    values.setdefault("final_parts", ["Fresh beans are in."])
    return Delivery(**(values | fields))


def delivered(draft: Draft, network: str = "x", **fields: Any) -> list[Delivery]:
    """The deliveries of a one-network brand's `draft`: past approval, the one delivery in the draft's status
    carrying its parts and `fields` (post ids, link, error…); before approval, or rejected, none."""
    if draft.status not in DELIVERY_STATUSES:
        return []
    parts = draft.final_parts or [draft.text]
    at = {"draft_id": draft.id or 0, "version": draft.version, "final_parts": parts}
    return [delivery(network, Status(draft.status), **(at | fields))]
