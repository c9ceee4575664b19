"""Regenerate the bundled sample prices from ../shared/data (run from the repository root).

Keeps, for every ticker and benchmark of the sample ``events.csv``, only the rows on the
dates its events' windows use (one session before the estimation window to the end of the
event window, default windows), copied byte for byte from the source files.

    python examples/prices/trim.py
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from eventstudy.study import EventStudy

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
OUT = Path(__file__).resolve().parent
SOURCES = {
    "MSFT": SHARED / "prices_yahoo" / "MSFT.csv",
    "AAPL": SHARED / "prices_yahoo" / "AAPL.csv",
    "GOOGL": SHARED / "prices_yahoo" / "GOOGL.csv",
    "AMZN": SHARED / "prices_yahoo" / "AMZN.csv",
    "NVDA": SHARED / "prices_yahoo" / "NVDA.csv",
    "ORCL": SHARED / "prices_yahoo" / "ORCL.csv",
    "^GSPC": SHARED / "prices" / "GSPC.csv",
}


def main() -> None:
    study = EventStudy(ROOT / "events.csv")
    first = study.settings.estimation_window[0] - 1
    last = study.settings.event_window[1]
    spans: dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]] = {}
    for grp, lo, hi in study._window_bounds(first, last):
        for ticker, bench, a, b in zip(grp["ticker"], grp["benchmark"], lo, hi, strict=True):
            for sym in (ticker, bench):
                spans.setdefault(str(sym), []).append((a, b))
    for sym, ranges in sorted(spans.items()):
        src = SOURCES[sym]
        lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [lines[0]]
        for line in lines[1:]:
            day = pd.Timestamp(line.split(",", 1)[0])
            if any(a <= day <= b for a, b in ranges):
                kept.append(line)
        name = sym.lstrip("^") + ".csv"
        (OUT / name).write_text("".join(kept), encoding="utf-8")
        print(f"{name}: {len(kept) - 1} rows from {src.relative_to(SHARED.parent.parent)}")


if __name__ == "__main__":
    main()
