"""Command-line commands for the price cache: ``fetch`` and ``cache info|clear``.

A thin layer over :mod:`eventstudy.data.cached` and :mod:`eventstudy.data.cache`;
``eventstudy.cli`` registers :data:`fetch` and :data:`cache` on the main group.
Library errors become one ``error: ...`` line on stderr and the error's exit
code (2 bad usage or input, 75 data temporarily unavailable); ``fetch`` exits 1
when some symbols could not be fetched (listed).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from eventstudy.errors import DataUnavailable, EventsFileError, EventStudyError
from eventstudy.safe_text import printable

log = logging.getLogger(__name__)

_CACHE_HELP = (
    "Price cache file [default: the user cache folder, e.g. "
    "~/.cache/eventstudy/prices.sqlite; env EVENTSTUDY_CACHE]."
)


class DataCommandError(click.ClickException):
    """A library error shown as one ``error: ...`` line with its exit code."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(" ".join(message.split()))
        self.exit_code = exit_code  # type: ignore[misc]

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {printable(self.format_message())}", err=True, file=file)


def _clean_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except EventsFileError as exc:
            for issue in exc.issues[:-1]:
                click.echo(f"error: {issue}", err=True)
            last = exc.issues[-1] if exc.issues else exc
            raise DataCommandError(str(last), exc.exit_code) from exc
        except EventStudyError as exc:
            raise DataCommandError(str(exc), exc.exit_code) from exc

    return wrapper


def _cache_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--cache",
        "cache_path",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        envvar="EVENTSTUDY_CACHE",
        help=_CACHE_HELP,
    )(func)


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False)


def _logging(verbose: int) -> None:
    level = logging.WARNING if not verbose else (logging.INFO if verbose == 1 else logging.DEBUG)
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def symbol_ranges(
    events_file: Path,
    estimation_window: tuple[int, int] | None = None,
    event_window: tuple[int, int] | None = None,
    benchmark: str | None = None,
) -> dict[str, tuple[dt.date, dt.date]]:
    """Date range each ticker and benchmark of ``events_file`` needs.

    From one session before the estimation window to the end of the event
    window (default windows ``[-250, -11]`` and ``[-10, 10]``), as computed
    by :meth:`eventstudy.study.EventStudy.date_ranges`.
    """
    from eventstudy.study import EventStudy

    window = event_window or None
    study = EventStudy(
        events_file,
        estimation_window=estimation_window,
        event_window=window,
        car_windows=[window] if window else None,
        benchmark=benchmark,
    )
    return study.date_ranges()


def _progress(console: Any) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    )


def fetch_ranges(
    provider: Any,
    ranges: dict[str, tuple[dt.date, dt.date]],
    console: Any,
    give_up_after: int | None = None,
) -> tuple[dict[str, str], list[str]]:
    """Fill the cache for every symbol; returns ``(failures, transient_failures)``.

    One shared progress display (hidden when stdout is not a terminal). With
    ``give_up_after``, that many transient failures (network, rate limit)
    before any success raise :class:`DataUnavailable` instead of trying every
    remaining symbol.
    """
    failures: dict[str, str] = {}
    transient: list[str] = []
    succeeded = 0
    with _progress(console) as progress:
        task = progress.add_task("fetching prices", total=len(ranges))
        for symbol, (start, end) in sorted(ranges.items()):
            progress.update(task, description=f"fetching {symbol} {start}..{end}")
            try:
                prices = provider.get_prices([symbol], start, end)
            except DataUnavailable as exc:
                failures[symbol] = str(exc)
                transient.append(symbol)
                if give_up_after is not None and not succeeded and len(transient) >= give_up_after:
                    raise DataUnavailable(
                        f"stopped after {len(transient)} symbols failed; first: "
                        f"{failures[transient[0]]}"
                    ) from None
            else:
                succeeded += symbol in prices.frames
                failures.update(prices.missing)
                for note in prices.notes.get(symbol, []):
                    log.warning("%s: %s", symbol, note)
            progress.advance(task)
    return failures, transient


@click.command("fetch")
@click.argument(
    "events_file", metavar="EVENTS.csv", type=click.Path(path_type=Path, dir_okay=False)
)
@_cache_option
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Fetch from this date for every symbol instead of the study's need.",
)
@click.option(
    "--end",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Fetch up to this date (inclusive) for every symbol.",
)
@click.option(
    "--estimation-window",
    type=(int, int),
    default=None,
    metavar="START END",
    help="Estimation window in sessions [default: -250 -11].",
)
@click.option(
    "--event-window",
    type=(int, int),
    default=None,
    metavar="START END",
    help="Event window in sessions [default: -10 10].",
)
@click.option("--benchmark", default=None, help="Benchmark symbol for every event.")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@_clean_errors
def fetch(
    events_file: Path,
    cache_path: Path | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    estimation_window: tuple[int, int] | None,
    event_window: tuple[int, int] | None,
    benchmark: str | None,
    verbose: int,
) -> None:
    """Fill the local price cache with what EVENTS.csv needs; compute nothing.

    Each ticker and benchmark is fetched from Yahoo Finance for the sessions
    its events need (the estimation window's start to the event window's
    end); what the cache already holds is not downloaded again. Later,
    `eventstudy run EVENTS.csv --offline` works without the network.

    \b
    Examples:
      eventstudy fetch events.csv
      eventstudy fetch events.csv --cache prices.sqlite --event-window -20 20
      eventstudy fetch events.csv --start 2015-01-01
    """
    from eventstudy.data.cache import PriceCache
    from eventstudy.data.cached import CachedProvider
    from eventstudy.data.yahoo import YahooProvider

    _logging(verbose)
    ranges = symbol_ranges(events_file, estimation_window, event_window, benchmark)
    if start is not None or end is not None:
        ranges = {
            s: (start.date() if start else a, end.date() if end else b)
            for s, (a, b) in ranges.items()
        }
    bad = {s: r for s, r in ranges.items() if r[0] > r[1]}
    if bad:
        s, (a, b) = next(iter(bad.items()))
        raise DataCommandError(f"--start {a} is after --end {b} for {s}; fix the dates", 2)
    cache = PriceCache(cache_path)
    provider = CachedProvider(YahooProvider(), cache)
    console = _console()
    failures, transient = fetch_ranges(provider, ranges, console)
    rows = sum(provider.rows_written.values())
    ok = len(ranges) - len(failures)
    console.print(
        f"{ok} of {len(ranges)} symbols cached in {cache.path}: "
        f"{rows} rows written, {len(provider.calls)} request(s) to Yahoo Finance"
    )
    if failures:
        for symbol, reason in failures.items():
            if symbol not in transient:
                click.echo(f"failed: {symbol}: {reason}", err=True)
        if transient:
            # One outage, stated once: the first symbol's reason, then who was not fetched.
            first = failures[transient[0]].removeprefix(f"'{transient[0]}': ")
            raise DataCommandError(
                f"{first} ({len(transient)} symbol(s) not fetched: "
                f"{_names(sorted(transient))}; cached data is kept)",
                DataUnavailable.exit_code,
            )
        sys.exit(1)


