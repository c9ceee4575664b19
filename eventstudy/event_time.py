"""Exchange calendars and day-0 resolution (METHODS.md section 1).

Relative days count the trading sessions of the security's exchange, so the
first step for every event is: which exchange trades the ticker, and which of
its sessions is the first one that could react to the news (day 0)?

Day 0 rules, from the announcement date, optional local time and optional
timing:

- ``after_close``, or a time at/after that session's close (early closes
  included): day 0 is the next session strictly after the announcement date.
- ``before_open``, ``during_market``, ``unknown``, or a time before the close:
  day 0 is the announcement date if it is a session, else the next session.
- A date-time with a UTC offset (or ``Z``) is converted to the exchange's zone
  first; its local date and time are then used.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import warnings
from dataclasses import dataclass

import exchange_calendars as xcals
import numpy as np
import pandas as pd

from eventstudy.exchanges import (  # re-exported: part of this module's API
    EXCHANGES,
    INDEX_EXCHANGES,
    Exchange,
    exchange_for_mic,
    exchange_for_ticker,
)

logger = logging.getLogger(__name__)

__all__ = [
    "EXCHANGES",
    "INDEX_EXCHANGES",
    "TIMINGS",
    "AnnouncementError",
    "Day0",
    "Exchange",
    "exchange_for_mic",
    "exchange_for_ticker",
    "get_calendar",
    "normalize_timing",
    "parse_date",
    "parse_time",
    "resolve_day0",
    "sessions",
]


# --------------------------------------------------------------------------- calendars

_EARLY_START = "1970-01-01"


def _build_calendar(mic: str, start: str | pd.Timestamp | None) -> xcals.ExchangeCalendar:
    with warnings.catch_warnings():
        # exchange_calendars 4.13 trips pandas 3 deprecations while building.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        if start is None:
            return xcals.get_calendar(mic)
        return xcals.get_calendar(mic, start=start)


def _fallback_calendar(mic: str, error: ValueError) -> xcals.ExchangeCalendar:
    """Calendar from the earliest start the library accepts for ``mic``."""
    default = _build_calendar(mic, None)
    candidates: list[str | pd.Timestamp] = []
    bound = type(default).bound_min()
    if bound is not None:
        candidates.append(bound)
    year = re.search(r"\b(1[89]\d\d|20\d\d)\b", str(error))
    if year is not None:
        candidates.append(f"{year.group(1)}-01-01")
    for start in candidates:
        try:
            cal = _build_calendar(mic, start)
        except ValueError:
            continue
        logger.info("calendar %s starts at %s (%s refused)", mic, start, _EARLY_START)
        return cal
    logger.warning("calendar %s: using the library default start %s", mic, default.first_session)
    return default


def get_calendar(mic: str) -> xcals.ExchangeCalendar:
    """Return the ``exchange_calendars`` calendar of ``mic``, from 1970 when possible.

    Without an explicit start the library begins about 20 years before today and
    silently loses older sessions; calendars that cannot go back to 1970 start at
    their earliest allowed date instead. Cached per process.

    Parameters
    ----------
    mic : str
        Calendar code, e.g. ``"XNYS"``.
    """
    return _calendar(mic.strip().upper())


@functools.cache
def _calendar(mic: str) -> xcals.ExchangeCalendar:
    try:
        return _build_calendar(mic, _EARLY_START)
    except ValueError as exc:
        return _fallback_calendar(mic, exc)


def sessions(mic: str) -> pd.DatetimeIndex:
    """All session labels of ``mic`` as a tz-naive ``datetime64[ns]`` index (no freq).

    Cached per process; the index is immutable, share it freely.
    """
    return _sessions(mic.strip().upper())


@functools.cache
def _sessions(mic: str) -> pd.DatetimeIndex:
    labels = _calendar(mic).sessions
    return pd.DatetimeIndex(labels.to_numpy().astype("datetime64[ns]"), name="session")


@dataclass(frozen=True)
class _Schedule:
    labels: np.ndarray  # datetime64[ns] session labels
    opens: np.ndarray  # datetime64[ns] local wall-clock opens
    closes: np.ndarray  # datetime64[ns] local wall-clock closes
    early: frozenset[pd.Timestamp]
    tz: str


@functools.cache
def _schedule(mic: str) -> _Schedule:
    cal = _calendar(mic)
    tz = str(cal.tz)

    def local(col: pd.Series) -> np.ndarray:
        return col.dt.tz_convert(tz).dt.tz_localize(None).to_numpy("datetime64[ns]")

    return _Schedule(
        labels=_sessions(mic).to_numpy(),
        opens=local(cal.opens),
        closes=local(cal.closes),
        early=frozenset(pd.Timestamp(s) for s in cal.early_closes),
        tz=tz,
    )


# --------------------------------------------------------------------------- parsing

#: The timing values, in the order they are listed to users.
TIMINGS: tuple[str, ...] = ("before_open", "during_market", "after_close", "unknown")

_TIMING_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(
        [
            "before_open",
            "bmo",
            "before_market_open",
            "before_the_open",
            "before_market",
            "pre_market",
            "premarket",
            "pre_open",
        ],
        "before_open",
    ),
    **dict.fromkeys(
        [
            "during_market",
            "dm",
            "during",
            "intraday",
            "market_hours",
            "during_market_hours",
            "during_trading",
            "during_hours",
        ],
        "during_market",
    ),
    **dict.fromkeys(
        [
            "after_close",
            "amc",
            "after_market_close",
            "after_the_close",
            "after_market",
            "after_hours",
            "afterhours",
            "post_market",
            "postmarket",
        ],
        "after_close",
    ),
    **dict.fromkeys(["unknown", "", "na", "n/a", "none"], "unknown"),
}


def normalize_timing(text: str | None) -> str:
    """Normalise a timing to one of :data:`TIMINGS`.

    Case-insensitive; spaces and hyphens count as underscores; blank means
    ``unknown``. Synonyms: ``bmo``, ``pre-market`` (before_open); ``dm``,
    ``intraday``, ``market hours`` (during_market); ``amc``, ``after-hours``,
    ``post-market`` (after_close).

    Raises
    ------
    ValueError
        Unknown value; the message lists the valid ones.
    """
    key = re.sub(r"[\s\-_]+", "_", (text or "").strip().lower()).strip("_")
    if key in _TIMING_SYNONYMS:
        return _TIMING_SYNONYMS[key]
    raise ValueError(
        f"unknown timing {text!r}; expected one of {', '.join(TIMINGS)} "
        "(or bmo, amc, pre-market, intraday, after-hours; blank = unknown)"
    )


_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$", re.IGNORECASE
)
_DATE_HELP = "expected YYYY-MM-DD or an ISO date-time such as 2025-09-11T16:30-04:00"


def parse_time(text: str | None) -> dt.time | None:
    """Parse a local time ``HH:MM`` or ``HH:MM:SS``; blank gives ``None``.

    Raises
    ------
    ValueError
        Not a 24-hour clock time.
    """
    value = (text or "").strip()
    if not value:
        return None
    match = _TIME_RE.match(value)
    if match:
        hour, minute, second = (int(g) if g else 0 for g in match.groups())
        if hour < 24 and minute < 60 and second < 60:
            return dt.time(hour, minute, second)
    raise ValueError(
        f"{value!r} is not a time; expected HH:MM (24-hour, local exchange time) such as 16:30"
    )


def parse_date(text: str | dt.date | pd.Timestamp) -> tuple[pd.Timestamp, bool]:
    """Parse an announcement date or date-time.

    Parameters
    ----------
    text : str, datetime.date or pandas.Timestamp
        ``YYYY-MM-DD``, or an ISO date-time; with a UTC offset or ``Z`` it is an
        absolute instant, without one it is local exchange time.

    Returns
    -------
    (stamp, has_time) : (pandas.Timestamp, bool)
        ``stamp`` is tz-aware when an offset was given; ``has_time`` says
        whether a time of day was given.

    Raises
    ------
    ValueError
        Not a date; the message shows the accepted forms.
    """
    if isinstance(text, pd.Timestamp | dt.datetime):
        stamp = pd.Timestamp(text)
        return stamp, stamp.tzinfo is not None or stamp != stamp.normalize()
    if isinstance(text, dt.date):
        return pd.Timestamp(text), False
    value = str(text).strip()
    if not value:
        raise ValueError(f"date is blank; {_DATE_HELP}")
    try:
        if _DATE_RE.match(value):
            return pd.Timestamp(dt.date.fromisoformat(value)), False
        if _DATETIME_RE.match(value):
            return pd.Timestamp(value.upper().replace(" ", "T")), True
    except ValueError:
        pass
    raise ValueError(f"{value!r} is not a date; {_DATE_HELP}")


# --------------------------------------------------------------------------- day 0


class AnnouncementError(ValueError):
    """An announcement that cannot be placed on the calendar.

    ``column`` names the events-table column at fault (``date``, ``time`` or
    ``timing``) so the events loader can report it.
    """

    def __init__(self, message: str, column: str):
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Day0:
    """A resolved day 0 and how it was found.

    Attributes
    ----------
    day0 : pandas.Timestamp
        Session label (tz-naive midnight) of day 0.
    announced : str
        The announcement in local exchange time, e.g.
        ``"2025-09-11 16:30 America/New_York"`` or ``"2025-09-11 (after_close)"``.
    rule : str
        One sentence naming the rule that set day 0.
    date : str
        Local announcement date ``YYYY-MM-DD``.
    time : str
        Local announcement time ``HH:MM`` (``HH:MM:SS`` if seconds), or ``""``.
    timing : str
        Normalised timing, one of :data:`TIMINGS`.
    mic : str
        Calendar used.
    """

    day0: pd.Timestamp
    announced: str
    rule: str
    date: str
    time: str
    timing: str
    mic: str


def _fmt_time(value: dt.time | pd.Timestamp) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def _local_announcement(
    date: str | dt.date | pd.Timestamp, time: str | None, tz: str
) -> tuple[pd.Timestamp, dt.time | None, str]:
    """Local wall-clock date (and time) of the announcement; third item = note."""
    try:
        stamp, has_time = parse_date(date)
    except ValueError as exc:
        raise AnnouncementError(str(exc), "date") from None
    try:
        clock = parse_time(time)
    except ValueError as exc:
        raise AnnouncementError(str(exc), "time") from None
    note = ""
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(tz).tz_localize(None)
        note = f"given as {str(date).strip()}"
    if has_time:
        given = stamp.time()
        if clock is not None and clock != given:
            raise AnnouncementError(
                f"time {_fmt_time(clock)} disagrees with the local time {_fmt_time(given)} "
                f"({tz}) of date {str(date).strip()!r}; give the time once",
                "time",
            )
        clock = given
    return stamp.normalize(), clock, note


def _check_range(mic: str, sched: _Schedule, day: pd.Timestamp) -> None:
    first, last = pd.Timestamp(sched.labels[0]), pd.Timestamp(sched.labels[-1])
    if day < first or day > last:
        raise AnnouncementError(
            f"{day:%Y-%m-%d} is outside the {mic} calendar, which runs from {first:%Y-%m-%d} "
            f"to {last:%Y-%m-%d} (exchange_calendars lists sessions about one year ahead); "
            "give a date inside that range",
            "date",
        )


def _check_contradiction(
    timing: str, clock: dt.time, open_: pd.Timestamp, close: pd.Timestamp, mic: str
) -> None:
    t_open, t_close = open_.time(), close.time()
    bad = (
        (timing == "before_open" and clock >= t_open)
        or (timing == "after_close" and clock < t_close)
        or (timing == "during_market" and not t_open <= clock < t_close)
    )
    if bad:
        raise AnnouncementError(
            f"timing {timing!r} contradicts time {_fmt_time(clock)}: {mic} opens "
            f"{_fmt_time(t_open)} and closes {_fmt_time(t_close)} on {open_:%Y-%m-%d} "
            "(local time); correct one of them or leave timing blank",
            "timing",
        )


def _announced(day: pd.Timestamp, clock: dt.time | None, timing: str, tz: str, note: str) -> str:
    text = f"{day:%Y-%m-%d}"
    if clock is not None:
        text += f" {_fmt_time(clock)} {tz}"
    extras = [timing] if timing != "unknown" else ([] if clock else ["timing unknown"])
    if note:
        extras.append(note)
    return text + (f" ({'; '.join(extras)})" if extras else "")


def _is_session(sched: _Schedule, day: pd.Timestamp, pos: int) -> bool:
    return pos < len(sched.labels) and bool(sched.labels[pos] == day.to_datetime64())


def _half_day(sched: _Schedule, session: pd.Timestamp, close: pd.Timestamp) -> str:
    return f"; half day: close {close:%H:%M}" if session in sched.early else ""


def _rule(
    sched: _Schedule, day: pd.Timestamp, pos: int, clock: dt.time | None, timing: str
) -> tuple[int, str]:
    """Index of day 0 in the schedule and the sentence of the rule used.

    ``pos`` is the first session at or after ``day``.
    """
    if not _is_session(sched, day, pos):
        return pos, f"announced on a non-session ({day:%A} {day:%Y-%m-%d}) -> next session"
    close = pd.Timestamp(sched.closes[pos])
    half = _half_day(sched, day, close)
    if clock is not None and clock >= close.time():
        return pos + 1, (
            f"time {_fmt_time(clock)} is at/after the {close:%H:%M} close -> next session{half}"
        )
    if timing == "after_close":
        return pos + 1, f"after the close of {day:%Y-%m-%d} -> next session{half}"
    if clock is not None:
        return pos, f"time {_fmt_time(clock)} is before the {close:%H:%M} close -> same day{half}"
    reason = {
        "before_open": "before the open on a session",
        "during_market": "during market hours on a session",
        "unknown": "timing unknown, announced on a session",
    }[timing]
    return pos, f"{reason} -> same day{half}"


def resolve_day0(
    date: str | dt.date | pd.Timestamp,
    time: str | None = None,
    timing: str | None = None,
    *,
    exchange: Exchange | str,
) -> Day0:
    """Find day 0 of an announcement on an exchange's calendar (METHODS.md section 1).

    Parameters
    ----------
    date : str, datetime.date or pandas.Timestamp
        ``YYYY-MM-DD`` or ISO date-time; an offset or ``Z`` is converted to the
        exchange's zone, a date-time without one is local exchange time.
    time : str, optional
        Local exchange time ``HH:MM`` or ``HH:MM:SS``.
    timing : str, optional
        ``before_open``, ``during_market``, ``after_close`` or ``unknown``
        (synonyms accepted, see :func:`normalize_timing`).
    exchange : Exchange or str
        The exchange, or its calendar code (``"XNYS"``).

    Returns
    -------
    Day0

    Raises
    ------
    AnnouncementError
        (a ``ValueError``) bad date, time or timing, a time that contradicts the
        timing on a session (``before_open`` at/after the open, ``after_close``
        before the close, ``during_market`` outside the session's hours), or a
        date outside the calendar; ``.column`` names the culprit.
    """
    mic = exchange.mic if isinstance(exchange, Exchange) else exchange.strip().upper()
    sched = _schedule(mic)
    try:
        timing_norm = normalize_timing(timing)
    except ValueError as exc:
        raise AnnouncementError(str(exc), "timing") from None
    day, clock, note = _local_announcement(date, time, sched.tz)
    _check_range(mic, sched, day)
    pos = int(np.searchsorted(sched.labels, day.to_datetime64(), side="left"))
    if clock is not None and timing_norm != "unknown" and _is_session(sched, day, pos):
        opens, closes = pd.Timestamp(sched.opens[pos]), pd.Timestamp(sched.closes[pos])
        _check_contradiction(timing_norm, clock, opens, closes, mic)
    idx, rule = _rule(sched, day, pos, clock, timing_norm)
    if idx >= len(sched.labels):
        raise AnnouncementError(
            f"day 0 of {day:%Y-%m-%d} would be the session after it, beyond the last "
            f"session of the {mic} calendar ({pd.Timestamp(sched.labels[-1]):%Y-%m-%d}); "
            "exchange_calendars lists sessions about one year ahead",
            "date",
        )
    return Day0(
        day0=pd.Timestamp(sched.labels[idx]),
        announced=_announced(day, clock, timing_norm, sched.tz, note),
        rule=rule,
        date=f"{day:%Y-%m-%d}",
        time=_fmt_time(clock) if clock is not None else "",
        timing=timing_norm,
        mic=mic,
    )
