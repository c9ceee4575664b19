"""Shared fixtures: paths to the shared data and spec (tests skip when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = SHARED / "data"
PRICES = DATA / "prices"
GOLDEN = SHARED / "spec" / "golden"
CORPUS = Path(__file__).resolve().parent / "corpus"
#: The sample study's prices, bundled with the repository (runs anywhere).
SAMPLE_PRICES = ROOT / "examples" / "prices"


@pytest.fixture
def shared_prices() -> Path:
    if not (PRICES / "MSFT.csv").exists():
        pytest.skip(f"real price files absent: {PRICES} (a fresh clone without ../shared)")
    return PRICES


@pytest.fixture
def golden() -> Path:
    if not (GOLDEN / "expected").exists():
        pytest.skip(f"golden example absent: {GOLDEN} (a fresh clone without ../shared)")
    return GOLDEN


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Never touch the user's real price cache from a test."""
    monkeypatch.setenv("EVENTSTUDY_CACHE", str(tmp_path_factory.mktemp("cache") / "prices.sqlite"))
