"""The PyPI package ``eventstudy==0.1a12`` (the "peer") as a benchmark competitor.

The peer is an unrelated 2021 project with our import name (``eventstudy``):
a per-event statsmodels loop (``Single.market_model`` called once per event by
``Multiple.from_list``). It must never be imported into our process, so it
lives in its own virtual environment, ``benchmarks/.venv-peer``, and runs in a
subprocess (``benchmarks/peer_runner.py``) that we feed with neutral CSV files.

This module imports only the standard library, numpy and pandas at module
level (``exchange_calendars`` and ``statsmodels`` are imported inside the
validation helpers), and never the peer::

    from peer import ensure_peer_venv, run_peer      # from benchmarks/*.py
    res = run_peer(events, long_prices)               # builds the venv if missing
    res.compute_seconds, res.n_computed, res.results  # ar0, car, t_car per event

Validation against an independent numpy / statsmodels market model, and the
peer's time per event::

    python benchmarks/peer.py                  # 50 events (check) + 100 and 1,000 (timing)
    python benchmarks/peer.py --events 20 --json peer.json

The peer's conventions (read from its source, see ``benchmarks/README.md``):
returns come from a wide CSV (``date`` + one column per ticker) read by
``Single.import_returns``; relative days are *rows* of that table; the market
model is OLS of the stock on the market over ``estimation_size`` rows that end
``buffer_size`` rows before the event window; AR = y - (a + b x) on the event
window; its AR variance is ``np.var`` of the estimation residuals (SSR / T, no
prediction-error term), ``var CAR(c..tau) = n * var``, ``t = CAR / sqrt(var
CAR)`` with ``T - 1`` degrees of freedom, and CARs cumulate from the start of
the event window only.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PEER_VENV = ROOT / "benchmarks" / ".venv-peer"
RUNNER = Path(__file__).resolve().with_name("peer_runner.py")
MARKET = "^GSPC"
EST = (-250, -11)
EVT = (-10, 10)
CAR = (-1, 1)

#: What the peer venv gets. The peer declares only unpinned ``numpy, matplotlib,
#: pandas, statsmodels, scipy`` (``Requires-Python >=3.6``). We pin the numerical
#: stack to the versions of our own dev venv (same numpy/LAPACK, same statsmodels
#: OLS on both sides of the comparison), all with wheels for CPython 3.11, and a
#: current matplotlib (imported by the peer at module level, never used here).
PEER_REQUIREMENTS: tuple[str, ...] = (
    "eventstudy==0.1a12",
    "numpy==2.4.6",
    "pandas==3.1.1",
    "scipy==1.17.1",
    "statsmodels==0.15.0",
    "matplotlib==3.11.2",
)
_MARKER = "peer-requirements.txt"


class PeerError(RuntimeError):
    """The peer venv could not be made, or the peer run failed."""


def _venv_python(path: Path) -> Path:
    return path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _requirements_text() -> str:
    return "\n".join(PEER_REQUIREMENTS) + "\n"


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive lock on ``path/.lock`` (POSIX; a no-op elsewhere)."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(path / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _peer_env(venv: Path) -> dict[str, str]:
    """Our environment (same BLAS/thread settings) minus what would leak our code in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")
    }
    env["MPLBACKEND"] = "Agg"
    env["MPLCONFIGDIR"] = str(venv / ".mplconfig")  # font cache kept in the venv
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def ensure_peer_venv(path: Path = PEER_VENV) -> Path:
    """Create (once) the peer's venv with ``PEER_REQUIREMENTS`` and return its path.

    Idempotent: when ``path`` already has a python and a marker file listing
    exactly ``PEER_REQUIREMENTS`` it returns at once (no subprocess). Otherwise
    it runs ``python3 -m venv`` (the interpreter running this code, i.e. our
    Python 3.11), ``pip install`` of the pinned requirements (needs PyPI), and
    checks that the peer imports from the venv at the right version before
    writing the marker. Safe against concurrent callers (file lock).
    """
    path = Path(path).resolve()
    py = _venv_python(path)
    marker = path / _MARKER
    want = _requirements_text()
    if py.exists() and marker.exists() and marker.read_text() == want:
        return path
    with _locked(path):
        if py.exists() and marker.exists() and marker.read_text() == want:
            return path
        env = _peer_env(path)
        steps = []
        if not py.exists():
            steps.append([sys.executable, "-m", "venv", str(path)])
        steps.append([str(py), "-m", "pip", "install", "--quiet", *PEER_REQUIREMENTS])
        check = (
            "import sys, pathlib, eventstudy; "
            "f = pathlib.Path(eventstudy.__file__).resolve(); "
            "assert eventstudy.__version__ == '0.1a12', eventstudy.__version__; "
            "assert pathlib.Path(sys.prefix).resolve() in f.parents, f; "
            "from eventstudy import Single, Multiple"
        )
        steps.append([str(py), "-I", "-c", check])
        for cmd in steps:
            proc = subprocess.run(
                cmd, env=env, cwd=tempfile.gettempdir(), capture_output=True, text=True
            )
            if proc.returncode != 0:
                raise PeerError(
                    f"peer venv: {' '.join(cmd[:4])} ... failed ({proc.returncode}):\n"
                    f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
                )
        marker.write_text(want)
    return path


