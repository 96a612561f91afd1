"""The benchmarks start the app from `benchmarks/harness.app_env`: it must stay an environment the app accepts, or
every benchmark dies before its first request (as it did when the demo moved to a brands file)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from benchmarks.harness import app_env
from bot.runtime.brands import from_settings
from bot.runtime.settings import Settings


def test_the_benchmark_environment_is_the_one_brand_x_setup_the_app_accepts() -> None:
    sandbox = SimpleNamespace(
        slack=SimpleNamespace(bot_token="xoxb-bench", url="http://127.0.0.1:1/api/"),
        x=SimpleNamespace(consumer_key="bench-key", url="http://127.0.0.1:2"),
    )
    settings = Settings.from_env(app_env(cast(Any, sandbox), "sqlite:///bench.db", LOG_LEVEL="WARNING"))
    [brand] = from_settings(settings)
    assert [a.network.value for a in brand.networks] == ["x"]
    assert (settings.database_url, settings.log_level, settings.undo_window.total_seconds()) == (
        "sqlite:///bench.db",
        "WARNING",
        0,
    )
