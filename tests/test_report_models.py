"""Report pages of every model, the study page at scale, and the charts as plotly sees them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eventstudy.report import write_index, write_report
from tests.test_report import event_rows, parse, synthetic_result
from tests.test_report_diagnostics import synthetic

CHART = re.compile(r'<script type="application/json" id="([a-z-]+)">(.*?)</script>', re.S)


def _decode(v):
    if isinstance(v, list):
        return [_decode(x) for x in v]
    if isinstance(v, dict):
        if "_n" in v:
            return [None if k is None else k / 10 ** v["_d"] for k in v["_n"]]
        return {k: _decode(x) for k, x in v.items()}
    return v


@pytest.mark.parametrize("model", ["market", "constant_mean", "ff3", "market_adjusted"])
def test_every_model_gets_complete_pages(model, tmp_path: Path):
    import plotly.graph_objects as go

    from eventstudy.report.event_figures import ChartParts, assemble

    res = synthetic(model, n_events=6)
    write_report(res, tmp_path / model, workers=1)
    pages = sorted((tmp_path / model / "events").glob("*.html"))
    assert len(pages) == 6
    for page in pages:
        text = page.read_text(encoding="utf-8")
        scripts = dict(CHART.findall(text))
        bases = _decode(json.loads(scripts.pop("chart-bases")))
        assert set(scripts) == {"price-data", "car-data", "ar-data", "scatter-data"}
        for body in scripts.values():
            parts = _decode(json.loads(body))
            spec = assemble(ChartParts(parts["base"], parts["layout"], parts["data"]), bases)
            go.Figure(spec)  # plotly validates every key of the assembled figure
        doc = parse(page)
        if model == "market_adjusted":
            assert "ols-1" not in doc.tables and "fits nothing" in text
        else:
            rows = {c[0][1]: c[1][1] for _, c in doc.tables["ols-1"] if c}
            assert rows["No. Observations:"] == "240" and "Durbin-Watson:" in text
            coef = [c[0][1] for _, c in doc.tables["ols-2"][1:]]
            assert coef[0] in ("alpha (%)", "mu (%)")
            assert len(coef) == {"market": 2, "constant_mean": 1, "ff3": 4}[model]


def test_self_contained_and_cdn_event_pages_draw_from_the_same_data(tmp_path: Path):
    res = synthetic_result(n_events=3, seed=13)
    write_report(res, tmp_path / "local")
    write_report(res, tmp_path / "single", self_contained=True)
    write_report(res, tmp_path / "cdn", cdn=True)
    for name in ("E0002.html",):
        local = dict(CHART.findall((tmp_path / "local" / "events" / name).read_text()))
        for mode in ("single", "cdn"):
            other = dict(CHART.findall((tmp_path / mode / "events" / name).read_text()))
            assert other == local


def test_events_table_at_scale_is_paged_from_compact_rows(tmp_path: Path):
    """120 events: all rows in the JSON (sortable by exact CAR), 50 in the HTML, a no-JS note."""
    res = synthetic_result(n_events=120, seed=11)
    index = write_index(res, tmp_path / "r")
    doc = parse(index)
    rows = event_rows(doc)
    assert [r["event_id"] for r in rows] == [str(i) for i in res.events["event_id"]]
    assert len(doc.body_rows("events-table")) == 50
    text = index.read_text(encoding="utf-8")
    assert "<noscript>" in text and "first 50 of 120 events" in text
    car = res.car[(res.car["start"] == -1) & (res.car["end"] == 1)].set_index("event_id")["car"]
    ranked = sorted(
        (r for r in rows if r["_rank_car_-1_1"] is not None), key=lambda r: r["_rank_car_-1_1"]
    )
    assert [r["event_id"] for r in ranked] == list(car.sort_values(kind="stable").index)
    for r in rows:
        if r["event_id"] in car.index:
            p = res.car.set_index(["event_id", "start", "end"]).loc[
                (r["event_id"], -1, 1), "p_value"
            ]
            want = "p01" if p < 0.01 else "p05" if p < 0.05 else "p10" if p < 0.10 else "ns"
            assert r["_class_car_-1_1"] == want


def test_data_quality_list_stays_bounded(tmp_path: Path):
    from eventstudy.report.pages import FLAG_LIMIT, quality_flags

    res = synthetic_result(n_events=6, seed=12)
    res.meta["missing_tickers"] = {f"X{i}": "no prices" for i in range(3 * FLAG_LIMIT)}
    res.meta["data_notes"] = {f"Y{i}": ["a note"] for i in range(2 * FLAG_LIMIT)}
    flags = quality_flags(res)
    assert len(flags) <= 2 * (FLAG_LIMIT + 1) + 10
    assert f"... and {2 * FLAG_LIMIT} more tickers without prices" in " ".join(flags)
    assert f"... and {FLAG_LIMIT} more price notes" in " ".join(flags)
