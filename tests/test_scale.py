"""The scale-out paths give the numbers of the plain path: chunks equal one pass
exactly; the approximate KP ``r`` is close to the exact one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy import engine, event_time
from eventstudy.data.frame import FramePriceProvider
from eventstudy.study import _safe_benchmark_mic


def _study(n_events: int, seed: int, cluster: bool = False, missing: float = 0.0005):
    rng = np.random.default_rng(seed)
    days = event_time.sessions("XNYS")
    days = days[(days >= "2016-01-04") & (days <= "2020-12-31")]
    t, n_stocks = len(days), 40
    m = rng.normal(3e-4, 0.01, t)
    sector = rng.normal(0, 0.006, t)
    r = (
        m[:, None] * rng.uniform(0.5, 1.5, n_stocks)
        + sector[:, None] * (np.arange(n_stocks) < 15)
        + rng.normal(0, 0.015, (t, n_stocks))
    )
    prices = 50 * np.cumprod(1 + r, axis=0)
    prices[rng.random(prices.shape) < missing] = np.nan
    tickers = [f"S{k:02d}" for k in range(n_stocks)]
    wide = pd.DataFrame(prices, index=days, columns=tickers)
    wide["^GSPC"] = 2000 * np.cumprod(1 + m)
    long = (
        wide.rename_axis("date")
        .reset_index()
        .melt(id_vars="date", var_name="ticker", value_name="adj_close")
        .dropna()
    )
    pos = rng.integers(300, t - 5, n_events)  # a few pending at the end
    if cluster:
        pos[: n_events // 2] = 700
    events = pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(n_events)],
            "ticker": [tickers[k % n_stocks] for k in range(n_events)],
            "date": days[pos].strftime("%Y-%m-%d"),
            "timing": "during_market",
        }
    )
    return events, long


def _compute(events, long, chunk_size=engine.CHUNK, worker=None, **options):
    with _quiet():
        study = es.EventStudy(events, **options)
    prices = FramePriceProvider(long).get_ranges(study.date_ranges())
    return engine.compute(
        study.events,
        prices,
        study.settings,
        event_time.sessions,
        lambda s: _safe_benchmark_mic(s, "XNYS"),
        chunk_size=chunk_size,
        worker=worker,
    )


def _quiet():
    import warnings

    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("ignore")

    class _Done:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            ctx.__exit__(*exc)
            return False

    return _Done()


@pytest.mark.parametrize("chunk", [1, 2, 7, 64, 299])
def test_chunked_path_equals_one_pass(chunk: int):
    events, long = _study(300, seed=1)
    whole = _compute(events, long, chunk_size=10**6)
    parts = _compute(events, long, chunk_size=chunk)
    for name in ("events", "ar", "car", "aar", "tests"):
        pd.testing.assert_frame_equal(
            getattr(parts, name), getattr(whole, name), check_exact=True, obj=name
        )
    assert parts.kp_r == whole.kp_r
    pd.testing.assert_frame_equal(parts.estimation, whole.estimation, check_exact=True)


@pytest.mark.parametrize(
    ("chunk", "split", "approx"),
    [(7, False, False), (engine.CHUNK, False, False), (7, True, False), (7, False, True)],
)
def test_second_thread_gives_the_same_numbers(
    chunk: int, split: bool, approx: bool, monkeypatch: pytest.MonkeyPatch
):
    """The engine's worker thread (:mod:`eventstudy.threads`) changes no number
    (``split``: GRANK's sums in parts, as from 50,000 events; ``approx``: the
    approximate KP path, where BW/GRANK keep their own residuals, NaN-filled by
    the thread)."""
    from eventstudy.inference import crosssection, extra
    from eventstudy.threads import Worker

    if split:  # GRANK's sums in runs of 20-row blocks, as from 50,000 events
        monkeypatch.setattr(crosssection, "GRANK_SPLIT_EVENTS", 0)
        monkeypatch.setattr(crosssection, "GRANK_PART_EVENTS", 50)
        monkeypatch.setattr(extra, "_BLOCK", 16 * 240 * 20)
    events, long = _study(300, seed=2, missing=0.002)
    options = {"kp_max_pairs": 1} if approx else {}
    inline = _compute(events, long, chunk_size=chunk, worker=Worker(enabled=False), **options)
    with Worker(enabled=True) as worker:
        threaded = _compute(events, long, chunk_size=chunk, worker=worker, **options)
    if approx:
        assert "store" in worker.seconds  # the residual fill ran in the thread
    # The tasks that are never stolen ran in the thread; GRANK's parts (with BW's
    # sums) are stealable, so either thread may run them (a race: not asserted).
    assert worker.seconds.keys() >= {"ranks", "sq"}
    assert set(worker.seconds) <= {"store", "ranks", "sq", "extra", "checks"}
    for name in ("events", "ar", "car", "aar", "tests"):
        pd.testing.assert_frame_equal(
            getattr(threaded, name), getattr(inline, name), check_exact=True, obj=name
        )
    assert threaded.kp_r == inline.kp_r


@pytest.mark.parametrize("cluster", [False, True])
def test_approximate_kp_is_close_to_exact(cluster: bool):
    events, long = _study(600, seed=3, cluster=cluster)
    exact = _compute(events, long)
    approx = _compute(events, long, kp_max_pairs=0)
    assert exact.kp_method == "exact" and approx.kp_method == "approximate"
    for key, r in exact.kp_r.items():
        assert abs(approx.kp_r[key] - r) < 0.003, (key, r, approx.kp_r[key])
    # Everything else is untouched by the KP path.
    pd.testing.assert_frame_equal(approx.car, exact.car, check_exact=True)
    kp_e = exact.tests[exact.tests["statistic"] == "kp"]["value"].to_numpy()
    kp_a = approx.tests[approx.tests["statistic"] == "kp"]["value"].to_numpy()
    np.testing.assert_allclose(kp_a, kp_e, rtol=0.02, atol=0.02)


def test_grank_in_parts_equals_one_pass(monkeypatch: pytest.MonkeyPatch):
    """GRANK's sums over runs of events, added part by part, equal one pass up to
    the order of those additions."""
    from eventstudy.inference import crosssection, extra

    events, long = _study(300, seed=4, missing=0.002)
    monkeypatch.setattr(extra, "_BLOCK", 16 * 240 * 20)  # 20-row blocks in both runs
    whole = _compute(events, long)
    monkeypatch.setattr(crosssection, "GRANK_SPLIT_EVENTS", 0)
    monkeypatch.setattr(crosssection, "GRANK_PART_EVENTS", 50)
    assert crosssection.grank_parts(300) == 6
    split = _compute(events, long)
    got = split.tests[split.tests["statistic"] == "grank"]["value"].to_numpy()
    want = whole.tests[whole.tests["statistic"] == "grank"]["value"].to_numpy()
    assert len(got) and np.isfinite(want).any()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    others = whole.tests["statistic"] != "grank"
    pd.testing.assert_frame_equal(
        split.tests[others.to_numpy()], whole.tests[others.to_numpy()], check_exact=True
    )
