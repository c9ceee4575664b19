"""The intraday step of a batch study: archive bars, then the intraday tables.

A study with ``intraday_archive`` (``docs/batch.md``) first stores in its price
cache every bar Yahoo Finance still serves that the cache lacks
(:func:`eventstudy.data.intraday_cache.archive_intraday`; 1-minute bars are
served for 30 days only), then, with the study's results, computes
``intraday_car`` and ``intraday_ar`` from the cached bars
(:func:`eventstudy.intraday.study_intraday`), so the tables stay computable
after Yahoo has dropped the bars.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from eventstudy.batch.config import StudyConfig
from eventstudy.batch.staging import INTRADAY_TABLES

__all__ = ["INTRADAY_TABLES", "run_archive", "tables_present", "write_intraday_tables"]

logger = logging.getLogger(__name__)


def archive_tickers(cfg: StudyConfig, events: pd.DataFrame) -> list[str]:
    """The symbols a study archives: its list, or its events' tickers and benchmarks."""
    if isinstance(cfg.intraday_archive, tuple):
        return list(cfg.intraday_archive)
    if not cfg.intraday_archive:
        return []
    names: list[str] = []
    for col in ("ticker", "benchmark"):
        if col in events.columns:
            names += [str(v).strip().upper() for v in events[col].dropna() if str(v).strip()]
    if cfg.benchmark:
        names.append(cfg.benchmark)
    return list(dict.fromkeys(n for n in names if n not in ("NAN", "<NA>", "NONE")))


def run_archive(
    cfg: StudyConfig,
    events: pd.DataFrame,
    client: Any = None,
    now: dt.datetime | pd.Timestamp | None = None,
) -> list[dict[str, Any]]:
    """Archive the study's bars; one record per ticker and interval (for the run log).

    Nothing is fetched for an ``offline`` study (its tables still come from
    the cache). Failures are in the records (``error``), never raised.
    """
    from eventstudy.data.cache import PriceCache
    from eventstudy.data.intraday_cache import archive_intraday

    tickers = archive_tickers(cfg, events)
    if cfg.source.offline:
        logger.info("%s: offline, intraday bars not archived", cfg.name)
        return []
    results = archive_intraday(
        tickers, cfg.intraday_intervals, PriceCache(cfg.source.cache), client, now=now
    )
    for r in results:
        (logger.warning if r.error else logger.info)("%s: intraday %s", cfg.name, r.line())
    return [r.to_dict() for r in results]


def table_formats(formats: tuple[str, ...]) -> list[str]:
    """The formats of the intraday tables: the study's table formats, else CSV."""
    return [f for f in formats if f in ("csv", "parquet")] or ["csv"]


def tables_present(cfg: StudyConfig, out: Path) -> bool:
    """True when ``out`` holds every intraday table of the study's formats."""
    return all(
        (out / f"{name}.{fmt}").is_file()
        for name in INTRADAY_TABLES
        for fmt in table_formats(cfg.formats)
    )


def write_intraday_tables(
    cfg: StudyConfig, res: Any, folder: Path, formats: tuple[str, ...]
) -> list[Path]:
    """``intraday_car``, ``intraday_ar`` and ``intraday_tests`` of ``res.events`` from the
    cached bars (:meth:`eventstudy.StudyResult.intraday`, which also puts them on the
    event pages rendered after this)."""
    from eventstudy.data.cache import PriceCache
    from eventstudy.data.intraday_cache import IntradayCache
    from eventstudy.output import write_table

    cache = IntradayCache(PriceCache(cfg.source.cache))
    symbols = archive_tickers(cfg, res.events)
    if isinstance(cfg.intraday_archive, tuple):  # the events' own symbols may be cached too
        symbols += archive_tickers(dataclasses.replace(cfg, intraday_archive=True), res.events)
    symbols = list(dict.fromkeys(symbols))
    bars = pd.DataFrame()
    for interval in ("1m", "5m"):
        if interval not in cfg.intraday_intervals:
            continue
        bars = cache.read(symbols, interval)
        if not bars.empty:
            break
    if bars.empty:
        bars = cache.read(symbols, "1m")
    got = res.intraday(
        bars.drop(columns="fetched_at", errors="ignore"),
        source=f"minute bars archived in {cfg.source.cache}",
    )
    written = []
    for fmt in table_formats(formats):
        for name, table in got.items():
            written.append(write_table(table, folder / f"intraday_{name}.{fmt}", fmt))
    car = got["car"]
    measured = int(car["car"].notna().sum()) if "car" in car.columns else 0
    logger.info(
        "%s: intraday tables from %d cached bars: %d CAR rows with a value",
        cfg.name,
        len(bars),
        measured,
    )
    return written
