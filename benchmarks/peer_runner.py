"""Run the PyPI package ``eventstudy==0.1a12`` (the "peer") on our data files.

This script is executed by ``benchmarks/peer.py`` with the python of the peer's
own virtual environment (``benchmarks/.venv-peer``), in isolated mode
(``python -I``), never in our process: the peer shares our import name.

Usage (done for you by ``peer.run_peer``)::

    .venv-peer/bin/python -I benchmarks/peer_runner.py DATA_DIR RESULT_JSON

``DATA_DIR`` holds ``events.csv`` (event_id, ticker, day0 as YYYY-MM-DD),
``prices.csv`` (long: date, ticker, adj_close; the market index is one of the
tickers) and ``config.json`` (market ticker, windows, options). The runner

1. reads them (``load_seconds``, not counted in the peer's time);
2. imports the peer (``import_seconds``, not counted);
3. prepares the data in the peer's own format (``prep_seconds``): a wide
   session x ticker table of *simple* returns ``P_t / P_{t-1} - 1`` between
   consecutive rows of the data (every date of the data is a row; a missing
   price leaves two returns missing), written as the peer's returns CSV
   (``date`` + one column per ticker) and read with the peer's own
   ``Single.import_returns`` (``is_price=False``: the peer's own price
   conversion makes log returns, or ``(P_t - P_{t-1}) / P_t``);
   events with a missing stock or market return in their estimation rows are
   taken out here (the peer's ``sm.OLS`` raises on a NaN regressor, which
   aborts its whole loop) and reported as errors ``MissingEstimationReturns``;
4. runs the peer's multi-event API, timed alone (``compute_seconds``)::

       Multiple.from_list(events, Single.market_model, event_window=(c, d),
                          estimation_size=b - a + 1, buffer_size=c - b - 1)

   which, for our estimation window [a, b] and event window [c, d] (days
   relative to day 0, counted in rows of the returns table), makes the peer
   fit on exactly rows [a, b] and report ARs on rows [c, d];
5. writes every event's ARs, the peer's variance, CAR and t-stat to JSON.

The network is blocked before anything is imported: any connection attempt
raises, is recorded, and makes the runner exit with status 3.
"""

from __future__ import annotations

import json
import socket
import sys
import tempfile
import time
from pathlib import Path

PEER_VERSION = "0.1a12"
NETWORK_ATTEMPTS: list[str] = []


class NetworkBlockedError(RuntimeError):
    """The peer (or one of its dependencies) tried to reach the network."""


def block_network() -> None:
    """Make every outgoing connection and DNS look-up raise (and record it)."""

    def refuse(*args, **kwargs):
        what = repr(args[1:] if args and isinstance(args[0], socket.socket) else args)[:200]
        NETWORK_ATTEMPTS.append(what)
        raise NetworkBlockedError(f"peer_runner: network access is blocked (tried {what})")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse  # type: ignore[assignment]
    socket.getaddrinfo = refuse  # type: ignore[assignment]


EXCLUDED = "MissingEstimationReturns"


def screen_missing(event_list: list[dict], table, r, est: tuple[int, int], market: str):
    """Take out (and return, as errors) the events the peer cannot fit.

    A missing market return in the estimation rows makes the peer's
    ``sm.OLS(...)`` raise ``MissingDataError``, which the peer does not catch
    (the whole ``Multiple.from_list`` fails); a missing stock return there
    makes its fit silently all-NaN. Events with a missing return in the
    estimation rows are therefore not given to the peer (our engine drops the
    missing days instead). Missing returns in the event window are left to the
    peer (NaN ARs on those days). Events the peer would refuse anyway (unknown
    ticker or date, window off the data) are left for its own error handling.
    """
    import numpy as np

    dates = table["date"].to_numpy()
    cols = {c: j for j, c in enumerate(table.columns[1:])}
    if market not in cols:
        return []
    bad = np.vstack([np.zeros((1, r.shape[1]), dtype=np.int64), np.cumsum(~np.isfinite(r), axis=0)])
    keep, out = [], []
    for d in event_list:
        day0 = str(d["event_date"])
        i = int(np.searchsorted(dates, day0))
        j = cols.get(d["security_ticker"])
        lo, hi = i + est[0], i + est[1] + 1
        if j is None or i >= len(dates) or dates[i] != day0 or lo < 0 or hi > len(dates):
            keep.append(d)
            continue
        n_bad = int(bad[hi, j] - bad[lo, j]) + int(bad[hi, cols[market]] - bad[lo, cols[market]])
        if n_bad:
            d["error_type"] = EXCLUDED
            d["error_msg"] = (
                f"{n_bad} missing stock/market returns in the estimation window "
                "(excluded by the runner: the peer cannot fit them)"
            )
            out.append(d)
        else:
            keep.append(d)
    event_list[:] = keep
    return out


