"""The HTML report: structure, numbers against the CSV outputs, safety, atomic writes.

HTML is parsed with :mod:`html.parser`; numbers shown in the tables are read
back and compared with the CSV files at the precision they are displayed.
"""

from __future__ import annotations

import html
import math
import os
import re
import stat
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.inference.battery import TEST_NAMES
from eventstudy.report import write_index, write_report
from tests.conftest import ROOT, SAMPLE_PRICES

HOSTILE_DESCRIPTIONS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')
TRAVERSAL_ID = "../../etc/passwd"
HTML_ID = '<b onmouseover="alert(3)">bold id</b>'


# --------------------------------------------------------------------------- fixtures


def synthetic_result(n_events: int, seed: int, hostile: bool = False) -> es.StudyResult:
    """A market-model study on synthetic prices (seeded), with one failed and one pending event."""
    from eventstudy.event_time import sessions

    rng = np.random.default_rng(seed)
    cal = sessions("XNYS")
    days = cal[(cal >= "2016-01-01") & (cal <= "2020-12-31")]
    n_tickers = max(3, n_events // 5)
    tickers = [f"S{i:03d}" for i in range(n_tickers)]
    rm = 0.0003 + 0.01 * rng.standard_normal(len(days))
    index = 100 * np.cumprod(1 + rm)
    frames = [pd.DataFrame({"date": days, "ticker": "^GSPC", "adj_close": index})]
    for t in tickers:
        noise = 0.015 * rng.standard_normal(len(days))
        r = rng.normal(0, 2e-4) + rng.uniform(0.5, 1.5) * rm + noise
        p = 50 * np.cumprod(1 + r)
        frames.append(pd.DataFrame({"date": days, "ticker": t, "adj_close": p, "close": p * 1.01}))
    prices = pd.concat(frames, ignore_index=True)
    pos = rng.integers(260, len(days) - 15, n_events)
    events = pd.DataFrame(
        {
            "event_id": [f"E{i:04d}" for i in range(n_events)],
            "ticker": [tickers[i % n_tickers] for i in range(n_events)],
            "date": [d.strftime("%Y-%m-%d") for d in days[pos]],
            "timing": "during_market",
            "description": [f"synthetic event {i}" for i in range(n_events)],
            "sector": [f"sector {i % 4}" for i in range(n_events)],
        }
    )
    events.loc[0, "ticker"] = "NOPX"  # no prices: failed
    events.loc[1, "date"] = days[-3].strftime("%Y-%m-%d")  # window past the data: pending
    if hostile:
        ids = [TRAVERSAL_ID, HTML_ID, "Deal/A", "deal_a"]
        for i, eid in enumerate(ids[:n_events]):
            events.loc[i, "event_id"] = eid
        for i in range(n_events):
            events.loc[i, "description"] = HOSTILE_DESCRIPTIONS[i % 2]
        events.loc[n_events - 1, "sector"] = "<script>alert(2)</script>"
    res = es.EventStudy(events).run(prices=prices)
    res.meta["events_source"] = "synthetic <events>.csv"
    return res


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[es.StudyResult, Path]:
    """The founding study on the bundled sample prices: CSV outputs and the report."""
    res = es.EventStudy.from_csv(ROOT / "events.csv").run(prices=SAMPLE_PRICES)
    out = tmp_path_factory.mktemp("sample")
    res.to_files(str(out), ("csv",))
    res.to_html(str(out))
    return res, out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[es.StudyResult, Path]:
    root = tmp_path_factory.mktemp("hostile")
    out = root / "deep" / "report"
    res = synthetic_result(n_events=6, seed=7, hostile=True)
    write_report(res, out)
    return res, out


# --------------------------------------------------------------------------- parsing


class Doc(HTMLParser):
    """Tables (by id) as rows of ``(attrs, text)`` cells, plus every tag seen."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[tuple[dict, list[tuple[dict, str]]]]] = {}
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._table: str | None = None
        self._row: list | None = None
        self._cell: list | None = None
        self._script: list | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        if tag == "table":
            self._table = a.get("id", f"table{len(self.tables)}")
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
            self.tables[self._table].append((a, self._row))
        elif tag in ("td", "th") and self._row is not None:
            self._cell = [a, ""]
        elif tag == "a" and self._cell is not None:
            self._cell[0]["_href"] = a.get("href", "")
        elif tag == "script":
            self._script = [a, ""]

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append((self._cell[0], self._cell[1].strip()))
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "script" and self._script is not None:
            self.scripts.append((self._script[0], self._script[1]))
            self._script = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data
        if self._script is not None:
            self._script[1] += data

    def body_rows(self, table: str) -> list[tuple[dict, list[tuple[dict, str]]]]:
        return [(a, cells) for a, cells in self.tables[table] if cells and "data-key" in a]

    def header(self, table: str) -> list[str]:
        return [a.get("data-col", "") for a, _ in self.tables[table][0][1]]


def parse(path: Path) -> Doc:
    return Doc(path.read_text(encoding="utf-8"))


def events_data(doc: Doc) -> dict:
    """The compact rows of the study page's events table (``report.js`` renders them)."""
    import json

    body = next(b for a, b in doc.scripts if a.get("id") == "events-data")
    return json.loads(body)


def event_rows(doc: Doc) -> list[dict[str, object]]:
    """Every row of the events table as ``{column: shown text}`` plus ``_href`` and ``_title``.

    Built from the compact JSON exactly as ``report.js`` draws the cells.
    """
    data = events_data(doc)
    out = []
    for row in data["rows"]:
        cells: dict[str, object] = {}
        for (key, _, kind), v in zip(data["columns"], row, strict=True):
            if kind == "link":
                eid, stem = (v, v) if isinstance(v, str) else v
                cells[key], cells["_href"] = eid, f"events/{stem}.html"
            elif kind == "car":
                cells[key] = "" if v is None else v[0]
                cells[f"_class_{key}"] = "na" if v is None else data["classes"][v[1]]
                cells[f"_title_{key}"] = "" if v is None else f"t = {v[3]}, p = {v[4]}"
                cells[f"_rank_{key}"] = None if v is None else v[2]
            else:
                cells[key] = v
        out.append(cells)
    return out


def shown(text: str) -> float:
    """A displayed number back to a float (percent stays in percent units)."""
    text = text.strip().rstrip("%")
    if text.startswith("<"):
        return 0.0
    return float(text)


def close_at(text: str, value: float, *, scale: float = 1.0, decimals: int) -> bool:
    """``text`` shows ``value * scale`` rounded to ``decimals`` decimals."""
    value = float(value) if value != "" else math.nan
    if not math.isfinite(value):
        return text == "" or text == "n/a"
    if text.startswith("<"):
        return value * scale < float(text[1:])
    return abs(shown(text) - value * scale) <= 0.5 * 10**-decimals + 1e-9


# --------------------------------------------------------------------------- numbers vs CSV


def test_test_battery_matches_tests_csv(sample):
    _, out = sample
    tests = pd.read_csv(out / "tests.csv")
    doc = parse(out / "index.html")
    rows = {
        a.get("data-statistic") or a.get("data-row"): cells
        for a, cells in doc.tables["tests-table"][1:]
    }
    checked = 0
    for t in tests.itertuples():
        key = f"{t.start}_{t.end}"
        cell = next(c for c in rows[t.statistic] if c[0].get("data-window") == key)
        attrs, text = cell
        assert float(attrs["data-value"]) == pytest.approx(t.value, rel=1e-12)
        stat, p = re.findall(r"-?[\d.]+|<0\.001", text)
        assert close_at(stat, t.value, decimals=2), (t, text)
        assert close_at(p, t.p_value, decimals=3), (t, text)
        assert int(attrs["data-n"]) == t.n
        checked += 1
    assert checked == len(tests) == 5 * len(TEST_NAMES)  # 5 CAR windows
    windows = [a.get("data-window") for a, _ in doc.tables["tests-table"][0][1][1:]]
    first = tests.groupby(["start", "end"], sort=False).first()
    for k, ((a, b), r) in enumerate(first.iterrows()):
        assert windows[k] == f"{a}_{b}"
        assert int(rows["n"][k + 1][1]) == r["n"]
        assert close_at(rows["caar"][k + 1][1], r["caar"], scale=100, decimals=2)


def test_every_test_has_a_display_name_in_the_battery_table(sample):
    """Each test of the battery is shown by name (its code beneath), not by code alone."""
    from eventstudy.report.tables import TEST_LABELS

    _, out = sample
    assert set(TEST_NAMES) <= set(TEST_LABELS)
    page = (out / "index.html").read_text(encoding="utf-8")
    for code in TEST_NAMES:
        label = TEST_LABELS[code]
        assert label != code
        head = f'data-statistic="{code}"><th scope="row" class="rowh">'
        assert f"{head}{html.escape(label)}<small>{code}</small>" in page


def test_events_table_matches_csv_and_links_every_page(sample):
    _, out = sample
    events = pd.read_csv(out / "events.csv", keep_default_na=False)
    car = pd.read_csv(out / "car.csv")
    doc = parse(out / "index.html")
    rows = event_rows(doc)
    assert [r["event_id"] for r in rows] == list(events["event_id"])
    for r, ev in zip(rows, events.itertuples(), strict=True):
        assert r["status"] == ev.status
        assert r["reason"] == ev.reason
        if ev.status != "ok":
            assert ev.reason, f"{ev.event_id} is {ev.status} without a reason"
        assert r["day0"] == ev.day0
        assert r["description"] == ev.description
        for c in car[car["event_id"] == ev.event_id].itertuples():
            key = f"car_{c.start}_{c.end}"
            assert close_at(r[key], c.car, scale=100, decimals=2)
            tip = re.fullmatch(r"t = (\S+), p = (\S+)", str(r[f"_title_{key}"]))
            assert tip and close_at(tip.group(1), c.t, decimals=2)
            assert close_at(tip.group(2), c.p_value, decimals=3)
        if ev.status != "ok":
            assert all(r[k] == "" for k in r if str(k).startswith("car_"))
    # The first page is also plain HTML (readers without JavaScript), the same cells.
    cols = doc.header("events-table")
    html_rows = doc.body_rows("events-table")
    assert len(html_rows) == min(len(rows), 50)
    for (attrs, cells), r in zip(html_rows, rows, strict=False):
        text = dict(zip(cols, (c[1] for c in cells), strict=True))
        assert attrs["data-key"] == r["event_id"] and attrs["data-status"] == r["status"]
        assert {k: text[k] for k in cols} == {k: r[k] for k in cols}
        assert cells[0][0]["_href"] == r["_href"]
    pages = sorted(p.name for p in (out / "events").glob("*.html"))
    assert len(pages) == len(events) == 10
    assert {f"events/{p}" for p in pages} == {r["_href"] for r in rows}


def test_aar_table_matches_aar_csv(sample):
    _, out = sample
    aar = pd.read_csv(out / "aar.csv")
    doc = parse(out / "index.html")
    cols = doc.header("aar-table")
    rows = doc.body_rows("aar-table")
    assert len(rows) == len(aar) == 21
    for (_, cells), r in zip(rows, aar.itertuples(), strict=True):
        text = dict(zip(cols, (c[1] for c in cells), strict=True))
        assert int(text["rel_day"]) == r.rel_day and int(text["n"]) == r.n
        assert close_at(text["aar"], r.aar, scale=100, decimals=2)
        assert close_at(text["caar"], r.caar, scale=100, decimals=2)
        assert close_at(text["t_cs"], r.t_cs, decimals=2)
        assert close_at(text["t_cs_p"], r.t_cs_p, decimals=3)


def test_event_pages_match_car_ar_and_events_csv(sample):
    res, out = sample
    car = pd.read_csv(out / "car.csv")
    ar = pd.read_csv(out / "ar.csv")
    events = pd.read_csv(out / "events.csv", keep_default_na=False)
    for ev in events.itertuples():
        doc = parse(out / "events" / f"{ev.event_id}.html")
        cols = doc.header("car-table")
        rows = {
            a["data-key"]: dict(zip(cols, (c[1] for c in cells), strict=True))
            for a, cells in doc.body_rows("car-table")
        }
        assert len(rows) == len(res.settings.car_windows)
        for c in car[car["event_id"] == ev.event_id].itertuples():
            r = rows[f"{c.start}_{c.end}"]
            assert close_at(r["car"], c.car, scale=100, decimals=2)
            assert close_at(r["se"], c.se, scale=100, decimals=2)
            assert close_at(r["t"], c.t, decimals=2)
            assert close_at(r["p_value"], c.p_value, decimals=3)
        days = ar[ar["event_id"] == ev.event_id]
        if ev.status != "ok":
            assert days.empty and "ar-table" not in doc.tables
            continue
        cols = doc.header("ar-table")
        shown_rows = [
            dict(zip(cols, (c[1] for c in cells), strict=True))
            for _, cells in doc.body_rows("ar-table")
        ]
        assert len(shown_rows) == len(days) == 21
        for r, d in zip(shown_rows, days.itertuples(), strict=True):
            assert r["date"] == d.date
            for col in ("ret", "benchmark_ret", "expected", "ar", "se", "car"):
                assert close_at(r[col], getattr(d, col), scale=100, decimals=2), (col, r, d)
        # SE of the cumulative CAR on the last day = SE of the [-10, +10] window.
        full = car[(car["event_id"] == ev.event_id) & (car["start"] == -10) & (car["end"] == 10)]
        assert close_at(shown_rows[-1]["car_se"], float(full["se"].iloc[0]), scale=100, decimals=2)
        # The statsmodels table shows the engine's alpha (percent) and beta.
        coef = {
            cells[0][1]: cells[1][1]
            for t, rows_ in doc.tables.items()
            if t.startswith("ols-")
            for _, cells in rows_
            if cells and cells[0][1] in ("alpha (%)", "beta")
        }
        assert close_at(coef["alpha (%)"], ev.alpha, scale=100, decimals=4)
        assert close_at(coef["beta"], ev.beta, decimals=4)
        html_text = (out / "events" / f"{ev.event_id}.html").read_text(encoding="utf-8")
        for label in ("Durbin-Watson:", "Jarque-Bera (JB):", "R-squared:", "std err", "P&gt;|t|"):
            assert label in html_text
        assert ev.day0_rule in html_text.replace("&gt;", ">")


def test_car_se_path_uses_the_full_covariance(sample):
    """SE(CAR from day -10 to t) against sigma^2 L + s' Cov(b) s from statsmodels.

    Checked twice: the engine's ``car_se`` that the page shows, and the report's own
    computation from the estimation rows when a result has no ``car_se`` column.
    """
    import dataclasses

    import statsmodels.api as sm

    from eventstudy.report.book import ReportBook

    res, _ = sample
    eid = "msft-openai-mou-2025"
    est = res.estimation[res.estimation["event_id"].astype(str) == eid].sort_values("rel_day")
    ar = res.ar[res.ar["event_id"].astype(str) == eid].sort_values("rel_day")
    fit = sm.OLS(est["ret"].to_numpy(), sm.add_constant(est["benchmark_ret"].to_numpy())).fit()
    x = np.column_stack([np.ones(len(ar)), ar["benchmark_ret"].to_numpy()])
    s = np.cumsum(x, axis=0)
    quad = np.einsum("tk,kl,tl->t", s, fit.cov_params(), s)
    expected = np.sqrt(fit.scale * np.arange(1, 22) + quad)
    without = dataclasses.replace(res, ar=res.ar.drop(columns="car_se"))
    for result in (res, without):
        book = ReportBook(result)
        se, exact = book.car_se
        i = book.index(eid)
        assert exact[i]
        np.testing.assert_allclose(se[i], expected, rtol=1e-9)
        np.testing.assert_allclose(se[i, 0], ar["se"].iloc[0], rtol=1e-9)


# --------------------------------------------------------------------------- structure


def test_every_event_has_a_row_and_a_page(tmp_path: Path):
    res = synthetic_result(n_events=12, seed=1)
    index = write_report(res, tmp_path / "r")
    doc = parse(index)
    keys = [a["data-key"] for a, _ in doc.body_rows("events-table")]
    assert keys == [str(i) for i in res.events["event_id"]]
    assert [r["event_id"] for r in event_rows(doc)] == keys
    pages = list((tmp_path / "r" / "events").glob("*.html"))
    assert len(pages) == 12
    statuses = dict(zip(res.events["event_id"], res.events["status"], strict=True))
    assert statuses["E0000"] == "failed" and statuses["E0001"] == "pending"
    for a, cells in doc.body_rows("events-table"):
        if a["data-status"] != "ok":
            assert cells[5][1], f"{a['data-key']} has no reason"
    stems = {p.stem: p for p in pages}
    for eid, status in statuses.items():
        d = parse(stems[eid])
        assert "car-table" in d.tables
        n_charts = sum(1 for tag, a in d.tags if tag == "div" and "data-figure" in a)
        assert n_charts == (0 if status == "failed" else 4), (eid, status)


def test_hostile_text_is_escaped_everywhere(hostile):
    res, out = hostile
    files = [p for p in out.rglob("*") if p.is_file()]
    for p in files:  # nothing outside the report folder, nothing odd inside
        assert p.resolve().is_relative_to(out.resolve())
        assert "passwd" not in p.name or p.parent.name == "events"
    assert not (out.parent.parent / "etc").exists() and not (out / "etc").exists()
    pages = [p for p in files if p.suffix == ".html"]
    assert len(pages) == 1 + len(res.events)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        doc = Doc(text)
        assert not any(tag == "img" for tag, _ in doc.tags), page
        assert not any(any(k.startswith("on") for k in a) for _, a in doc.tags), page
        for attrs, body in doc.scripts:
            if attrs.get("type") == "application/json":
                assert "<" not in body and ">" not in body
                assert re.fullmatch(
                    r"(caar|aar|price|car|ar|scatter|events)-data|chart-bases", attrs["id"]
                )
            else:
                assert not body.strip() or "alert(" not in body
                assert attrs.get("src", "").startswith(("assets/", "../assets/")), attrs
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in index
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in index
    assert "synthetic &lt;events&gt;.csv" in index
    # User text inside chart titles is HTML-escaped before plotly sees it, in the
    # notebook figures and in the chart parts each page carries.
    from eventstudy.report.book import book_of
    from eventstudy.report.event_figures import ar_spec, price_spec

    book = book_of(res)
    i = book.index(HTML_ID)
    title = ar_spec(book, i)["layout"]["title"]["text"]
    assert "<b" not in title and "&lt;b onmouseover=&quot;alert(3)&quot;&gt;" in title
    assert price_spec(book, i)["layout"]["title"]["text"].startswith(
        html.escape(str(res.events["ticker"].iloc[i]))
    )
    # The study page's events rows keep user text as data, never as markup.
    rows = event_rows(parse(out / "index.html"))
    assert {r["description"] for r in rows} == set(HOSTILE_DESCRIPTIONS)


def test_ids_that_differ_by_case_or_punctuation_get_distinct_pages(hostile):
    res, out = hostile
    doc = parse(out / "index.html")
    hrefs = {a["data-key"]: cells[0][0]["_href"] for a, cells in doc.body_rows("events-table")}
    assert len(set(hrefs.values())) == len(res.events)
    assert hrefs["Deal/A"].lower() != hrefs["deal_a"].lower()
    for eid, href in hrefs.items():
        page = (out / href).resolve()
        assert page.parent == (out / "events").resolve()
        h1 = re.search(r"<h1>(.*?)</h1>", page.read_text(encoding="utf-8"), re.S)
        assert h1 and html.unescape(h1.group(1)) == eid


def test_assets_local_by_default_inline_or_cdn_on_request(tmp_path: Path):
    res = synthetic_result(n_events=4, seed=2)
    local = write_report(res, tmp_path / "local")
    import plotly.offline

    version = plotly.offline.get_plotlyjs_version()
    mask = os.umask(0)
    os.umask(mask)
    for f in (local, next((tmp_path / "local" / "events").glob("*.html"))):
        assert stat.S_IMODE(f.stat().st_mode) == 0o666 & ~mask  # shareable, not 0o600
    asset = tmp_path / "local" / "assets" / f"plotly-{version}.min.js"
    assert asset.read_text(encoding="utf-8") == plotly.offline.get_plotlyjs()
    for page in [local, *(tmp_path / "local" / "events").glob("*.html")]:
        doc = parse(page)
        refs = [
            a.get("src") or a.get("href") for tag, a in doc.tags if tag in ("script", "link", "a")
        ]
        refs = [r for r in refs if r]
        assert not [r for r in refs if re.match(r"^[a-z]+:", r)], refs  # all relative
        for r in refs:
            assert (page.parent / r).resolve().exists(), (page, r)
    single = write_report(res, tmp_path / "single", self_contained=True)
    doc = parse(single)
    assert not [
        a for tag, a in doc.tags if tag in ("script", "link") and (a.get("src") or a.get("href"))
    ]
    assert not (tmp_path / "single" / "assets").exists()
    bundle_head = plotly.offline.get_plotlyjs()[:200]
    assert any(body.startswith(bundle_head) for a, body in doc.scripts if not a.get("type"))
    cdn = write_report(res, tmp_path / "cdn", cdn=True)
    srcs = [a["src"] for tag, a in parse(cdn).tags if tag == "script" and a.get("src")]
    assert srcs[0] == f"https://cdn.plot.ly/plotly-{version}.min.js"
    assert not (tmp_path / "cdn" / "assets" / f"plotly-{version}.min.js").exists()
    with pytest.raises(es.InputError, match="either"):
        write_report(res, tmp_path / "both", self_contained=True, cdn=True)


def test_partial_rewrite_and_stale_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    res = synthetic_result(n_events=5, seed=4)
    out = tmp_path / "r"
    write_report(res, out)
    stale = out / "events" / "gone-event.html"
    stale.write_text("old", encoding="utf-8")
    import eventstudy.report.event_page as event_page

    seen: list[str] = []
    real = event_page.event_context
    monkeypatch.setattr(
        event_page,
        "event_context",
        lambda book, i, fj: seen.append(book.ids[i]) or real(book, i, fj),
    )
    (out / "events" / "E0004.html").unlink()
    write_report(res, out, event_ids=["E0002"])
    assert sorted(seen) == ["E0002", "E0004"]  # the asked-for page and the missing one
    assert not stale.exists()
    assert len(list((out / "events").glob("*.html"))) == 5


def test_interrupted_write_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    res = synthetic_result(n_events=4, seed=6)
    out = tmp_path / "r"
    write_report(res, out)
    before = {p: p.read_bytes() for p in out.rglob("*.html")}
    import builtins

    import eventstudy.report as report

    real_open = builtins.open
    calls = {"n": 0}

    class HalfThenInterrupt:
        """A file that takes half of what it is given, then raises KeyboardInterrupt."""

        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, data):
            self.fh.write(data[: len(data) // 2])
            raise KeyboardInterrupt("simulated interruption")

    def interrupted(file, mode="r", *args, **kwargs):
        fh = real_open(file, mode, *args, **kwargs)
        if (
            ("w" in mode or "x" in mode)
            and str(file).endswith(".tmp")
            and str(file).find(".html.") != -1
        ):
            calls["n"] += 1
            if calls["n"] == 2:  # the second page: half written, then Ctrl-C
                return HalfThenInterrupt(fh)
        return fh

    monkeypatch.setattr(report, "open", interrupted, raising=False)
    with pytest.raises(KeyboardInterrupt):
        write_report(res, out)
    monkeypatch.undo()
    assert calls["n"] == 2
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    # Every page is either untouched or completely rewritten (rendering is
    # deterministic, so both are byte-identical to the first run's pages).
    after = {p: p.read_bytes() for p in out.rglob("*.html")}
    assert after == before


def test_write_index_alone(tmp_path: Path):
    res = synthetic_result(n_events=3, seed=8)
    index = write_index(res, tmp_path / "only")
    assert index.exists() and not list((tmp_path / "only").glob("events/*.html"))


# --------------------------------------------------------------------------- notebook API


def test_figures_and_repr_html():
    import plotly.graph_objects as go

    from eventstudy.report import figures, notebook
    from eventstudy.report.regression import ols_summary

    res = synthetic_result(n_events=6, seed=9)
    eid = "E0003"
    for fig in (
        res.plot_car(),
        res.plot_event(eid),
        figures.aar_figure(res),
        figures.event_price_figure(res, eid),
        figures.event_ar_figure(res, eid),
        figures.event_car_figure(res, eid),
        figures.estimation_scatter(res, eid),
    ):
        assert isinstance(fig, go.Figure) and len(fig.data) >= 1
    car = res.plot_car()
    assert [t.name for t in car.data][-1] == "CAAR"
    assert list(car.data[-1].x) == res.settings.event_days
    shown_html = res._repr_html_()
    assert "<svg" in shown_html and "CAAR" in shown_html and "<script" not in shown_html
    assert notebook.repr_html(res) == shown_html
    summ = ols_summary(res, eid)
    assert "Durbin-Watson" in str(summ)
    with pytest.raises(KeyError, match="no event"):
        res.plot_event("no-such-event")


def test_cli_run_writes_the_report_by_default(sample, tmp_path: Path):
    from click.testing import CliRunner

    from eventstudy.cli import main

    out = tmp_path / "cli"
    result = CliRunner().invoke(
        main,
        ["run", str(ROOT / "events.csv"), "--prices", str(SAMPLE_PRICES), "--out", str(out), "-q"],
    )
    assert result.exit_code == 0, result.output
    assert (out / "index.html").exists() and len(list((out / "events").glob("*.html"))) == 10
    assert list((out / "assets").glob("plotly-*.min.js"))
