"""Batch runs (issue 5): incremental work, state, locks, exit codes, config validation.

Helpers at the top are shared with ``tests/test_batch_kill.py`` (the SIGKILL
and concurrency tests that need subprocesses).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from eventstudy.atomic import write_text
from eventstudy.batch import BatchConfig, load_config, run_batch
from eventstudy.batch.config import key_lines
from eventstudy.batch.runner import combine_exit_codes
from eventstudy.batch.staging import lock_path, old_path, recover, stage_path
from eventstudy.batch.state import STATE_NAME
from eventstudy.cli import main
from eventstudy.data.files import FilePriceProvider
from eventstudy.errors import DataUnavailable
from tests.conftest import ROOT, SAMPLE_PRICES

TICKERS = ("AAA", "BBB", "CCC")
FIRST, LAST = "2022-01-03", "2024-06-28"


def sessions(start: str = FIRST, end: str = LAST) -> pd.DatetimeIndex:
    from eventstudy.event_time import sessions as xnys

    days = xnys("XNYS")
    return days[(days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))]


def write_prices(
    folder: Path,
    end: str = LAST,
    tickers=TICKERS,
    seed: int = 7,
    bump: dict[str, tuple[str, float]] | None = None,
) -> Path:
    """Per-ticker ``<T>.csv`` files and ``GSPC.csv`` up to ``end`` (same path for any ``end``).

    ``bump={"AAA": ("2024-01-10", 1.05)}`` scales one price (a "corrected" file).
    """
    days = sessions()
    rng = np.random.default_rng(seed)
    m = rng.normal(0.0003, 0.01, len(days))
    series = {"GSPC": 100 * np.cumprod(1 + m)}
    for t in tickers:
        series[t] = 50 * np.cumprod(1 + 0.0002 + 1.1 * m + rng.normal(0, 0.015, len(days)))
    keep = days <= pd.Timestamp(end)
    folder.mkdir(parents=True, exist_ok=True)
    for t, values in series.items():
        values = values.copy()
        if bump and t in bump:
            values[days == pd.Timestamp(bump[t][0])] *= bump[t][1]
        col = "Close" if t == "GSPC" else "Adj Close"
        pd.DataFrame({"Date": days[keep].strftime("%Y-%m-%d"), col: values[keep]}).to_csv(
            folder / f"{t}.csv", index=False
        )
    return folder


def event_rows(n: int, start: int = 0, tickers=TICKERS) -> list[str]:
    """``n`` event rows (ids ``e<k>``) on sessions spread over 2023-03..2024-03."""
    days = sessions("2023-03-01", "2024-03-29")
    step = max(len(days) // 40, 1)
    rows = []
    for k in range(start, start + n):
        day = days[(k * step) % len(days)]
        rows.append(f"e{k},{tickers[k % len(tickers)]},{day:%Y-%m-%d},during_market,sector{k % 2}")
    return rows


def write_events(path: Path, rows: list[str]) -> Path:
    path.write_text("event_id,ticker,date,timing,sector\n" + "\n".join(rows) + "\n")
    return path


#: Short windows keep the tests quick (fewer cross-sectional test batteries).
FAST = "event_window = [-3, 3]\ncar_windows = [[0, 0], [-1, 1]]\n"


def write_config(
    path: Path,
    *,
    events: Path,
    prices: Path,
    output: Path,
    formats=("csv",),
    extra: str = "",
    name: str = "s",
) -> Path:
    fmt = ", ".join(f'"{f}"' for f in formats)
    path.write_text(
        f'[studies.{name}]\nevents = "{events}"\nprices = "{prices}"\noutput = "{output}"\n'
        f"formats = [{fmt}]\n{FAST}{extra}"
    )
    return path


class CountingProvider:
    """A file provider that counts ``get_prices`` calls and the tickers asked for."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.calls: list[list[str]] = []

    @property
    def description(self) -> str:
        return f"files: {self.folder}"

    def get_prices(self, tickers, start, end):
        self.calls.append(list(tickers))
        return FilePriceProvider(self.folder).get_prices(tickers, start, end)


