"""A local SQLite cache of daily prices, shared safely between processes.

Location
--------
``PriceCache(path)`` uses, in order: the ``path`` argument, the environment
variable ``EVENTSTUDY_CACHE`` (a file path, or a folder that gets
``prices.sqlite`` inside it), then
``platformdirs.user_cache_dir("eventstudy")/prices.sqlite``.

Layout
------
* ``PRAGMA application_id`` = ``0x45565354`` ("EVST") and ``meta`` rows
  ``app = eventstudy``, ``schema_version = 1``: any other file is refused with
  a message saying how to get out of the way.
* ``prices(ticker, date, adj_close, close, open, high, low, volume, dividends,
  splits)``, one row per ticker and session date (``YYYY-MM-DD``).
* ``fetches(ticker, start, end, fetched_at, rows)``: the date ranges asked of
  the upstream provider and when (UTC). A range counts as fetched even where
  the provider had no rows (holidays, gaps in its data), except for sessions
  not yet complete when it was fetched.
* ``intraday_bars(ticker, interval, ts, open, high, low, close, volume,
  segment, fetched_at)``: intraday bars archived by
  :mod:`eventstudy.data.intraday_cache`, one row per ticker, interval and bar
  start ``ts`` (UTC epoch seconds); ``intraday_fetches(ticker, interval,
  start, end, fetched_at, rows)``: the ranges asked for. These two tables were
  added after schema 1 was released; the change is additive (``CREATE TABLE IF
  NOT EXISTS`` on every open, so older cache files gain them and older
  eventstudy versions ignore them), hence ``schema_version`` stays 1.

Concurrency and crashes
-----------------------
WAL journal, ``busy_timeout``: readers never block, a second writer waits. Each
:meth:`PriceCache.write` is one ``BEGIN IMMEDIATE ... COMMIT`` holding the
ticker's rows *and* its fetch record, so a killed process leaves either the
whole ticker update or none of it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.errors import InputError

log = logging.getLogger(__name__)

APPLICATION_ID = 0x45565354  # "EVST"
SCHEMA_VERSION = 1
ENV_VAR = "EVENTSTUDY_CACHE"
DEFAULT_FILENAME = "prices.sqlite"
PRICE_FIELDS: tuple[str, ...] = (
    "adj_close",
    "close",
    "open",
    "high",
    "low",
    "volume",
    "dividends",
    "splits",
)
#: A session counts as complete this long after its close.
SETTLE = pd.Timedelta(hours=1)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS prices (
    ticker TEXT NOT NULL,
    date TEXT NOT NULL,
    {", ".join(f"{c} REAL" for c in PRICE_FIELDS)},
    PRIMARY KEY (ticker, date)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fetches (
    id INTEGER PRIMARY KEY,
    ticker TEXT NOT NULL,
    start TEXT NOT NULL,
    end TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    rows INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS fetches_by_ticker ON fetches (ticker, start);
"""
#: Intraday tables (additive to schema 1: created on open when missing).
INTRADAY_TABLES = ("intraday_bars", "intraday_fetches")
_INTRADAY_SCHEMA = """
CREATE TABLE IF NOT EXISTS intraday_bars (
    ticker TEXT NOT NULL,
    interval TEXT NOT NULL,
    ts INTEGER NOT NULL,
    open REAL,
    high REAL,
    low REAL,
    close REAL NOT NULL,
    volume REAL,
    segment TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (ticker, interval, ts)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS intraday_fetches (
    id INTEGER PRIMARY KEY,
    ticker TEXT NOT NULL,
    interval TEXT NOT NULL,
    start TEXT NOT NULL,
    end TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    rows INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS intraday_fetches_by_ticker ON intraday_fetches (ticker, interval);
"""
_SCHEMA += _INTRADAY_SCHEMA


class CacheFileError(InputError):
    """The cache path holds something that is not an eventstudy price cache."""


class CacheCorruptError(CacheFileError):
    """The cache file is damaged: no number is served from it."""


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    """A damaged file, as opposed to a busy one ("database is locked")."""
    text = str(exc).lower()
    if any(k in text for k in ("malformed", "corrupt", "not a database", "disk i/o")):
        return True
    # constraint, programming and busy errors are subclasses; damage is the base class
    return type(exc) is sqlite3.DatabaseError


def corrupt_message(path: Path, detail: str) -> str:
    return (
        f"the price cache {path} is corrupt ({detail}); no prices were read from it. "
        f"Recover with `eventstudy cache clear --cache {path}` (the damaged file is moved "
        "aside, not deleted), then fetch again"
    )


