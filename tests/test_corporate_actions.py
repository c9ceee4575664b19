"""Dividends and splits in an event's windows, and ``--exclude-confounded-days``.

The flags are checked on synthetic prices with a dividend and a split at
known sessions and with two events of one firm; the exclusion against
statsmodels OLS on the estimation window without the excluded sessions.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from click.testing import CliRunner

import eventstudy as es
from eventstudy.cli import main
from eventstudy.corporate_actions import actions_of, describe
from eventstudy.data.table import PriceTable
from eventstudy.event_time import sessions

DAYS = sessions("XNYS")
DAYS = DAYS[(DAYS >= "2019-01-01") & (DAYS <= "2021-12-31")]
DIV_AT, SPLIT_AT = 500, 620  # session positions of the dividend and the split
EV_A, EV_B = 560, 600  # day 0 of the two events of ticker AAA


def _prices() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    rm = rng.normal(3e-4, 0.01, len(DAYS))
    r = 1e-4 + 1.2 * rm + rng.normal(0, 0.015, len(DAYS))
    p = 40 * np.cumprod(1 + r)
    div = np.zeros(len(DAYS))
    div[DIV_AT] = 0.5
    split = np.zeros(len(DAYS))
    split[SPLIT_AT] = 4.0
    stock = pd.DataFrame(
        {"date": DAYS, "ticker": "AAA", "adj_close": p, "dividends": div, "splits": split}
    )
    bench = pd.DataFrame({"date": DAYS, "ticker": "^GSPC", "adj_close": 3000 * np.cumprod(1 + rm)})
    return pd.concat([stock, bench], ignore_index=True)


def _events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": ["a", "b"],
            "ticker": "AAA",
            "date": [f"{DAYS[EV_A]:%Y-%m-%d}", f"{DAYS[EV_B]:%Y-%m-%d}"],
            "timing": "during_market",
            "benchmark": "^GSPC",
        }
    )


def _run(**options) -> es.StudyResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return es.EventStudy(_events(), **options).run(prices=_prices())


def test_dividend_and_split_are_named_per_event():
    ev = _run().events.set_index("event_id")
    a, b = ev.loc["a", "corporate_actions"], ev.loc["b", "corporate_actions"]
    div_day = f"{DAYS[DIV_AT]:%Y-%m-%d}"
    # a: estimation [-250, -11] holds the dividend (60 sessions before); the split is
    # 60 sessions after day 0, outside [-10, +10].
    assert a == f"dividend 0.5 ex {div_day}"
    # b: the dividend is 100 sessions before, the split 20 after (outside +10).
    assert b == f"dividend 0.5 ex {div_day}"
    assert ev.loc["a", "confounding_events"] == "" and ev.loc["b", "confounding_events"] == "a"


def test_split_in_the_event_window_and_many_actions():
    px = _prices()
    table = PriceTable.from_frames(
        {t: g.drop(columns="ticker").set_index("date") for t, g in px.groupby("ticker")}
    )
    acts = actions_of(table)
    assert list(acts.kind) == ["dividend", "split"]
    lo = np.array([DAYS[SPLIT_AT - 3]], dtype="datetime64[ns]")
    hi = np.array([DAYS[SPLIT_AT + 3]], dtype="datetime64[ns]")
    assert describe(np.array(["AAA"], object), lo, hi, acts) == [
        f"split 4:1 on {DAYS[SPLIT_AT]:%Y-%m-%d}"
    ]
    assert describe(np.array(["ZZZ"], object), lo, hi, acts) == [""]


def _ols(prices: pd.DataFrame, day0: int, drop: set[int]) -> tuple[float, float, int]:
    wide = prices.pivot(index="date", columns="ticker", values="adj_close")
    ret = wide.pct_change()
    rows = [p for p in range(day0 - 250, day0 - 10) if p not in drop]
    y = ret["AAA"].iloc[rows].to_numpy()
    x = sm.add_constant(ret["^GSPC"].iloc[rows].to_numpy())
    fit = sm.OLS(y, x).fit()
    return float(fit.params[0]), float(fit.params[1]), len(rows)


def test_exclusion_matches_ols_without_those_days():
    plain, excl = _run(), _run(exclude_confounded_days=True)
    assert excl.settings.exclude_confounded_days and not plain.settings.exclude_confounded_days
    prices = _prices()
    p_ev, x_ev = plain.events.set_index("event_id"), excl.events.set_index("event_id")
    # a: the dividend is in its estimation window (b's day 0 is after a's).
    alpha, beta, n = _ols(prices, EV_A, set())
    assert p_ev.loc["a", "n_est"] == n
    assert p_ev.loc["a", "beta"] == pytest.approx(beta, rel=1e-10)
    alpha, beta, n = _ols(prices, EV_A, {DIV_AT})
    assert x_ev.loc["a", "n_est"] == n == 239
    assert x_ev.loc["a", "alpha"] == pytest.approx(alpha, rel=1e-9, abs=1e-15)
    assert x_ev.loc["a", "beta"] == pytest.approx(beta, rel=1e-10)
    # b: both the dividend and a's day 0 are in its estimation window.
    alpha, beta, n = _ols(prices, EV_B, {DIV_AT, EV_A})
    assert x_ev.loc["b", "n_est"] == n == 238
    assert x_ev.loc["b", "beta"] == pytest.approx(beta, rel=1e-10)
    # The event windows keep every day: day 0's AR is the same return less the new fit.
    assert len(excl.ar) == len(plain.ar)


def test_cli_flag_records_the_setting(tmp_path: Path):
    ev_file, px_file, out = tmp_path / "ev.csv", tmp_path / "px.csv", tmp_path / "out"
    _events().to_csv(ev_file, index=False)
    _prices().to_csv(px_file, index=False)
    r = CliRunner().invoke(
        main,
        [
            "run",
            str(ev_file),
            "--prices",
            str(px_file),
            "--out",
            str(out),
            "--format",
            "csv",
            "--exclude-confounded-days",
        ],
    )
    assert r.exit_code == 0, r.output
    import json

    meta = json.loads((out / "run.json").read_text())
    assert meta["settings"]["exclude_confounded_days"] is True
    ev = pd.read_csv(out / "events.csv").set_index("event_id")
    assert ev.loc["b", "n_est"] == 238
    assert "dividend 0.5" in ev.loc["b", "corporate_actions"]