# --------------------------------------------------------------------------- running


@dataclass
class PeerResult:
    """What one peer run measured and computed.

    ``results`` has one row per computed event, in input order: ``event_id,
    ticker, day0, ar0`` (day-0 AR), ``car`` (CAR over ``car_window``, the sum of
    the peer's ARs), ``t_car`` (the peer's formula ``car / sqrt(n var_ar)``),
    ``var_ar`` (the peer's AR variance, SSR / T), ``df`` (the peer's T - 1),
    ``car_evt`` / ``t_evt`` (the peer's own CAR and t-stat over the whole event
    window), and, with ``native_car_window=True``, ``car_native`` / ``t_native``
    / ``p_native`` from a second, untimed peer run whose event window is
    ``car_window``. ``ar`` is the events x days matrix of ARs (days ``ar_days``).
    """

    compute_seconds: float  # Multiple.from_list(...) alone: the peer's computation
    prep_seconds: float  # long prices -> wide returns, the peer's CSV, Single.import_returns
    total_seconds: float  # prep_seconds + compute_seconds
    n_events: int
    n_computed: int
    results: pd.DataFrame
    errors: pd.DataFrame  # event_id, error_type, error_msg: events the peer refused, and
    # those the runner kept from it (error_type MissingEstimationReturns)
    ar: np.ndarray
    ar_days: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds_per_event(self) -> float:
        return self.compute_seconds / self.n_computed if self.n_computed else float("nan")


def _iso_dates(values: pd.Series) -> np.ndarray:
    d = pd.to_datetime(values)
    if getattr(d.dt, "tz", None) is not None:
        d = d.dt.tz_localize(None)
    return np.datetime_as_string(d.to_numpy().astype("datetime64[D]"), unit="D")


def _check_windows(est: tuple[int, int], evt: tuple[int, int], car: tuple[int, int]) -> None:
    if not (est[0] <= est[1] < evt[0] <= 0 <= evt[1]):
        raise ValueError(
            f"the peer needs estimation window before event window, and day 0 in the event "
            f"window: estimation={est}, event={evt}"
        )
    if not (evt[0] <= car[0] <= car[1] <= evt[1]):
        raise ValueError(f"car_window {car} must lie in the event window {evt}")


