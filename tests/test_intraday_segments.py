"""Intraday windows on bars with pre- and post-market trading, segment by segment,
against an independent per-event computation; the cross-sectional tests; the
founding event's page on the bundled bars."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from eventstudy.intraday import (
    announcement_time,
    intraday_car,
    intraday_tests,
    label_segments,
    study_intraday,
)

TZ = "America/New_York"
SESSIONS = pd.bdate_range("2025-08-25", "2025-09-12").difference(pd.DatetimeIndex(["2025-09-01"]))


def _bars(ticker: str, seed: int, beta_to: pd.DataFrame | None = None) -> pd.DataFrame:
    """5-minute bars 04:00-19:55 New York on every session; post bars noisier."""
    rng = np.random.default_rng(seed)
    rows = []
    price = 100.0
    for day in SESSIONS:
        times = pd.date_range(f"{day:%Y-%m-%d} 04:00", f"{day:%Y-%m-%d} 19:55", freq="5min", tz=TZ)
        times = times.delete([7, 100])  # gaps: two missing bars a day
        for t in times:
            minute = t.hour * 60 + t.minute
            scale = 4e-4 if 570 <= minute < 960 else 9e-4
            ret = rng.normal(1e-5, scale)
            if beta_to is not None:
                m = beta_to.loc[beta_to["timestamp"] == t.tz_convert("UTC"), "mret"]
                ret += 1.3 * float(m.iloc[0]) if len(m) else 0.0
            o = price
            price = price * (1 + ret)
            rows.append((ticker, t.tz_convert("UTC"), o, price, ret))
    out = pd.DataFrame(rows, columns=["ticker", "timestamp", "open", "close", "mret"])
    return out


@pytest.fixture(scope="module")
def pair() -> tuple[pd.DataFrame, pd.DataFrame]:
    spy = _bars("SPY", 1)
    stock = _bars("XYZ", 2, beta_to=spy)
    return stock.drop(columns="mret"), spy.drop(columns="mret")


def _reference(stock, spy, anchor, windows, market):
    """Plain loops: returns by local date, segment by the clock, OLS per segment."""

    def rets(frame):
        local = frame["timestamp"].dt.tz_convert(TZ)
        out = []
        for i in range(len(frame)):
            same = i > 0 and local.iloc[i].date() == local.iloc[i - 1].date()
            prev = frame["close"].iloc[i - 1] if same else frame["open"].iloc[i]
            out.append(frame["close"].iloc[i] / prev - 1)
        return pd.Series(out, index=local.to_numpy())

    r, rm = rets(stock), rets(spy)
    idx = pd.DatetimeIndex(r.index)
    minute = idx.hour * 60 + idx.minute
    seg = np.where(minute < 570, "pre", np.where(minute < 960, "regular", "post"))
    dates = sorted(set(idx.date))
    prior = [d for d in dates if d < anchor.date()][-10:]
    in_est = np.isin(idx.date, prior)
    fits = {}
    for s in ("pre", "regular", "post"):
        y = r[in_est & (seg == s)]
        if market:
            x = sm.add_constant(rm.reindex(y.index).to_numpy())
            f = sm.OLS(y.to_numpy(), x).fit()
            fits[s] = (f.params, np.sqrt(f.scale), f.df_resid)
        else:
            fits[s] = (np.array([y.mean()]), y.std(ddof=1), len(y) - 1)
    minutes = (idx - anchor).total_seconds() / 60
    out = {}
    for name, a, b in windows:
        sel = (minutes >= a) & (minutes < b)
        car, var, dfs = 0.0, 0.0, []
        for k in np.flatnonzero(sel):
            params, sigma, d = fits[seg[k]]
            exp = params[0] + (params[1] * rm.iloc[k] if market else 0.0)
            car += r.iloc[k] - exp
            var += sigma**2
            dfs.append(d)
        se = np.sqrt(var)
        out[name] = (car, se, 2 * stats.t.sf(abs(car / se), min(dfs)), int(sel.sum()))
    return out


@pytest.mark.parametrize("market", [False, True])
def test_after_close_event_with_post_bars_equals_a_plain_loop(pair, market):
    stock, spy = pair
    ann = pd.Timestamp("2025-09-10 16:02", tz=TZ)
    windows, per_bar = intraday_car(
        stock, "XYZ", ann, "after_close", benchmark_bars=spy if market else None
    )
    anchor = pd.Timestamp("2025-09-10 16:00", tz=TZ)  # the bar holding 16:02
    assert (windows["anchor"] == anchor.isoformat()).all()
    to_open = windows.set_index("window").loc["to_open"]
    next_open = pd.Timestamp("2025-09-11 09:30", tz=TZ)
    assert to_open["end"] == (next_open - anchor).total_seconds() / 60
    assert to_open["segments"] == "pre,post"
    spans = [(r.window, r.start, r.end) for r in windows.itertuples()]
    want = _reference(stock, spy, anchor, spans, market)
    for row in windows.itertuples(index=False):
        car, se, p, n = want[row.window]
        assert row.n_bars == n, row.window
        assert row.car == pytest.approx(car, abs=1e-10), row.window
        assert row.se == pytest.approx(se, abs=1e-10), row.window
        assert row.p_value == pytest.approx(p, abs=1e-10), row.window
    assert windows.set_index("window").loc["[+0,+15)", "segments"] == "post"
    # the per-bar table: AR = ret - expected, from the announcement's date to the open
    assert np.allclose(per_bar["ar"], per_bar["ret"] - per_bar["expected"], equal_nan=True)
    local = pd.DatetimeIndex(per_bar["timestamp"]).tz_convert(TZ)
    assert local[0] == pd.Timestamp("2025-09-10 04:00", tz=TZ)
    assert local[-1].date() == dt.date(2025, 9, 11)


def test_segments_follow_the_calendar_on_a_half_day():
    ts = pd.DatetimeIndex(
        [
            "2025-11-28 08:00",
            "2025-11-28 09:30",
            "2025-11-28 12:55",
            "2025-11-28 13:00",
            "2025-11-27 10:00",
            "2025-12-01 16:00",
        ],
        tz=TZ,
    )
    got = label_segments(ts, "XNYS").tolist()
    assert got == ["pre", "regular", "regular", "post", "closed", "post"]


def test_announcement_without_a_time_is_the_close_or_the_open():
    base = {"exchange": "XNYS", "time": ""}
    close = announcement_time({**base, "date": "2025-11-28", "timing": "after_close"})
    assert close == pd.Timestamp("2025-11-28 13:00", tz=TZ)  # a half day
    opening = announcement_time({**base, "date": "2025-09-13", "timing": "before_open"})
    assert opening == pd.Timestamp("2025-09-15 09:30", tz=TZ)  # Saturday: Monday's open
    timed = announcement_time({**base, "date": "2025-09-11", "time": "16:20", "timing": "amc"})
    assert timed == pd.Timestamp("2025-09-11 16:20", tz=TZ)
    assert "no announcement time" in announcement_time(
        {**base, "date": "2025-09-11", "timing": "unknown"}
    )


def test_study_intraday_lists_every_event(pair):
    stock, spy = pair
    events = pd.DataFrame(
        {
            "event_id": ["a", "b", "c", "d"],
            "ticker": ["XYZ", "XYZ", "ABC", "XYZ"],
            "date": ["2025-09-10", "2025-09-11", "2025-09-10", "2025-09-11"],
            "time": ["", "11:03", "", ""],
            "timing": ["after_close", "during_market", "after_close", "during_market"],
            "benchmark": ["SPY"] * 4,
            "exchange": ["XNYS"] * 4,
            "status": ["ok"] * 4,
        }
    )
    car, ar = study_intraday(events, pd.concat([stock, spy]))
    notes = car.groupby("event_id")["note"].first()
    assert "no intraday bars for ABC" in notes["c"]
    assert "no announcement time" in notes["d"]
    assert (car.loc[car["event_id"].isin(["a", "b"]), "model"] == "market").all()
    assert set(ar["event_id"]) == {"a", "b"}


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 40), st.integers(0, 2**32 - 1))
def test_intraday_tests_equal_scipy_and_hand_formulas(n, seed):
    rng = np.random.default_rng(seed)
    car = rng.normal(0.001, 0.004, n)
    se = rng.uniform(0.002, 0.006, n)
    d = rng.integers(50, 900, n).astype(float)
    pos = rng.uniform(0.4, 0.6, n)
    table = pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(n)],
            "window": "[+0,+15)",
            "car": car,
            "se": se,
            "df": d,
            "pos_share": pos,
        }
    )
    got = intraday_tests(table).set_index("test")
    assert got.loc["t_cs", "p_value"] == pytest.approx(stats.ttest_1samp(car, 0).pvalue, rel=1e-9)
    scar = car / se
    z = scar.sum() / np.sqrt((d / (d - 2)).sum())
    assert got.loc["patell", "statistic"] == pytest.approx(z, rel=1e-12)
    assert got.loc["bmp", "p_value"] == pytest.approx(stats.ttest_1samp(scar, 0).pvalue, rel=1e-9)
    w = int((car > 0).sum())
    assert got.loc["sign_exact", "p_value"] == pytest.approx(
        stats.binomtest(w, n, 0.5).pvalue, rel=1e-9
    )
    assert got.loc["gen_sign_exact", "p_value"] == pytest.approx(
        stats.binomtest(w, n, pos.mean()).pvalue, rel=1e-9
    )
    assert got.loc["wilcoxon", "p_value"] == pytest.approx(stats.wilcoxon(car).pvalue, rel=1e-9)
    assert got.loc["t_cs", "caar"] == pytest.approx(car.mean(), rel=1e-12)
    assert "corrado" not in got.index and "kp" not in got.index


def test_founding_event_page_shows_the_opening_reaction(tmp_path):
    """The sample study with the bundled 5-minute bars: the 2025-09-12 open on the page."""
    from click.testing import CliRunner

    from eventstudy.cli import main
    from tests.conftest import ROOT, SAMPLE_PRICES

    bars = ROOT / "examples" / "intraday"
    out = tmp_path / "o"
    args = ["run", str(ROOT / "events.csv"), "--prices", str(SAMPLE_PRICES), "--out", str(out)]
    r = CliRunner().invoke(main, [*args, "-q", "--intraday-prices", str(bars)])
    assert r.exit_code == 0, r.output
    car = pd.read_csv(out / "intraday_car.csv")
    mou = car[car["event_id"] == "msft-openai-mou-2025"].set_index("window")
    assert mou.loc["[+0,+15)", "anchor"] == "2025-09-12T09:30:00-04:00"
    page = (out / "events" / "msft-openai-mou-2025.html").read_text()
    assert 'id="intraday-data"' in page and "Minutes around the announcement" in page
    first = mou.loc["[+0,+15)"]
    assert f"the abnormal return was {100 * first['car']:+.2f}%" in page
    assert "happened before that session" in page
    assert (out / "intraday_tests.csv").exists()
    other = (out / "events" / "aapl-peer-2025.html").read_text()
    assert 'id="intraday-data"' not in other  # no AAPL bars: no chart