def quarantine(path: Path) -> Path:
    """Move a damaged cache file (and its WAL and shared-memory files) aside; returns
    the new name ``<name>.corrupt-<UTC time>``."""
    stamp = pd.Timestamp.now(tz="UTC").strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        src = Path(f"{path}{suffix}")
        if src.exists():
            os.replace(src, Path(f"{target}{suffix}"))
    log.warning("moved the corrupt price cache %s to %s", path, target)
    return target


@contextlib.contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` on ``conn``; rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


#: Caches verified by ``PRAGMA quick_check`` in this process: (path, size, mtime).
_VERIFIED: set[tuple[str, int, int]] = set()


@dataclass(frozen=True)
class TickerInfo:
    """What the cache holds for one ticker."""

    ticker: str
    first: dt.date | None
    last: dt.date | None
    rows: int
    last_fetch: pd.Timestamp | None
    ranges: tuple[tuple[dt.date, dt.date], ...]


@dataclass(frozen=True)
class CacheInfo:
    """Summary of a cache file: its path, size on disk and per-ticker rows."""

    path: Path
    size_bytes: int
    tickers: tuple[TickerInfo, ...]


def default_cache_path() -> Path:
    """``$EVENTSTUDY_CACHE`` or ``user_cache_dir("eventstudy")/prices.sqlite``."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        path = Path(env).expanduser()
        return path / DEFAULT_FILENAME if path.is_dir() else path
    import platformdirs

    return Path(platformdirs.user_cache_dir("eventstudy")) / DEFAULT_FILENAME


def _iso(value: dt.date | str | pd.Timestamp) -> str:
    return pd.Timestamp(value).date().isoformat()


def _utc(value: dt.datetime | str | pd.Timestamp | None) -> pd.Timestamp:
    ts = pd.Timestamp.now(tz="UTC") if value is None else pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _empty_prices() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=float) for c in PRICE_FIELDS},
        index=pd.DatetimeIndex([], dtype="datetime64[ns]", name="date"),
    )


def completion_times(
    sessions: pd.DatetimeIndex, closes: pd.Series | None = None
) -> pd.DatetimeIndex:
    """UTC time after which each session's daily bar is final.

    ``closes`` (session -> close time, e.g. ``calendar.closes``) gives
    ``close + SETTLE``; without it, the next midnight UTC (safe for every
    exchange from Asia to the Americas, which all close before then).
    """
    if closes is not None:
        c = pd.DatetimeIndex(closes.reindex(sessions))
        c = c.tz_localize("UTC") if c.tz is None else c.tz_convert("UTC")
        fallback = (sessions + pd.Timedelta(days=1)).tz_localize("UTC")
        return (c + SETTLE).where(c.notna(), fallback)
    return (sessions + pd.Timedelta(days=1)).tz_localize("UTC")


class PriceCache:
    """SQLite price cache (see the module docstring for layout and safety).

    Parameters
    ----------
    path
        Cache file; default :func:`default_cache_path`.
    timeout
        Seconds to wait for another process's write to finish.

    Raises
    ------
    CacheFileError
        ``path`` exists but is not an eventstudy price cache.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, timeout: float = 60.0):
        self.path = Path(path).expanduser() if path is not None else default_cache_path()
        self.timeout = float(timeout)
        if self.path.is_dir():
            raise CacheFileError(
                f"{self.path} is a folder, not a price cache file; pass --cache "
                f"{self.path / DEFAULT_FILENAME}"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._initialise()
        self.verify()

    # ------------------------------------------------------------------ plumbing

    def _not_a_cache(self, detail: str) -> CacheFileError:
        return CacheFileError(
            f"{self.path} is not an eventstudy price cache (or is corrupt): move it away "
            f"or pass --cache PATH ({detail})"
        )

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        # WAL + NORMAL: a killed process loses nothing committed; a power cut may
        # drop the last commits but never corrupts the file (fine for a cache).
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """A connection; damage found while using it raises :class:`CacheCorruptError`."""
        with self._damage_reported():
            conn = self._connect()
        try:
            with self._damage_reported():
                yield conn
        finally:
            conn.close()

    @contextlib.contextmanager
    def _damage_reported(self) -> Iterator[None]:
        """SQLite errors that mean a damaged file become :class:`CacheCorruptError`;
        the others (busy, constraints) pass through."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if _is_corruption(exc):
                raise CacheCorruptError(corrupt_message(self.path, str(exc))) from None
            raise

    def verify(self, full: bool = False) -> None:
        """``PRAGMA quick_check`` (``integrity_check`` with ``full``) once per process and
        file state; raises :class:`CacheCorruptError` unless it answers ``ok``."""
        try:
            st = self.path.stat()
        except OSError:
            return
        key = (str(self.path.resolve()), st.st_size, st.st_mtime_ns)
        if key in _VERIFIED and not full:
            return
        pragma = "integrity_check" if full else "quick_check"
        with self._connection() as conn:
            rows = [str(r[0]) for r in conn.execute(f"PRAGMA {pragma}(5)").fetchall()]
        if rows != ["ok"]:
            detail = " ".join("; ".join(rows).split())
            raise CacheCorruptError(corrupt_message(self.path, detail[:300]))
        _VERIFIED.add(key)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A connection inside ``BEGIN IMMEDIATE`` ... ``COMMIT`` (see :func:`_immediate`)."""
        with self._connection() as conn, _immediate(conn):
            yield conn

    def _initialise(self) -> None:
        try:
            with self.path.open("rb") as f:
                head = f.read(16)
        except OSError:
            head = b""
        if head and head != b"SQLite format 3\x00":
            raise self._not_a_cache("not an SQLite file")
        with self._connection() as conn:  # damage raises CacheCorruptError
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            if app_id == APPLICATION_ID:
                self._check_meta(conn)
            else:
                self._create(conn, app_id)
            conn.execute("PRAGMA journal_mode = WAL")

    def _create(self, conn: sqlite3.Connection, app_id: int) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            if app_id == APPLICATION_ID:  # another process created it meanwhile
                conn.execute("COMMIT")
                self._check_meta(conn)
                return
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master")]
            if app_id != 0 or tables:
                shown = ", ".join(tables[:5]) or f"application_id {app_id}"
                raise self._not_a_cache(f"a different SQLite database: {shown}")
            # one statement at a time: executescript() would COMMIT first
            for statement in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(statement)
            conn.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [
                    ("app", "eventstudy"),
                    ("schema_version", str(SCHEMA_VERSION)),
                    ("created_at", _utc(None).isoformat()),
                ],
            )
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        log.info("created price cache %s", self.path)

    def _check_meta(self, conn: sqlite3.Connection) -> None:
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            if _is_corruption(exc):
                raise  # the connection reports damage (CacheCorruptError)
            raise self._not_a_cache(str(exc)) from exc
        if meta.get("app") != "eventstudy":
            raise self._not_a_cache("no eventstudy marker in its meta table")
        version = int(meta.get("schema_version", "0"))
        if version > SCHEMA_VERSION:
            raise CacheFileError(
                f"{self.path} was written by a newer eventstudy (cache schema {version}, this "
                f"version reads {SCHEMA_VERSION}): upgrade eventstudy or pass --cache PATH"
            )
        self._add_intraday_tables(conn)

    def _add_intraday_tables(self, conn: sqlite3.Connection) -> None:
        """Create the intraday tables in a cache file written before they existed."""
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if set(INTRADAY_TABLES) <= names:
            return
        with _immediate(conn):  # IF NOT EXISTS: another process may win the race
            for statement in filter(str.strip, _INTRADAY_SCHEMA.split(";")):
                conn.execute(statement)
        log.info("added the intraday tables to price cache %s", self.path)

    # ------------------------------------------------------------------ reading

    def read(
        self,
        ticker: str,
        start: dt.date | str | None = None,
        end: dt.date | str | None = None,
    ) -> pd.DataFrame:
        """Cached rows of ``ticker`` with dates in ``[start, end]`` (inclusive).

        Returns a frame indexed by a tz-naive ``DatetimeIndex`` named ``date``
        with float columns :data:`PRICE_FIELDS` (empty if nothing is cached).
        """
        lo = _iso(start) if start is not None else "0000-01-01"
        hi = _iso(end) if end is not None else "9999-12-31"
        with self._connection() as conn:
            rows = conn.execute(
                f"SELECT date, {', '.join(PRICE_FIELDS)} FROM prices "
                "WHERE ticker = ? AND date BETWEEN ? AND ? ORDER BY date",
                (ticker, lo, hi),
            ).fetchall()
        if not rows:
            return _empty_prices()
        frame = pd.DataFrame(rows, columns=["date", *PRICE_FIELDS])
        dates = pd.to_datetime(frame.pop("date"), format="%Y-%m-%d", errors="coerce")
        values = frame.apply(pd.to_numeric, errors="coerce").astype(float)
        raw = frame.notna()
        bad = dates.isna() | (raw & values.isna()).any(axis=1) | (values["adj_close"] <= 0)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            shown = ", ".join(str(v) for v in rows[i][:3])
            raise CacheCorruptError(
                corrupt_message(
                    self.path, f"{ticker} has a row that is not a date and prices: {shown}"
                )
            )
        values.index = pd.DatetimeIndex(dates, name="date").as_unit("ns")
        return values

    def cached_dates(self, ticker: str) -> pd.DatetimeIndex:
        """Dates with a cached row for ``ticker``, ascending."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT date FROM prices WHERE ticker = ? ORDER BY date", (ticker,)
            ).fetchall()
        return pd.DatetimeIndex(pd.to_datetime([r[0] for r in rows]), name="date").as_unit("ns")

    def fetch_records(self, ticker: str) -> pd.DataFrame:
        """The ``fetches`` rows of ``ticker``: ``start, end`` (dates), ``fetched_at`` (UTC)."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT start, end, fetched_at, rows FROM fetches WHERE ticker = ? "
                "ORDER BY start, end",
                (ticker,),
            ).fetchall()
        frame = pd.DataFrame(rows, columns=["start", "end", "fetched_at", "rows"])
        frame["start"] = pd.to_datetime(frame["start"]).astype("datetime64[ns]")
        frame["end"] = pd.to_datetime(frame["end"]).astype("datetime64[ns]")
        frame["fetched_at"] = pd.to_datetime(frame["fetched_at"], utc=True)
        return frame

    def covered_ranges(self, ticker: str) -> list[tuple[dt.date, dt.date]]:
        """Fetched date ranges of ``ticker``, merged where they overlap or touch."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT start, end FROM fetches WHERE ticker = ? ORDER BY start, end", (ticker,)
            ).fetchall()
        return _merge_ranges(rows)

    def missing_ranges(
        self,
        ticker: str,
        start: dt.date | str,
        end: dt.date | str,
        sessions: pd.DatetimeIndex | Sequence[dt.date],
        closes: pd.Series | None = None,
    ) -> list[tuple[dt.date, dt.date]]:
        """Runs of consecutive ``sessions`` in ``[start, end]`` not yet fetched.

        A session is fetched when a fetch record covers its date and the fetch
        happened after the session was complete (:func:`completion_times`), so
        a session fetched while it was still trading is asked for again. Ranges
        are ``(first_session, last_session)`` pairs, ascending.
        """
        sess = pd.DatetimeIndex(np.asarray(sessions, dtype="datetime64[ns]"))
        sess = sess.normalize().unique().sort_values()
        sess = sess[(sess >= pd.Timestamp(start)) & (sess <= pd.Timestamp(end))]
        if len(sess) == 0:
            return []
        done = np.zeros(len(sess), dtype=bool)
        ready = completion_times(sess, closes)
        recs = self.fetch_records(ticker)
        for f_start, f_end, f_at in zip(
            recs["start"], recs["end"], recs["fetched_at"], strict=True
        ):
            done |= (sess >= f_start) & (sess <= f_end) & (ready <= f_at)
        return _runs(sess, ~done)

    def info(self) -> CacheInfo:
        """Per-ticker summary and the size of the cache on disk (with its WAL)."""
        with self._connection() as conn:
            price_rows = conn.execute(
                "SELECT ticker, MIN(date), MAX(date), COUNT(*) FROM prices GROUP BY ticker"
            ).fetchall()
            fetch_rows = conn.execute(
                "SELECT ticker, start, end, fetched_at FROM fetches ORDER BY ticker, start, end"
            ).fetchall()
        prices = {t: (a, b, n) for t, a, b, n in price_rows}
        fetched: dict[str, str] = {}
        spans: dict[str, list[tuple[str, str]]] = {}
        for t, a, b, at in fetch_rows:
            fetched[t] = max(fetched.get(t, at), at)
            spans.setdefault(t, []).append((a, b))
        tickers = []
        for ticker in sorted(set(prices) | set(fetched)):
            first, last, n = prices.get(ticker, (None, None, 0))
            tickers.append(
                TickerInfo(
                    ticker=ticker,
                    first=dt.date.fromisoformat(first) if first else None,
                    last=dt.date.fromisoformat(last) if last else None,
                    rows=int(n),
                    last_fetch=pd.Timestamp(fetched[ticker]) if ticker in fetched else None,
                    ranges=tuple(_merge_ranges(spans.get(ticker, []))),
                )
            )
        size = sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())
        return CacheInfo(self.path, size, tuple(tickers))

    # ------------------------------------------------------------------ writing

    def write(
        self,
        ticker: str,
        frame: pd.DataFrame,
        start: dt.date | str,
        end: dt.date | str,
        fetched_at: dt.datetime | pd.Timestamp | None = None,
    ) -> int:
        """Store what the provider returned for ``ticker`` over ``[start, end]``.

        In one transaction: delete the ticker's cached rows in ``[start, end]``
        (the fresh fetch is the truth there, e.g. after a dividend changed the
        adjusted closes), insert the rows of ``frame`` inside the range and add
        the fetch record. ``frame`` is indexed by date and has an ``adj_close``
        column; missing optional columns are stored as NULL.

        Returns
        -------
        int
            Number of rows written.
        """
        lo, hi = _iso(start), _iso(end)
        if lo > hi:
            raise ValueError(f"write range {lo}..{hi} starts after it ends")
        if "adj_close" not in frame.columns:
            raise ValueError(f"cannot cache prices of {ticker!r} without an adj_close column")
        records = self._records(ticker, frame, lo, hi)
        stamp = _utc(fetched_at).isoformat()
        with self._transaction() as conn:
            conn.execute(
                "DELETE FROM prices WHERE ticker = ? AND date BETWEEN ? AND ?", (ticker, lo, hi)
            )
            conn.executemany(
                f"INSERT INTO prices (ticker, date, {', '.join(PRICE_FIELDS)}) "
                f"VALUES (?, ?, {', '.join('?' * len(PRICE_FIELDS))})",
                records,
            )
            conn.execute(
                "INSERT INTO fetches (ticker, start, end, fetched_at, rows) VALUES (?, ?, ?, ?, ?)",
                (ticker, lo, hi, stamp, len(records)),
            )
        log.debug("cached %d rows of %s for %s..%s", len(records), ticker, lo, hi)
        return len(records)

    @staticmethod
    def _records(ticker: str, frame: pd.DataFrame, lo: str, hi: str) -> list[tuple]:
        idx = pd.DatetimeIndex(frame.index)
        if idx.tz is not None:
            idx = idx.tz_localize(None)
        dates = idx.normalize().strftime("%Y-%m-%d")
        keep = (dates >= lo) & (dates <= hi) & frame["adj_close"].notna().to_numpy()
        cols = [
            frame[c].astype(float).to_numpy() if c in frame.columns else np.full(len(frame), np.nan)
            for c in PRICE_FIELDS
        ]
        values = np.column_stack(cols)[keep]
        cells = values.astype(object)
        cells[np.isnan(values)] = None  # NaN -> NULL
        n = len(cells)
        table = np.column_stack([np.full(n, ticker, dtype=object), dates[keep], cells])
        return [tuple(row) for row in table.tolist()]

    def clear(self, ticker: str | None = None) -> int:
        """Remove one ticker (or everything); returns the number of price rows removed.

        The ticker's intraday bars and their fetch records go too, in the
        same transaction.
        """
        with self._transaction() as conn:
            if ticker is None:
                removed = conn.execute("DELETE FROM prices").rowcount
                conn.execute("DELETE FROM fetches")
            else:
                removed = conn.execute("DELETE FROM prices WHERE ticker = ?", (ticker,)).rowcount
                conn.execute("DELETE FROM fetches WHERE ticker = ?", (ticker,))
            from eventstudy.data.intraday_cache import clear_intraday

            clear_intraday(conn, ticker)
        if ticker is None:
            with self._connection() as conn:
                conn.execute("VACUUM")
        return int(removed)


def _merge_ranges(rows: Sequence[tuple[str, str]]) -> list[tuple[dt.date, dt.date]]:
    """Sorted ``(start, end)`` ISO pairs -> date ranges, merged where they overlap or touch."""
    merged: list[list[dt.date]] = []
    for a, b in rows:
        s, e = dt.date.fromisoformat(a), dt.date.fromisoformat(b)
        if merged and s <= merged[-1][1] + dt.timedelta(days=1):
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def _runs(dates: pd.DatetimeIndex, mask: np.ndarray) -> list[tuple[dt.date, dt.date]]:
    """``(first, last)`` of each run of consecutive positions where ``mask`` holds."""
    if not mask.any():
        return []
    m = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.diff(m)
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    return [(dates[int(s)].date(), dates[int(e)].date()) for s, e in zip(starts, ends, strict=True)]