def _floats(values) -> list[float]:
    return [float(v) for v in values]


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    block_network()
    data_dir, out_path = Path(argv[1]), Path(argv[2])
    cfg = json.loads((data_dir / "config.json").read_text())
    market = str(cfg["market"])
    est = tuple(int(x) for x in cfg["estimation_window"])
    evt = tuple(int(x) for x in cfg["event_window"])
    car_w = tuple(int(x) for x in cfg["car_window"])
    if not est[1] < evt[0] <= 0 <= evt[1]:
        raise SystemExit(f"peer_runner: unsupported windows estimation={est} event={evt}")
    estimation_size = est[1] - est[0] + 1
    buffer_size = evt[0] - est[1] - 1

    import numpy as np
    import pandas as pd

    # ------------------------------------------------------------ our data (not timed)
    t0 = time.perf_counter()
    events = pd.read_csv(data_dir / "events.csv", dtype=str, keep_default_na=False)
    prices = pd.read_csv(
        data_dir / "prices.csv",
        dtype={"date": str, "ticker": str, "adj_close": float},
        keep_default_na=False,
        na_values={"adj_close": [""]},
        float_precision="round_trip",
    )
    load_seconds = time.perf_counter() - t0

    # ------------------------------------------------------------ the peer (import not timed)
    t0 = time.perf_counter()
    import eventstudy as peer
    from eventstudy import Multiple, Single

    import_seconds = time.perf_counter() - t0
    peer_file = Path(peer.__file__).resolve()
    if peer.__version__ != PEER_VERSION or Path(sys.prefix).resolve() not in peer_file.parents:
        raise SystemExit(
            f"peer_runner: imported eventstudy {peer.__version__} from {peer_file}, "
            f"expected {PEER_VERSION} from the peer venv {sys.prefix}"
        )

    with tempfile.TemporaryDirectory(prefix="peer-returns-") as tmp:
        # -------------------------------------------------------- prep in the peer's format
        t0 = time.perf_counter()
        wide = prices.pivot(index="date", columns="ticker", values="adj_close").sort_index()
        p = wide.to_numpy(dtype="float64")
        r = p[1:] / p[:-1] - 1.0  # simple returns between consecutive rows (sessions)
        table = pd.DataFrame(r, columns=list(wide.columns))
        table.insert(0, "date", wide.index[1:])  # the first row has no return: dropped
        returns_csv = Path(tmp) / "returns.csv"
        table.to_csv(returns_csv, index=False)
        Single.import_returns(str(returns_csv))  # the peer's own reader (pandas.read_csv)
        event_list = [
            {
                "event_id": e.event_id,  # extra key: Single.market_model takes **kwargs
                "security_ticker": e.ticker,
                "market_ticker": market,
                "event_date": np.datetime64(e.day0, "D"),
            }
            for e in events.itertuples(index=False)
        ]
        excluded = screen_missing(event_list, table, r, est, market)
        prep_seconds = time.perf_counter() - t0

    # The peer must see exactly our returns (CSV round trip through its reader).
    loaded = Single._parameters["returns"]
    inexact, max_diff = 0, 0.0
    for j, col in enumerate(table.columns[1:]):
        got = np.asarray(loaded[col], dtype="float64")
        same = (got == r[:, j]) | (np.isnan(got) & np.isnan(r[:, j]))
        inexact += int((~same).sum())
        if (~same).any():
            max_diff = max(max_diff, float(np.nanmax(np.abs(got - r[:, j]))))
    dates_ok = bool((pd.DatetimeIndex(loaded["date"]).strftime("%Y-%m-%d") == table["date"]).all())

    # ------------------------------------------------------------ the peer's computation
    def run(ev_list, window, est_size, buf):
        """Multiple.from_list; returns (singles, errors) in event order."""
        try:
            agg = Multiple.from_list(
                ev_list,
                Single.market_model,
                event_window=window,
                estimation_size=est_size,
                buffer_size=buf,
                ignore_errors=True,
            )
            singles = agg.sample
        except IndexError:  # Multiple([]) fails when no event could be computed
            singles = []
        ok = [d for d in ev_list if "error_type" not in d]
        bad = [d for d in ev_list if "error_type" in d]
        return list(zip(ok, singles, strict=True)), bad

    t0 = time.perf_counter()
    done, failed = run(event_list, evt, estimation_size, buffer_size)
    compute_seconds = time.perf_counter() - t0
    failed = excluded + failed

    out_events = [
        {
            "event_id": d["event_id"],
            "ar": _floats(s.AR),
            "var_ar": float(s.var_AR[0]),
            "df": int(s.df),
            "car_end": float(s.CAR[-1]),
            "t_end": float(s.tstat[-1]),
            "p_end": float(s.pvalue[-1]),
        }
        for d, s in done
    ]
    out_errors = [
        {"event_id": d["event_id"], "error_type": d["error_type"], "error_msg": d["error_msg"]}
        for d in failed
    ]

    # Optional, not timed: the peer's own CAR and t-stat over the CAR window, from a
    # second run whose event window *is* the CAR window (same estimation rows).
    native = None
    native_seconds = None
    if cfg.get("native_car_window"):
        ev2 = [
            {k: d[k] for k in ("event_id", "security_ticker", "market_ticker", "event_date")}
            for d in event_list
        ]
        t0 = time.perf_counter()
        done2, _ = run(ev2, car_w, estimation_size, car_w[0] - est[1] - 1)
        native_seconds = time.perf_counter() - t0
        native = {
            d["event_id"]: {
                "car": float(s.CAR[-1]),
                "t": float(s.tstat[-1]),
                "p": float(s.pvalue[-1]),
            }
            for d, s in done2
        }

    import matplotlib
    import scipy
    import statsmodels

    result = {
        "peer_version": peer.__version__,
        "peer_file": str(peer_file),
        "python": sys.version.split()[0],
        "versions": {
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "scipy": scipy.__version__,
            "statsmodels": statsmodels.__version__,
            "matplotlib": matplotlib.__version__,
        },
        "peer_call": {
            "api": "Multiple.from_list(..., Single.market_model, ...)",
            "event_window": list(evt),
            "estimation_size": estimation_size,
            "buffer_size": buffer_size,
        },
        "n_events": len(event_list) + len(excluded),
        "n_excluded": len(excluded),
        "n_computed": len(out_events),
        "n_rows": len(table),
        "load_seconds": load_seconds,
        "import_seconds": import_seconds,
        "prep_seconds": prep_seconds,
        "compute_seconds": compute_seconds,
        "total_seconds": prep_seconds + compute_seconds,
        "native_seconds": native_seconds,
        "returns_inexact": inexact,
        "returns_max_abs_diff": max_diff,
        "dates_ok": dates_ok,
        "events": out_events,
        "errors": out_errors,
        "native": native,
        "network_attempts": NETWORK_ATTEMPTS,
    }
    out_path.write_text(json.dumps(result))
    if NETWORK_ATTEMPTS:
        print(f"peer_runner: the peer tried the network: {NETWORK_ATTEMPTS}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