class FakeWriter:
    """Stand-in for ``eventstudy.report.write_report``: records which pages it was asked for."""

    def __init__(self) -> None:
        self.calls: list[list[str] | None] = []

    def __call__(
        self, res: Any, out_dir: Path, *, event_ids=None, self_contained=False, cdn=False
    ) -> Path:
        from eventstudy.events import unique_file_stems

        self.calls.append(None if event_ids is None else list(event_ids))
        stems = unique_file_stems(res.events["event_id"].astype(str))
        wanted = set(stems) if event_ids is None else set(event_ids)
        ev = res.events.set_index("event_id")
        for eid in wanted:
            car = res.car[res.car["event_id"] == eid]["car"].round(12).tolist()
            write_text(
                Path(out_dir) / "events" / f"{stems[eid]}.html",
                f"<p>{eid} {ev.loc[eid, 'status']} {car}</p>\n",
            )
        write_text(Path(out_dir) / "index.html", f"<p>{len(res.events)} events</p>\n")
        return Path(out_dir) / "index.html"


_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?")


def normalised(folder: Path) -> dict[str, Any]:
    """Every file of an output folder, with run times removed (for comparisons)."""
    out: dict[str, Any] = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_dir() or path.name == "batch-log.jsonl":
            continue
        if path.name == "run.json":
            data = json.loads(path.read_text())
            data.pop("created", None)
            data.pop("timings_s", None)
            out[rel] = data
        elif path.name == ".batch-state.json":
            data = json.loads(path.read_text())
            data.pop("last_run", None)
            data.pop("last_change", None)
            out[rel] = data
        elif path.suffix == ".html":
            out[rel] = _TIME_RE.sub("<time>", path.read_text())
        else:
            out[rel] = path.read_bytes()
    return out


