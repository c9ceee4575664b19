"""Day 0 split into overnight and intraday parts, against the raw price files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.day0_split import day0_split
from tests.conftest import ROOT, SAMPLE_PRICES


@pytest.fixture(scope="module")
def res() -> es.StudyResult:
    return es.EventStudy.from_csv(ROOT / "events.csv").run(prices=SAMPLE_PRICES)


def _raw(name: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLE_PRICES / f"{name}.csv", parse_dates=["Date"]).set_index("Date")


def test_founding_event_split_by_hand(res):
    msft, spx = _raw("MSFT"), _raw("GSPC")
    d0, dm1 = pd.Timestamp("2025-09-12"), pd.Timestamp("2025-09-11")
    f0 = msft.loc[d0, "Adj Close"] / msft.loc[d0, "Close"]
    r_on = msft.loc[d0, "Open"] * f0 / msft.loc[dm1, "Adj Close"] - 1
    r_id = msft.loc[d0, "Close"] / msft.loc[d0, "Open"] - 1
    m_on = spx.loc[d0, "Open"] / spx.loc[dm1, "Close"] - 1
    m_id = spx.loc[d0, "Close"] / spx.loc[d0, "Open"] - 1
    ev = res.events.set_index("event_id").loc["msft-openai-mou-2025"]
    row = res.day0_split.set_index("event_id").loc["msft-openai-mou-2025"]
    assert row["ret_overnight"] == pytest.approx(r_on, abs=1e-15)
    assert row["ret_intraday"] == pytest.approx(r_id, abs=1e-15)
    assert row["benchmark_overnight"] == pytest.approx(m_on, abs=1e-15)
    assert row["ar_overnight"] == pytest.approx(r_on - ev["beta"] * m_on, abs=1e-15)
    assert row["ar_intraday"] == pytest.approx(r_id - ev["alpha"] - ev["beta"] * m_id, abs=1e-15)
    assert row["ret_overnight"] > 0.01  # the after-hours reaction shows in the open
    assert row["note"] == ""


def test_parts_compound_to_the_day0_return_of_ar_csv(res):
    split = res.day0_split.set_index("event_id")
    ar0 = res.ar[res.ar["rel_day"] == 0].set_index("event_id")
    ids = split.index
    both = (1 + split["ret_overnight"]) * (1 + split["ret_intraday"]) - 1
    np.testing.assert_allclose(both, split["ret"], rtol=0, atol=1e-14)
    np.testing.assert_allclose(split["ret"], ar0.loc[ids, "ret"], rtol=0, atol=1e-14)


def test_events_without_open_prices_say_so(res):
    prices = {k: v.drop(columns=["open"]) for k, v in res.prices.items()}
    out = day0_split(res.events, prices, "market")
    assert out["ar_overnight"].isna().all()
    assert (out["note"] == "no open price for day 0 (or no previous close)").all()


def test_split_is_written_and_on_the_event_page(res, tmp_path):
    res.to_files(str(tmp_path), ("csv",))
    back = pd.read_csv(tmp_path / "day0_split.csv")
    assert len(back) == len(res.events)
    res.to_html(str(tmp_path))
    page = (tmp_path / "events" / "msft-openai-mou-2025.html").read_text()
    on = res.day0_split.set_index("event_id").loc["msft-openai-mou-2025", "ar_overnight"]
    assert f"Day 0 split: {100 * on:+.2f}% abnormal overnight" in page
