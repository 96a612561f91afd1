"""Bluesky as a Countersign network: the account (atproto SDK), its text and media rules, facets, errors, and a
PDS stand-in for tests and the demo."""

from bot.networks.bluesky.account import BlueskyAccount

__all__ = ["BlueskyAccount"]