def snapshot(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file with its inode, mtime and bytes (to prove nothing was touched)."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def study(tmp_path: Path):
    """A 12-event study on synthetic price files, csv + (stand-in) html."""
    prices = write_prices(tmp_path / "prices")
    events = write_events(tmp_path / "events.csv", event_rows(12))
    cfg = write_config(
        tmp_path / "batch.toml",
        events=events,
        prices=prices,
        output=tmp_path / "out",
        formats=("csv", "html"),
    )
    return {
        "root": tmp_path,
        "prices": prices,
        "events": events,
        "config": cfg,
        "out": tmp_path / "out",
    }


def run(
    cfg_path: Path,
    provider: CountingProvider | None = None,
    writer: FakeWriter | None = None,
    **kw: Any,
):
    cfg = load_config(cfg_path)
    factory = (lambda _study: provider) if provider is not None else None
    return run_batch(cfg, provider_factory=factory, report_writer=writer, **kw)


def state(out: Path) -> dict[str, Any]:
    return json.loads((out / STATE_NAME).read_text())


def invoke(*args: str):
    return CliRunner().invoke(main, ["batch", *args], catch_exceptions=False)


# --------------------------------------------------------------------------- incremental work


def test_first_run_computes_all_and_unchanged_second_run_does_nothing(study):
    provider, writer = CountingProvider(study["prices"]), FakeWriter()
    first = run(study["config"], provider, writer)
    o = first.outcomes[0]
    assert (first.exit_code, o.outcome, o.new, o.recomputed) == (0, "updated", 12, 12)
    assert o.rendered == 12
    assert len(provider.calls) == 1 and writer.calls == [None]
    st = state(study["out"])
    assert {r["computed_run"] for r in st["events"].values()} == {1}
    assert set(st["events"]) == {f"e{k}" for k in range(12)}
    before = snapshot(study["out"])

    second = run(study["config"], provider, writer)
    o = second.outcomes[0]
    assert (second.exit_code, o.outcome, o.recomputed, o.rendered) == (0, "unchanged", 0, 0)
    assert len(provider.calls) == 1, "an unchanged run must not ask for prices"
    assert len(writer.calls) == 1, "an unchanged run must not render"
    after = snapshot(study["out"])
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed <= {STATE_NAME, "batch-log.jsonl"}
    st2 = state(study["out"])
    assert st2["events"] == st["events"] and st2["run"] == 2
    assert st2["last_run"]["outcome"] == "unchanged"


def test_appending_events_recomputes_only_those(study):
    provider, writer = CountingProvider(study["prices"]), FakeWriter()
    run(study["config"], provider, writer)
    pages = study["out"] / "events"
    before = {p.name: (p.stat().st_ino, p.read_bytes()) for p in pages.iterdir()}
    write_events(study["events"], event_rows(12) + event_rows(3, start=12))

    res = run(study["config"], provider, writer)
    o = res.outcomes[0]
    assert (o.outcome, o.new, o.changed, o.recomputed, o.rendered) == ("updated", 3, 0, 3, 3)
    assert sorted(writer.calls[-1] or []) == ["e12", "e13", "e14"]
    after = {p.name: (p.stat().st_ino, p.read_bytes()) for p in pages.iterdir()}
    assert {k: after[k] for k in before} == before, "old pages are the same files, untouched"
    st = state(study["out"])
    recomputed = {e for e, r in st["events"].items() if r["computed_run"] == 2}
    assert recomputed == {"e12", "e13", "e14"}
    assert len(pd.read_csv(study["out"] / "events.csv")) == 15
    assert len(provider.calls) == 2


def test_pending_event_becomes_ok_when_more_sessions_arrive(tmp_path: Path):
    prices = write_prices(tmp_path / "prices", end="2024-05-31")
    rows = [*event_rows(4), "late,AAA,2024-05-30,during_market,x"]
    events = write_events(tmp_path / "events.csv", rows)
    cfg = write_config(
        tmp_path / "b.toml",
        events=events,
        prices=prices,
        output=tmp_path / "out",
        formats=("csv", "html"),
    )
    writer = FakeWriter()
    first = run(cfg, writer=writer)
    st = state(tmp_path / "out")
    assert st["events"]["late"]["status"] == "pending"
    assert first.exit_code == 0

    again = run(cfg, writer=writer)  # no new sessions: rechecked, nothing rewritten
    assert again.outcomes[0].outcome == "checked" and again.outcomes[0].pending == 1
    assert len(writer.calls) == 1

    write_prices(tmp_path / "prices")  # the data now reaches 2024-06-28
    later = run(cfg, writer=writer)
    o = later.outcomes[0]
    assert (o.outcome, o.pending, o.recomputed) == ("updated", 1, 1)
    assert writer.calls[-1] == ["late"]
    st = state(tmp_path / "out")
    assert st["events"]["late"]["status"] == "ok"
    ev = pd.read_csv(tmp_path / "out" / "events.csv").set_index("event_id")
    assert ev.loc["late", "status"] == "ok"


def test_changed_and_removed_events(study):
    writer = FakeWriter()
    run(study["config"], writer=writer)
    before = pd.read_csv(study["out"] / "events.csv", keep_default_na=False)
    # Events that named e5 as a same-firm event in their windows: their pages change too.
    named_e5 = before.loc[before["confounding_events"].str.contains(r"\be5\b"), "event_id"]
    rows = event_rows(12)
    rows[3] = rows[3].replace("sector1", "moved")  # e3: an edited row
    del rows[5]  # e5 removed
    write_events(study["events"], rows)
    o = run(study["config"], writer=writer).outcomes[0]
    assert (o.changed, o.removed, o.recomputed) == (1, 1, 1)
    assert sorted(writer.calls[-1]) == sorted({"e3", *named_e5})
    assert not (study["out"] / "events" / "e5.html").exists()
    assert "e5" not in state(study["out"])["events"]
    assert "moved" in (study["out"] / "events.csv").read_text()


def test_corrected_price_rerenders_the_events_whose_numbers_moved(study):
    writer = FakeWriter()
    run(study["config"], writer=writer)
    old = state(study["out"])["events"]
    # A corrected price inside the windows of some AAA events, plus one new event so the run
    # computes: the fingerprints of the old events do not change, their digests do.
    write_prices(study["prices"], bump={"AAA": ("2022-12-01", 1.05)})
    write_events(study["events"], event_rows(12) + event_rows(1, start=12))
    o = run(study["config"], writer=writer).outcomes[0]
    new = state(study["out"])["events"]
    moved = {e for e in old if old[e]["digest"] != new[e]["digest"]}
    assert moved and all(e.startswith("e") for e in moved)
    assert set(writer.calls[-1] or []) == moved | {"e12"}
    assert o.recomputed == 1 and o.rendered == len(moved) + 1


def test_full_flag_recomputes_everything(study):
    provider, writer = CountingProvider(study["prices"]), FakeWriter()
    run(study["config"], provider, writer)
    o = run(study["config"], provider, writer, full=True).outcomes[0]
    assert (o.outcome, o.recomputed, o.rendered, o.full) == ("updated", 12, 12, True)
    assert writer.calls[-1] is None and len(provider.calls) == 2
    assert {r["computed_run"] for r in state(study["out"])["events"].values()} == {2}


def test_dry_run_shows_the_plan_and_writes_nothing(study):
    result = invoke(str(study["config"]), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would recompute 12 of 12 events" in result.stdout
    assert "e0: new" in result.stdout
    assert not study["out"].exists()


# --------------------------------------------------------------------------- safety, exit codes


def test_locked_study_exits_75_and_touches_nothing(study):
    import filelock

    run(study["config"], writer=FakeWriter())
    write_events(study["events"], event_rows(13))
    before = snapshot(study["out"])
    with filelock.FileLock(lock_path(study["out"]), timeout=0):
        result = invoke(str(study["config"]))
    assert result.exit_code == 75, result.output
    assert "another batch run" in result.stderr and "locked" in result.stderr
    assert snapshot(study["out"]) == before


def test_data_unavailable_exits_75_and_keeps_state(study):
    run(study["config"], writer=FakeWriter())
    write_events(study["events"], event_rows(13))
    before = snapshot(study["out"])

    class Down:
        description = "down"

        def get_prices(self, tickers, start, end):
            raise DataUnavailable("Yahoo Finance is rate limiting (HTTP 429); try again later")

    result = run_batch(
        load_config(study["config"]), provider_factory=lambda s: Down(), report_writer=FakeWriter()
    )
    assert result.exit_code == 75 and result.outcomes[0].outcome == "unavailable"
    after = snapshot(study["out"])
    assert {k: v for k, v in after.items() if k != "batch-log.jsonl"} == {
        k: v for k, v in before.items() if k != "batch-log.jsonl"
    }
    assert not stage_path(study["out"]).exists()


def test_one_failing_study_does_not_stop_the_others(tmp_path: Path):
    prices = write_prices(tmp_path / "prices")
    events = write_events(tmp_path / "events.csv", event_rows(4))
    cfg = tmp_path / "two.toml"
    cfg.write_text(
        f'[defaults]\nprices = "{prices}"\nformats = ["csv"]\n'
        f'[studies.broken]\nevents = "missing.csv"\noutput = "{tmp_path / "o1"}"\n'
        f'[studies.fine]\nevents = "{events}"\noutput = "{tmp_path / "o2"}"\n'
    )
    result = invoke(str(cfg))
    assert result.exit_code == 2
    assert "broken: error" in result.stderr
    assert "line 5: key 'studies.broken.events'" in result.stderr
    assert "fine: updated" in result.stdout
    assert (tmp_path / "o2" / "events.csv").exists()
    only = invoke(str(cfg), "--study", "fine")
    assert only.exit_code == 0 and "broken" not in only.output
    assert "fine: unchanged" in only.stdout


def test_changed_settings_recompute_every_event(study):
    writer = FakeWriter()
    run(study["config"], writer=writer)
    text = study["config"].read_text().replace("[[0, 0], [-1, 1]]", "[[0, 0], [0, 1]]")
    study["config"].write_text(text)
    o = run(study["config"], writer=writer).outcomes[0]
    assert (o.changed, o.recomputed, o.rendered) == (12, 12, 12)
    assert set(pd.read_csv(study["out"] / "car.csv")["end"]) == {0, 1}


def test_bhar_windows_key_adds_long_windows_and_is_a_setting(study):
    writer = FakeWriter()
    run(study["config"], writer=writer)
    with study["config"].open("a") as f:
        f.write("bhar_windows = [[0, 20]]\n")
    o = run(study["config"], writer=writer).outcomes[0]
    assert o.recomputed == 12  # a new setting: every event again
    bhar = pd.read_csv(study["out"] / "bhar.csv")
    long = bhar[bhar["end"] == 20]
    assert len(long) >= 6 and set(long["event_id"]) <= set(bhar.loc[bhar["end"] == 0, "event_id"])
    settings = json.loads((study["out"] / "run.json").read_text())["settings"]
    assert settings["bhar_windows"] == [[0, 20]]


def test_failed_events_and_fail_on(tmp_path: Path):
    prices = write_prices(tmp_path / "prices")
    events = write_events(tmp_path / "events.csv", [*event_rows(3), "zz,ZZZ,2024-01-10,,x"])
    cfg_any = write_config(
        tmp_path / "any.toml", events=events, prices=prices, output=tmp_path / "a"
    )
    cfg_new = write_config(
        tmp_path / "new.toml",
        events=events,
        prices=prices,
        output=tmp_path / "n",
        extra='fail_on = "new"\n',
    )
    first = invoke(str(cfg_any))
    assert first.exit_code == 1 and "failed: zz" in first.stderr and "'ZZZ'" in first.stderr
    assert invoke(str(cfg_any)).exit_code == 1  # still failed: fail_on = "any"
    assert invoke(str(cfg_new)).exit_code == 1  # a new failure
    quiet = invoke(str(cfg_new), "-q")
    assert quiet.exit_code == 0 and quiet.output == ""  # the same failure again: silent


def test_exit_code_precedence():
    assert combine_exit_codes([0, 0]) == 0
    assert combine_exit_codes([0, 75]) == 75
    assert combine_exit_codes([75, 1]) == 1
    assert combine_exit_codes([1, 2, 75]) == 2
    assert combine_exit_codes([]) == 0


def test_run_log_is_json_lines_with_counts_and_timings(study, tmp_path: Path):
    log = tmp_path / "all.jsonl"
    run(study["config"], writer=FakeWriter(), log=log)
    run(study["config"], writer=FakeWriter(), log=log)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["outcome"] for r in records] == ["updated", "unchanged"]
    first = records[0]
    assert first["counts"]["ok"] + first["counts"]["skipped"] == 12
    assert (first["recomputed"], first["reused"], first["provider_calls"]) == (12, 0, 1)
    assert first["timings_s"]["total_s"] > 0 and "compute_s" in first["timings_s"]
    assert records[1]["reused"] == 12 and records[1]["provider_calls"] == 0
    assert not (study["out"] / "batch-log.jsonl").exists()


def test_html_skipped_with_a_warning_when_report_package_is_absent(study, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "eventstudy.report", None)
    with caplog.at_level(logging.WARNING):
        result = run(study["config"])
    assert result.exit_code == 0
    assert "HTML report skipped" in caplog.text
    assert (study["out"] / "events.csv").exists() and not (study["out"] / "index.html").exists()
    assert state(study["out"])["html"] is False


def test_real_report_pages_rendered_incrementally(study):
    pytest.importorskip("eventstudy.report")
    write_events(study["events"], event_rows(3, start=4))
    run(study["config"])
    pages = study["out"] / "events"
    assert (study["out"] / "index.html").exists() and len(list(pages.glob("*.html"))) == 3
    inodes = {p.name: p.stat().st_ino for p in pages.glob("*.html")}
    write_events(study["events"], event_rows(4, start=4))
    o = run(study["config"]).outcomes[0]
    assert o.rendered == 1
    now = {p.name: p.stat().st_ino for p in pages.glob("*.html")}
    assert {k: now[k] for k in inodes} == inodes and "e7.html" in now


def test_recover_finishes_or_rolls_back_an_interrupted_swap(tmp_path: Path):
    out = tmp_path / "out"
    # killed between the two renames: no output folder, a complete staging folder
    stage = stage_path(out)
    stage.mkdir()
    write_text(stage / STATE_NAME, "{}")
    assert recover(out) and (out / STATE_NAME).exists() and not stage.exists()
    # no output folder and an incomplete staging folder: the old outputs come back
    out.rename(old_path(out))
    stage.mkdir()
    (stage / "events.csv").write_text("half")
    assert recover(out) and (out / STATE_NAME).exists()
    assert not stage.exists() and not old_path(out).exists()


def test_two_rename_fallback_when_exchange_is_unavailable(study, monkeypatch):
    from eventstudy.batch import staging

    run(study["config"], writer=FakeWriter())
    monkeypatch.setattr(staging, "_exchange", lambda a, b: False)
    write_events(study["events"], event_rows(13))
    assert run(study["config"], writer=FakeWriter()).outcomes[0].outcome == "updated"
    assert "e12" in state(study["out"])["events"]
    assert not old_path(study["out"]).exists() and not stage_path(study["out"]).exists()


# --------------------------------------------------------------------------- config


def test_example_config_runs(tmp_path: Path):
    cfg = load_config(ROOT / "examples" / "batch.toml")
    assert [s.name for s in cfg.studies] == ["msft-openai"]
    s = cfg.studies[0]
    assert s.source.prices == SAMPLE_PRICES.resolve() and s.fail_on == "new"
    local = BatchConfig(cfg.path, (dataclasses.replace(s, output=tmp_path / "out"),))
    first = run_batch(local, report_writer=FakeWriter())
    o = first.outcomes[0]
    assert first.exit_code == 0 and o.counts["ok"] == 10
    second = run_batch(local, report_writer=FakeWriter())
    assert second.exit_code == 0 and second.outcomes[0].outcome == "unchanged"


def test_key_lines_finds_keys_in_tables_and_skips_array_lines():
    text = (
        'log = "x"\n[defaults]\ncar_windows = [\n  [0, 0],\n  [-1, 1],\n]\n'
        "model = 'market'  # comment\n"
        '[studies."my study"]\nevents = """a\n[not.a.header]\n"""\nprices = "p"\n'
    )
    lines = key_lines(text)
    assert lines[("log",)] == 1
    assert lines[("defaults", "car_windows")] == 3
    assert lines[("defaults", "model")] == 7
    assert lines[("studies", "my study")] == 8
    assert lines[("studies", "my study", "events")] == 9
    assert lines[("studies", "my study", "prices")] == 12
    assert ("not", "a", "header") not in lines


BAD_CONFIGS = [
    (
        '[studies.a]\nevents = "e.csv"\nmodle = "market"\n',
        3,
        "studies.a.modle",
        "did you mean 'model'",
    ),
    (
        '[defaults]\nmodel = "capm"\n[studies.a]\nevents = "e.csv"\n',
        2,
        "defaults.model",
        "choose one of: market",
    ),
    (
        '[studies.a]\nevents = "e.csv"\nevent_window = [-5]\n',
        3,
        "studies.a.event_window",
        "two whole numbers",
    ),
    (
        '[studies.a]\nevents = "e.csv"\nestimation_window = [-250, -5]\n',
        3,
        "studies.a.estimation_window",
        "no look-ahead",
    ),
    (
        '[studies.a]\nevents = "e.csv"\ncar_windows = [\n  [0, 0],\n  [-30, 30],\n]\n',
        3,
        "studies.a.car_windows",
        "outside the event window",
    ),
    (
        '[studies.a]\nevents = "e.csv"\nbhar_windows = [\n  [0, 60],\n  [-30, 5],\n]\n',
        3,
        "studies.a.bhar_windows",
        "overlaps the estimation window",
    ),
    (
        '[studies.a]\nevents = "e.csv"\nformats = ["pdf"]\n',
        3,
        "studies.a.formats",
        "unknown output format pdf",
    ),
    (
        '[studies.a]\nevents = "e.csv"\nprices = "p"\noffline = true\n',
        4,
        "studies.a.offline",
        "Yahoo Finance only",
    ),
    (
        '[studies.a]\nevents = "e.csv"\nretry_failed = "yes"\n',
        3,
        "studies.a.retry_failed",
        "true or false",
    ),
    ('[studies.a]\noutput = "o"\n', 1, "studies.a", "missing key 'events'"),
    ('[studies.a]\nevents = "e.csv"\nfail_on = "some"\n', 3, "studies.a.fail_on", "any, new"),
    (
        '[studies.a]\nevents = "e.csv"\n[studies.b]\nevents = "e.csv"\noutput = "reports/a"\n',
        5,
        "studies.b.output",
        "also used by study 'a'",
    ),
    ("studies = 3\n", 1, "studies", "no studies"),
    ('[studies.a]\nevents = "e.csv"\noutput = "."\n', 3, "studies.a.output", "holds the events"),
    ('[study.a]\nevents = "e.csv"\n', 1, "study", "unknown key in the top level"),
    (
        '[studies.a]\nevents = "e.csv"\nmin_estimation = 2\n',
        3,
        "studies.a.min_estimation",
        "at least 3",
    ),
    ('[studies.a]\nevents = "e.csv"\nmodel = \n', 3, None, "not valid TOML"),
]


@pytest.mark.parametrize(("text", "line", "key", "needle"), BAD_CONFIGS)
def test_malformed_config_exits_2_naming_key_and_line(tmp_path: Path, text, line, key, needle):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    result = invoke(str(cfg))
    assert result.exit_code == 2, result.output
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"error: {cfg}, line {line}: ")
    if key:
        assert f"key '{key}'" in first
    assert needle in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "reports").exists()