def _names(items: list[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


@click.group("cache")
def cache() -> None:
    """Inspect or empty the local price cache.

    \b
    Examples:
      eventstudy cache info
      eventstudy cache clear MSFT
    """


@cache.command("info")
@_cache_option
@_clean_errors
def cache_info(cache_path: Path | None) -> None:
    """List the cached tickers: fetched ranges, rows, last fetch and file size,
    then the archived intraday bars (local exchange times), if any.

    \b
    Example:
      eventstudy cache info --cache prices.sqlite
    """
    from rich.table import Table

    from eventstudy.data.cache import PriceCache
    from eventstudy.safe_text import rich_text as escape

    store = PriceCache(cache_path)
    store.verify(full=True)  # the recovery tool says so when the file is damaged
    info = store.info()
    console = _console()
    title = f"{escape(str(info.path))}: {len(info.tickers)} ticker(s), {_size(info.size_bytes)}"
    table = Table(title=title, title_justify="left")
    for col in ("ticker", "fetched ranges", "first", "last", "rows", "last fetch (UTC)"):
        table.add_column(col, overflow="fold")
    for t in info.tickers:
        ranges = ", ".join(f"{a}..{b}" for a, b in t.ranges) or "-"
        last_fetch = f"{t.last_fetch:%Y-%m-%d %H:%M}" if t.last_fetch is not None else "-"
        table.add_row(
            escape(t.ticker),
            ranges,
            str(t.first or "-"),
            str(t.last or "-"),
            str(t.rows),
            last_fetch,
        )
    console.print(table)
    _print_intraday(console, store)


def _print_intraday(console: Any, store: Any) -> None:
    """The "Intraday bars" table of ``cache info`` (nothing when there are none)."""
    from rich.table import Table

    from eventstudy.data.intraday_cache import IntradayCache
    from eventstudy.event_time import get_calendar
    from eventstudy.safe_text import rich_text as escape

    coverage = IntradayCache(store).coverage()
    if not coverage:
        return
    table = Table(title="Intraday bars", title_justify="left")
    for col in (
        "ticker",
        "interval",
        "first bar",
        "last bar",
        "bars",
        "sessions",
        "segments",
        "last fetch (UTC)",
    ):
        table.add_column(col, overflow="fold")
    for c in coverage:
        tz = str(get_calendar(c.mic).tz)
        first, last = c.first.tz_convert(tz), c.last.tz_convert(tz)
        table.add_row(
            escape(c.ticker),
            c.interval,
            f"{first:%Y-%m-%d %H:%M} {first:%Z}",
            f"{last:%Y-%m-%d %H:%M} {last:%Z}",
            str(c.bars),
            str(c.sessions),
            ", ".join(c.segments) or "-",
            f"{c.last_fetch:%Y-%m-%d %H:%M}" if c.last_fetch is not None else "-",
        )
    console.print(table)


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


@cache.command("clear")
@click.argument("ticker", required=False)
@_cache_option
@_clean_errors
def cache_clear(ticker: str | None, cache_path: Path | None) -> None:
    """Remove one TICKER from the cache (daily rows and intraday bars), or everything
    when no TICKER is given.

    \b
    Examples:
      eventstudy cache clear MSFT
      eventstudy cache clear
    """
    from eventstudy.data.cache import (
        CacheCorruptError,
        PriceCache,
        default_cache_path,
        quarantine,
    )
    from eventstudy.data.intraday_cache import IntradayCache

    try:
        store = PriceCache(cache_path)
    except CacheCorruptError:
        path = Path(cache_path).expanduser() if cache_path else default_cache_path()
        moved = quarantine(path)
        click.echo(
            f"the price cache {printable(path)} was corrupt: moved it to {printable(moved)} "
            "(kept for inspection; delete it when done); the next run starts a fresh cache"
        )
        return
    symbol = ticker.strip().upper() if ticker else None
    bars = IntradayCache(store).count(symbol)
    removed = store.clear(symbol)  # the intraday bars go with the daily rows
    what = f"{removed} rows of {symbol}" if symbol else f"all {removed} rows"
    if bars:
        what += f" and {bars} intraday bars"
    click.echo(f"removed {what} from {store.path}")