def run_peer(
    events: pd.DataFrame,
    prices: pd.DataFrame,
    estimation_window: tuple[int, int] = EST,
    event_window: tuple[int, int] = EVT,
    *,
    car_window: tuple[int, int] = CAR,
    market: str = MARKET,
    venv: Path | None = None,
    timeout: float = 1800.0,
    native_car_window: bool = False,
    keep_dir: Path | None = None,
) -> PeerResult:
    """Run the peer on ``events`` and long ``prices`` in its venv; time and collect it.

    ``events``: columns ``event_id, ticker, day0`` (``date`` accepted for
    ``day0``); day 0 must be a date of ``prices``. ``prices``: long ``date,
    ticker, adj_close`` including the ``market`` ticker; every date of the data
    is a row (session) of the peer's returns table, so the data should be
    session-complete. ``venv``: an existing peer venv; ``None`` =
    ``ensure_peer_venv()``. ``keep_dir``: also keep the exchanged files there.
    """
    est, evt, car = (
        tuple(int(x) for x in w) for w in (estimation_window, event_window, car_window)
    )
    _check_windows(est, evt, car)  # type: ignore[arg-type]
    venv = ensure_peer_venv() if venv is None else Path(venv).resolve()
    py = _venv_python(venv)
    if not py.exists():
        raise PeerError(f"no python in the peer venv {venv}")

    day_col = "day0" if "day0" in events.columns else "date"
    missing = {"event_id", "ticker", day_col} - set(events.columns)
    if missing:
        raise ValueError(f"events lack columns {sorted(missing)}")
    if {"date", "ticker", "adj_close"} - set(prices.columns):
        raise ValueError("prices must have columns date, ticker, adj_close")
    t0 = time.perf_counter()
    ev = pd.DataFrame(
        {
            "event_id": events["event_id"].astype(str).to_numpy(),
            "ticker": events["ticker"].astype(str).to_numpy(),
            "day0": _iso_dates(events[day_col]),
        }
    )
    px = pd.DataFrame(
        {
            "date": _iso_dates(prices["date"]),
            "ticker": prices["ticker"].astype(str).to_numpy(),
            "adj_close": pd.to_numeric(prices["adj_close"]).to_numpy(dtype="float64"),
        }
    )
    if px.duplicated(["date", "ticker"]).any():
        raise ValueError("prices have duplicate (date, ticker) rows")
    if market not in set(px["ticker"]):
        raise ValueError(f"prices have no {market} rows")
    off = ~ev["day0"].isin(set(px["date"]))
    if off.any():
        bad = list(ev["event_id"][off][:5])
        raise ValueError(f"day0 is not a date of the prices for events {bad} ...")
    cfg = {
        "market": market,
        "estimation_window": est,
        "event_window": evt,
        "car_window": car,
        "native_car_window": bool(native_car_window),
    }

    with tempfile.TemporaryDirectory(prefix="peer-run-") as tmp:
        work = Path(tmp)
        ev.to_csv(work / "events.csv", index=False)
        px.to_csv(work / "prices.csv", index=False)  # floats as repr: exact round trip
        (work / "config.json").write_text(json.dumps(cfg))
        write_seconds = time.perf_counter() - t0
        out = work / "result.json"
        t1 = time.perf_counter()
        try:
            proc = subprocess.run(
                [str(py), "-I", str(RUNNER), str(work), str(out)],
                env=_peer_env(venv),
                cwd=work,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            raise PeerError(f"peer run timed out after {timeout} s") from exc
        subprocess_seconds = time.perf_counter() - t1
        if keep_dir is not None:
            import shutil

            shutil.copytree(work, keep_dir, dirs_exist_ok=True)
        if proc.returncode != 0 or not out.exists():
            raise PeerError(f"peer runner failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
        raw = json.loads(out.read_text())

    if raw["returns_inexact"] or not raw["dates_ok"]:
        raise PeerError(
            f"the peer did not read our returns exactly: {raw['returns_inexact']} values "
            f"differ (max {raw['returns_max_abs_diff']:.3g}), dates ok: {raw['dates_ok']}"
        )
    return _result(raw, ev, evt, car, write_seconds, subprocess_seconds)


def _result(
    raw: dict,
    ev: pd.DataFrame,
    evt: tuple[int, int],
    car: tuple[int, int],
    write_seconds: float,
    subprocess_seconds: float,
) -> PeerResult:
    days = np.arange(evt[0], evt[1] + 1)
    recs = raw["events"]
    ar = np.array([r["ar"] for r in recs], dtype="float64").reshape(len(recs), len(days))
    var_ar = np.array([r["var_ar"] for r in recs], dtype="float64")
    cols = (days >= car[0]) & (days <= car[1])
    car_v = ar[:, cols].sum(axis=1)
    info = ev.set_index("event_id")
    ids = [r["event_id"] for r in recs]
    results = pd.DataFrame(
        {
            "event_id": ids,
            "ticker": info.loc[ids, "ticker"].to_numpy() if ids else [],
            "day0": info.loc[ids, "day0"].to_numpy() if ids else [],
            "ar0": ar[:, int(np.flatnonzero(days == 0)[0])],
            "car": car_v,
            "t_car": car_v / np.sqrt(cols.sum() * var_ar),
            "var_ar": var_ar,
            "df": np.array([r["df"] for r in recs], dtype="int64"),
            "car_evt": np.array([r["car_end"] for r in recs], dtype="float64"),
            "t_evt": np.array([r["t_end"] for r in recs], dtype="float64"),
        }
    )
    if raw.get("native") is not None:
        nat = raw["native"]
        for key, col in (("car", "car_native"), ("t", "t_native"), ("p", "p_native")):
            results[col] = [nat.get(i, {}).get(key, np.nan) for i in ids]
    errors = pd.DataFrame(raw["errors"], columns=["event_id", "error_type", "error_msg"])
    meta = {
        k: raw[k]
        for k in (
            "peer_version",
            "peer_file",
            "python",
            "versions",
            "peer_call",
            "n_rows",
            "n_excluded",
            "load_seconds",
            "import_seconds",
            "native_seconds",
        )
    }
    meta.update(
        {
            "car_window": list(car),
            "write_seconds": write_seconds,
            "subprocess_seconds": subprocess_seconds,
        }
    )
    return PeerResult(
        compute_seconds=float(raw["compute_seconds"]),
        prep_seconds=float(raw["prep_seconds"]),
        total_seconds=float(raw["total_seconds"]),
        n_events=int(raw["n_events"]),
        n_computed=int(raw["n_computed"]),
        results=results,
        errors=errors,
        ar=ar,
        ar_days=days,
        meta=meta,
    )


# --------------------------------------------------------------------------- validation


def xnys_sessions(start: str = "2018-01-01", end: str = "2021-12-31") -> pd.DatetimeIndex:
    """XNYS sessions from ``exchange_calendars`` (imported here, not at module level)."""
    import warnings

    import exchange_calendars as xcals

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cal = xcals.get_calendar("XNYS", start=start, end=end)
    return pd.DatetimeIndex(cal.sessions).tz_localize(None).as_unit("ns")


def synthetic_data(
    n_events: int = 50,
    *,
    n_tickers: int = 20,
    seed: int = 0,
    sessions: pd.DatetimeIndex | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(events, long prices)``: ``n_tickers`` stocks + ``^GSPC``, no missing price.

    Market-model returns with random alpha/beta and normal noise; events on
    distinct (ticker, session) pairs, each with its full estimation and event
    windows inside the data.
    """
    rng = np.random.default_rng(seed)
    sessions = xnys_sessions() if sessions is None else sessions
    t = len(sessions)
    rm = 0.0003 + 0.01 * rng.standard_normal(t)
    alpha = rng.normal(0.0, 3e-4, n_tickers)
    beta = rng.uniform(0.5, 1.5, n_tickers)
    vol = rng.uniform(0.01, 0.03, n_tickers)
    r = alpha + rm[:, None] * beta + vol * rng.standard_normal((t, n_tickers))
    r[0] = 0.0
    rm[0] = 0.0
    tickers = [f"S{i:03d}" for i in range(n_tickers)]
    wide = pd.DataFrame(50.0 * np.cumprod(1.0 + r, axis=0), index=sessions, columns=tickers)
    wide[MARKET] = 1000.0 * np.cumprod(1.0 + rm)
    lo, hi = -EST[0] + 1, t - 1 - EVT[1]  # first return is row 1
    n_slots = (hi - lo + 1) * n_tickers
    if n_events > n_slots:
        raise ValueError(f"at most {n_slots} distinct events fit in this data")
    slots = rng.choice(n_slots, n_events, replace=False)
    pos, tick = lo + slots // n_tickers, slots % n_tickers
    events = pd.DataFrame(
        {
            "event_id": [f"E{i:05d}" for i in range(n_events)],
            "ticker": [tickers[k] for k in tick],
            "day0": sessions[pos].strftime("%Y-%m-%d"),
        }
    )
    prices = (
        wide.rename_axis("date")
        .reset_index()
        .melt(id_vars="date", var_name="ticker", value_name="adj_close")
    )
    return events, prices


def reference(
    events: pd.DataFrame,
    prices: pd.DataFrame,
    estimation_window: tuple[int, int] = EST,
    event_window: tuple[int, int] = EVT,
    car_window: tuple[int, int] = CAR,
    market: str = MARKET,
) -> pd.DataFrame:
    """An independent market model per event: numpy ``lstsq`` and statsmodels OLS.

    Returns per event: ``ar0, car`` (numpy), ``ar0_sm, car_sm`` (statsmodels),
    ``t_car_peer`` (``car / sqrt(n SSR/T)``: the peer's convention) and ``t_car``
    (the standard one: ``s^2 = SSR/(T-2)`` and the prediction-error covariance
    ``X* Cov(b) X*' + s^2 I``, as our engine).
    """
    import statsmodels.api as sm

    wide = prices.pivot(index="date", columns="ticker", values="adj_close")
    wide.index = pd.DatetimeIndex(pd.to_datetime(wide.index))
    wide = wide.sort_index()
    p = wide.to_numpy(dtype="float64")
    r = np.full_like(p, np.nan)
    r[1:] = p[1:] / p[:-1] - 1.0
    col = {c: i for i, c in enumerate(wide.columns)}
    day_col = "day0" if "day0" in events.columns else "date"
    pos0 = wide.index.get_indexer(pd.DatetimeIndex(pd.to_datetime(events[day_col])))
    est = np.arange(estimation_window[0], estimation_window[1] + 1)
    evt = np.arange(event_window[0], event_window[1] + 1)
    cw = np.flatnonzero((evt >= car_window[0]) & (evt <= car_window[1]))
    i0 = int(np.flatnonzero(evt == 0)[0])
    x_all = r[:, col[market]]
    rows = []
    for eid, tk, p0 in zip(events["event_id"], events["ticker"], pos0, strict=True):
        y, x = r[p0 + est, col[tk]], x_all[p0 + est]
        xm = np.column_stack([np.ones_like(x), x])
        b = np.linalg.lstsq(xm, y, rcond=None)[0]
        resid = y - xm @ b
        ssr, n = float(resid @ resid), len(y)
        xs = np.column_stack([np.ones(len(evt)), x_all[p0 + evt]])
        ar = r[p0 + evt, col[tk]] - xs @ b
        fit = sm.OLS(y, sm.add_constant(x, has_constant="add")).fit()
        ar_sm = r[p0 + evt, col[tk]] - xs @ fit.params
        s2 = ssr / (n - 2)
        v = xs[cw] @ (s2 * np.linalg.inv(xm.T @ xm)) @ xs[cw].T + s2 * np.eye(len(cw))
        car = float(ar[cw].sum())
        rows.append(
            {
                "event_id": eid,
                "ar0": float(ar[i0]),
                "car": car,
                "ar0_sm": float(ar_sm[i0]),
                "car_sm": float(ar_sm[cw].sum()),
                "t_car_peer": car / np.sqrt(len(cw) * ssr / n),
                "t_car": car / np.sqrt(v.sum()),
            }
        )
    return pd.DataFrame(rows)


def validate(
    n_events: int = 50,
    *,
    seed: int = 0,
    venv: Path | None = None,
    tol: float = 1e-8,
    native_car_window: bool = True,
    sessions: pd.DatetimeIndex | None = None,
) -> dict[str, Any]:
    """Run the peer on synthetic data and check it against :func:`reference`.

    Raises ``AssertionError`` if the peer's day-0 AR or ``[-1,+1]`` CAR differ
    from the numpy or statsmodels market model by more than ``tol``, or its
    t-stat from the same formula computed independently. Returns the figures.
    """
    events, prices = synthetic_data(n_events, seed=seed, sessions=sessions)
    res = run_peer(events, prices, venv=venv, native_car_window=native_car_window)
    ref = reference(events, prices).set_index("event_id").loc[res.results["event_id"]]
    got = res.results.set_index("event_id")
    diffs = {
        "ar0_vs_numpy": float(np.max(np.abs(got["ar0"] - ref["ar0"]))),
        "car_vs_numpy": float(np.max(np.abs(got["car"] - ref["car"]))),
        "ar0_vs_statsmodels": float(np.max(np.abs(got["ar0"] - ref["ar0_sm"]))),
        "car_vs_statsmodels": float(np.max(np.abs(got["car"] - ref["car_sm"]))),
        "t_car_vs_peer_formula": float(np.max(np.abs(got["t_car"] - ref["t_car_peer"]))),
    }
    if native_car_window:
        diffs["car_native_vs_numpy"] = float(np.max(np.abs(got["car_native"] - ref["car"])))
        diffs["t_native_vs_peer_formula"] = float(
            np.max(np.abs(got["t_native"] - ref["t_car_peer"]))
        )
    ratio = (got["t_car"] / ref["t_car"]).to_numpy()
    out = {
        "n_events": res.n_events,
        "n_computed": res.n_computed,
        "compute_seconds": res.compute_seconds,
        "prep_seconds": res.prep_seconds,
        "total_seconds": res.total_seconds,
        "ms_per_event": 1e3 * res.seconds_per_event,
        "max_abs_diff": diffs,
        "t_peer_over_t_standard": [float(ratio.min()), float(ratio.max())],
        "meta": res.meta,
    }
    assert res.n_computed == n_events, res.errors
    bad = {k: v for k, v in diffs.items() if not v <= tol}
    assert not bad, f"the peer disagrees with the reference beyond {tol}: {bad}"
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, nargs="+", default=[50, 100, 1000])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--venv", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    venv = ensure_peer_venv() if args.venv is None else args.venv
    print(f"peer venv {venv} ready in {time.perf_counter() - t0:.1f} s")
    sessions = xnys_sessions()
    runs = []
    for n in args.events:
        r = validate(n, seed=args.seed, venv=venv, sessions=sessions)
        runs.append(r)
        d = r["max_abs_diff"]
        print(
            f"N={n:>5}: computed {r['n_computed']}, peer compute {r['compute_seconds']:.3f} s "
            f"({r['ms_per_event']:.2f} ms/event), prep {r['prep_seconds']:.3f} s, "
            f"total {r['total_seconds']:.3f} s; max |dAR0| {d['ar0_vs_numpy']:.1e}, "
            f"|dCAR[-1,+1]| {d['car_vs_numpy']:.1e} (statsmodels {d['car_vs_statsmodels']:.1e})"
            f", |dt (peer formula)| {d['t_car_vs_peer_formula']:.1e}; t_peer / t_standard "
            f"{r['t_peer_over_t_standard'][0]:.4f}..{r['t_peer_over_t_standard'][1]:.4f}"
        )
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