def test_every_config_problem_is_listed(tmp_path: Path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[defaults]\nmodle = "x"\n[studies.a]\nevents = "e.csv"\ncdn = 1\n')
    result = invoke(str(cfg))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and "line 2" in lines[0] and "line 5" in lines[1]


def test_unknown_study_name_exits_2(study):
    result = invoke(str(study["config"]), "--study", "nope")
    assert result.exit_code == 2 and "no study named 'nope'" in result.stderr


def test_missing_config_exits_2(tmp_path: Path):
    result = invoke(str(tmp_path / "none.toml"))
    assert result.exit_code == 2 and "config file not found" in result.stderr


def test_help_has_examples_and_exit_codes():
    result = CliRunner().invoke(main, ["batch", "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and "75" in result.output


def test_fingerprints_ignore_row_order_and_line_numbers(study):
    writer = FakeWriter()
    run(study["config"], writer=writer)
    write_events(study["events"], list(reversed(event_rows(12))))
    o = run(study["config"], writer=writer).outcomes[0]
    # the order of the tables follows the file, but no event is recomputed or re-rendered
    assert (o.recomputed, o.rendered) == (0, 0)
    assert pd.read_csv(study["out"] / "events.csv")["event_id"].iloc[0] == "e11"


def _unused() -> None:  # keep imports used by the kill tests visible to linters
    _ = (np, re, FilePriceProvider)


def test_factor_model_study_through_batch(tmp_path):
    """A ``factors`` key feeds the factor models (here on the shared French files)."""
    import pytest as _pytest

    from eventstudy.batch.config import load_config
    from tests.conftest import DATA, ROOT

    if not (DATA / "factors" / "ff5_daily.csv").exists():
        _pytest.skip(f"factor files absent: {DATA / 'factors'}")
    cfg_path = tmp_path / "b.toml"
    cfg_path.write_text(
        f'[studies.ff]\nevents = "{ROOT / "events.csv"}"\noutput = "{tmp_path / "out"}"\n'
        f'prices = "{DATA / "prices"}"\nfactors = "{DATA / "factors"}"\nmodel = "ff3"\n'
        'formats = ["csv"]\n'
    )
    cfg = load_config(cfg_path)
    assert cfg.studies[0].factors == (DATA / "factors").resolve()
    assert cfg.studies[0].study_options()["factors"] == (DATA / "factors").resolve()
    from click.testing import CliRunner

    from eventstudy.cli import main as cli_main

    result = CliRunner().invoke(cli_main, ["batch", str(cfg_path)])
    assert result.exit_code in (0, 1), result.output  # the peers have no price files
    import pandas as _pd

    ev = _pd.read_csv(tmp_path / "out" / "events.csv")
    assert set(ev["model"]) == {"ff3"}
    assert (ev.loc[ev["ticker"] == "MSFT", "status"] == "ok").all()
    assert "b_smb" in ev.columns


def test_output_that_is_a_file_is_refused_and_kept(tmp_path: Path):
    prices = write_prices(tmp_path / "prices")
    events = write_events(tmp_path / "events.csv", event_rows(3))
    target = tmp_path / "report.txt"
    target.write_text("my notes\n")
    cfg = write_config(tmp_path / "batch.toml", events=events, prices=prices, output=target)
    result = invoke(str(cfg))
    assert result.exit_code == 2, result.output
    assert "is a file" in result.stderr and "output" in result.stderr
    assert target.read_text() == "my notes\n"
    # A file that appears after the config was read is refused at run time too.
    target.unlink()
    loaded = load_config(cfg)
    target.write_text("appeared later\n")
    outcome = run_batch(loaded).outcomes[0]
    assert outcome.exit_code == 2 and "is a file" in outcome.message
    assert target.read_text() == "appeared later\n"
    assert not stage_path(target).exists() and not old_path(target).exists()
