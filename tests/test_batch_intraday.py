"""Batch studies that archive intraday bars (issue 12): config keys, the archive step,
and ``intraday_car.csv`` computed from the cache after Yahoo stopped serving the bars.

Daily prices come from synthetic files (``provider_factory``, as in
``tests/test_batch.py``); minute bars from :class:`FakeIntradayClient` (yfinance's
real frame shape and errors), passed in at the Yahoo boundary.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.batch import load_config, run_batch
from eventstudy.batch.config import SETTING_KEYS, BatchConfigError
from eventstudy.batch.state import STATE_NAME
from eventstudy.data.cache import PriceCache
from eventstudy.data.files import FilePriceProvider
from eventstudy.data.intraday_cache import IntradayCache
from tests.test_intraday_provider import FakeIntradayClient

RUN1 = pd.Timestamp("2025-09-20 12:00", tz="UTC")  # a Saturday
RUN2 = pd.Timestamp("2025-11-29 12:00", tz="UTC")  # 2025-09-11 is 79 days back
EVENTS = (
    "event_id,ticker,date,time,timing,benchmark\n"
    "msft-mou,MSFT,2025-09-11,,after_close,SPY\n"
    "msft-1530,MSFT,2025-09-15,15:30,during_market,SPY\n"
)


def write_daily(folder: Path) -> Path:
    from eventstudy.event_time import sessions

    days = sessions("XNYS")
    days = days[(days >= pd.Timestamp("2024-06-03")) & (days <= pd.Timestamp("2025-12-31"))]
    rng = np.random.default_rng(3)
    m = rng.normal(0.0004, 0.01, len(days))
    folder.mkdir(parents=True, exist_ok=True)
    for ticker, series in {
        "SPY": 500 * np.cumprod(1 + m),
        "MSFT": 400 * np.cumprod(1 + 1.1 * m + rng.normal(0, 0.012, len(days))),
    }.items():
        pd.DataFrame({"Date": days.strftime("%Y-%m-%d"), "Adj Close": series}).to_csv(
            folder / f"{ticker}.csv", index=False
        )
    return folder


def write_config(root: Path, extra: str = "intraday_archive = true\n") -> Path:
    (root / "events.csv").write_text(EVENTS)
    cfg = root / "batch.toml"
    cfg.write_text(
        "[studies.live]\n"
        'events = "events.csv"\n'
        'output = "out"\n'
        'cache = "cache.sqlite"\n'
        'formats = ["csv"]\n'
        "event_window = [-3, 3]\n"
        "car_windows = [[0, 0], [-1, 1]]\n" + extra
    )
    return cfg


@pytest.fixture
def root(tmp_path):
    write_daily(tmp_path / "daily")
    return tmp_path


def run(root: Path, client: FakeIntradayClient, now: pd.Timestamp, **kw):
    daily = FilePriceProvider(root / "daily")
    return run_batch(
        load_config(root / "batch.toml"),
        provider_factory=lambda _s: daily,
        intraday_client=client,
        now=now.to_pydatetime(),
        **kw,
    )


def car_rows(root: Path) -> pd.DataFrame:
    return pd.read_csv(root / "out" / "intraday_car.csv")


def test_archive_then_compute_after_the_window(root):
    write_config(root)
    first = FakeIntradayClient(RUN1)
    res = run(root, first, RUN1)
    (outcome,) = res.outcomes
    assert res.exit_code == 0, outcome.line()
    assert outcome.outcome == "updated"
    assert {r["ticker"] for r in outcome.intraday} == {"MSFT", "SPY"}
    assert all(r["error"] is None and r["bars_added"] > 15_000 for r in outcome.intraday)
    assert "intraday bars archived" in outcome.line()
    cache = IntradayCache(PriceCache(root / "cache.sqlite"))
    assert {c.ticker for c in cache.coverage()} == {"MSFT", "SPY"}
    car1 = car_rows(root)
    mou = car1[car1["event_id"] == "msft-mou"]
    assert len(mou) >= 3 and mou["car"].notna().all()
    assert mou["model"].eq("market").all()
    assert (car1[car1["event_id"] == "msft-1530"]["car"].notna()).any()
    assert (root / "out" / "intraday_ar.csv").is_file()
    log = [json.loads(line) for line in (root / "out" / "batch-log.jsonl").read_text().splitlines()]
    assert log[-1]["intraday"] == outcome.intraday
    state = json.loads((root / "out" / STATE_NAME).read_text())
    assert state["last_run"]["intraday_bars_added"] == sum(
        r["bars_added"] for r in outcome.intraday
    )

    # 70 days later Yahoo no longer serves September's minute bars
    later = FakeIntradayClient(RUN2)
    res2 = run(root, later, RUN2)
    (outcome2,) = res2.outcomes
    assert res2.exit_code == 0, outcome2.line()
    assert outcome2.outcome == "updated"  # new bars archived: the tables are rewritten
    assert all(a >= RUN2 - pd.Timedelta(days=30) for _, a, _, _ in later.calls)
    car2 = car_rows(root)
    pd.testing.assert_frame_equal(car2, car1)  # from the bars the first run archived

    # Yahoo refusing (its window shorter than ours): recorded, the study still computes
    run3 = RUN2 + pd.Timedelta(days=40)
    refusing = FakeIntradayClient(run3, window_days=20)
    res3 = run(root, refusing, run3, full=True)
    (outcome3,) = res3.outcomes
    assert res3.exit_code == 0, outcome3.line()
    errors = [r["error"] for r in outcome3.intraday]
    assert all("The requested range must be within the last 30 days" in e for e in errors)
    assert any(d.startswith("intraday: MSFT 1m:") for d in outcome3.details)
    pd.testing.assert_frame_equal(car_rows(root), car1)


def test_unchanged_run_without_new_bars_does_not_recompute(root):
    write_config(root)
    run(root, FakeIntradayClient(RUN1), RUN1)
    quiet = FakeIntradayClient(RUN1, errors={"MSFT": ConnectionError("Failed to connect")})
    (outcome,) = run(root, quiet, RUN1).outcomes
    assert outcome.outcome == "unchanged"
    assert "cannot reach Yahoo Finance" in outcome.intraday[0]["error"]
    assert "not requested" in outcome.intraday[1]["error"]
    assert (root / "out" / "intraday_car.csv").is_file()


def test_list_of_tickers_and_5m(root):
    write_config(root, 'intraday_archive = ["msft"]\nintraday_intervals = ["5m"]\n')
    client = FakeIntradayClient(RUN1)
    (outcome,) = run(root, client, RUN1).outcomes
    assert [(r["ticker"], r["interval"]) for r in outcome.intraday] == [("MSFT", "5m")]
    assert {c[0] for c in client.calls} == {"MSFT"}
    car = car_rows(root)
    mou = car[car["event_id"] == "msft-mou"]
    assert mou["car"].notna().all() and mou["model"].eq("constant_mean").all()


def test_no_archive_key_no_intraday_tables(root):
    write_config(root, "")
    client = FakeIntradayClient(RUN1)
    (outcome,) = run(root, client, RUN1).outcomes
    assert outcome.intraday == [] and client.calls == []
    assert not (root / "out" / "intraday_car.csv").exists()


def test_config_errors_name_the_line(root):
    (root / "events.csv").write_text(EVENTS)
    cfg = root / "batch.toml"
    cfg.write_text(
        "[studies.files]\n"
        'events = "events.csv"\n'
        'prices = "daily"\n'
        "intraday_archive = true\n"
        "[studies.bad]\n"
        'events = "events.csv"\n'
        'output = "bad"\n'
        'intraday_intervals = ["1m", "3m"]\n'
        "intraday_archive = 3\n"
    )
    with pytest.raises(BatchConfigError) as info:
        load_config(cfg)
    text = [str(i) for i in info.value.issues]
    assert any(
        "line 4: key 'studies.files.intraday_archive'" in t and "(line 3)" in t for t in text
    )
    assert any("line 8: key 'studies.bad.intraday_intervals'" in t and "'3m'" in t for t in text)
    assert any("line 9: key 'studies.bad.intraday_archive'" in t for t in text)


def test_intraday_keys_do_not_change_the_study_key(root):
    from eventstudy.batch.runner import _Context

    assert "intraday_archive" not in SETTING_KEYS and "intraday_intervals" not in SETTING_KEYS
    write_config(root, "")
    plain = load_config(root / "batch.toml").studies[0]
    write_config(root, 'intraday_archive = true\nintraday_intervals = ["1m", "5m"]\n')
    archived = load_config(root / "batch.toml").studies[0]
    assert archived.intraday_intervals == ("1m", "5m")
    assert _Context(plain, False, None, None).keys() == _Context(archived, False, None, None).keys()
