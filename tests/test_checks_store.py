"""Missing-session flags of the store against a plain loop over its series."""

from __future__ import annotations

import numpy as np
import pytest

from eventstudy import checks, event_time
from eventstudy.data.table import PriceTable
from eventstudy.store import PriceStore


def _sessions(mic: str):
    days = event_time.sessions(mic)
    return days[(days >= "2020-01-01") & (days <= "2020-06-30")]


@pytest.mark.parametrize("seed", range(12))
def test_missing_sessions_equal_a_loop_over_series(seed: int):
    rng = np.random.default_rng(seed)
    days = _sessions("XNYS").to_numpy().astype("datetime64[D]")
    tickers, dates = [], []
    for k in range(int(rng.integers(1, 8))):
        a = int(rng.integers(0, len(days) - 5))
        b = int(rng.integers(a + 1, len(days)))
        span = days[a:b]
        kept = span[rng.random(len(span)) > rng.choice([0.0, 0.05, 0.3])]
        if not len(kept):
            kept = span[:1]
        tickers += [f"T{k}"] * len(kept)
        dates.append(kept)
    d = np.concatenate(dates)
    table = PriceTable.from_arrays(tickers, d, {"adj_close": rng.uniform(10, 20, len(d))})
    names = table.tickers.astype(str).tolist()
    mic_of = {t: ("XPAR" if rng.random() < 0.3 else "XNYS") for t in names}
    foreign = [(names[0], "XNYS" if mic_of[names[0]] == "XPAR" else "XPAR")]
    store = PriceStore.build(table, mic_of, _sessions, foreign)
    index_of = {t: k for k, t in enumerate(names)}
    lo = np.full(len(names), np.iinfo(np.int64).min // 4)
    hi = np.full(len(names), np.iinfo(np.int64).max // 4)
    got = {
        (int(c), int(day))
        for c, kind, _, dd in checks._store_flags(store, index_of, lo, hi)
        if (kind == checks._MISSING).all()
        for c, day in zip(c, dd, strict=True)
    }
    want = set()
    for cal in store.calendars.values():
        for j, name in enumerate(cal.names):
            if name not in index_of:
                continue  # a series re-indexed onto another calendar
            a, n = int(cal.offset[j]), int(cal.length[j])
            for k in range(n):
                if not np.isfinite(cal.prices[a + k]):
                    day = cal.sessions[int(cal.first[j]) + k].astype("datetime64[D]")
                    want.add((index_of[name], int(day.astype(np.int64))))
    assert got == want
    if seed < 6:
        assert want or not len(table), "the case should have gaps"


def test_gapless_scatter_equals_the_general_one(monkeypatch: pytest.MonkeyPatch):
    """The store's fast path (every ticker's rows consecutive sessions) builds the
    same flat arrays as the general scatter; with a gap or a holiday it steps aside."""
    import eventstudy.store as store_mod

    days = _sessions("XNYS").to_numpy().astype("datetime64[D]")
    rng = np.random.default_rng(3)
    hits = {True: 0, False: 0}
    for _ in range(60):
        tickers, dates = [], []
        for k in range(int(rng.integers(1, 5))):
            a = int(rng.integers(0, len(days) - 10))
            span = days[a : int(rng.integers(a + 1, len(days)))]
            if rng.random() < 0.3 and len(span) > 3:
                span = np.delete(span, int(rng.integers(1, len(span) - 1)))  # a gap
            elif rng.random() < 0.2 and len(span) > 3:  # a non-session in place of a session
                weekend = np.flatnonzero(np.diff(span) > np.timedelta64(1, "D"))
                weekend = weekend[weekend < len(span) - 2]
                if len(weekend):
                    i = int(weekend[0])
                    span = np.r_[span[: i + 1], span[i] + np.timedelta64(1, "D"), span[i + 2 :]]
            tickers += [f"T{k}"] * len(span)
            dates.append(span)
        d = np.concatenate(dates)
        table = PriceTable.from_arrays(tickers, d, {"adj_close": rng.uniform(1, 2, len(d))})
        codes = np.arange(len(table.tickers))
        fast = store_mod._scatter_gapless(table, days, "log")
        with monkeypatch.context() as m:
            m.setattr(store_mod, "_scatter_gapless", lambda *a: None)
            general = store_mod._scatter(table, codes, days, "log")
        hits[fast is not None] += 1
        if fast is not None:
            for x, y in zip(fast, general, strict=True):
                assert np.array_equal(np.asarray(x), np.asarray(y), equal_nan=True)
    assert hits[True] and hits[False]
