"""Each network's post of one version, in one line: `X: <link|view> · Mastodon: <link|view>`."""

from __future__ import annotations

from collections.abc import Sequence

from bot.networks.base import title_of


def network_links(links: Sequence[tuple[str, str | None]], *, mrkdwn: bool = True) -> str:
    """`X: <link|view> · Mastodon: <link|view>`: each network's post, when a version went to several."""

    def one(network: str, url: str | None) -> str:
        title = title_of(network)
        if not url:
            return f"{title}: (link unknown)"
        return f"{title}: <{url}|view>" if mrkdwn else f"{title}: {url}"

    return " · ".join(one(network, url) for network, url in links)
