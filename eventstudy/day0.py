"""Column-wise validation and day-0 resolution of an events table (METHODS.md section 1).

:func:`eventstudy.events.load_events` hands the table over as :class:`Text`
columns (per row a code into the column's distinct values). Each distinct
ticker, benchmark, timing, date and time is checked once (dates and times by
their fixed ISO layouts, with numpy on the bytes); day 0 is found per
exchange with ``np.searchsorted`` on the session labels and each session's
local open and close; ``announced`` and ``day0_rule`` are written once per
distinct announcement.

Only rows whose checks all pass and whose values have a common form
(``YYYY-MM-DD``, ``YYYY-MM-DDTHH:MM[:SS]`` with an optional ``Z`` or
``+hh:mm``, a time ``H:MM[:SS]``) are resolved here. The others -- a bad
value, a contradiction, a date outside the calendar, a rarer form such as
fractional seconds -- are left (``Resolved.ok`` false) to the loader's
per-row path, which writes the exact messages.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.errors import InputError, InputIssue
from eventstudy.event_cells import Column, Text, cell_text, first_rows, frame_text, obj, raw_text
from eventstudy.event_time import TIMINGS, _schedule, exchange_for_ticker, normalize_timing

__all__ = [
    "COLUMNS",
    "TICKER_RE",
    "Column",
    "Resolved",
    "Text",
    "cell_text",
    "derived_ids",
    "frame_text",
    "id_issues",
    "raw_text",
    "resolve",
]

_NS = 10**9
DAY_NS = 86_400 * _NS
_BEFORE, _DURING, _AFTER, _UNKNOWN = (
    TIMINGS.index(t) for t in ("before_open", "during_market", "after_close", "unknown")
)
_REASONS = [
    "before the open on a session",
    "during market hours on a session",
    "",
    "timing unknown, announced on a session",
]
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
#: Years whose date-times are resolved here (others, e.g. 1500-01-01T10:00Z, go row by row).
_YEARS = (1700, 2200)

TICKER_RE = re.compile(r"^\^?[A-Z0-9][A-Z0-9.\-=&]*$")
#: With ``TICKER_RE`` on the upper case: the symbols ``events._check_symbol`` accepts.
_SYMBOL_CHARS = re.compile(r"[A-Za-z0-9.\-=&^]{1,32}")


# --------------------------------------------------------------------------- symbols


def _well_formed(symbol: str) -> bool:
    """``events._check_symbol(symbol, ...) is None``, faster."""
    return bool(_SYMBOL_CHARS.fullmatch(symbol) and TICKER_RE.match(symbol.upper()))


def _tickers(values: np.ndarray) -> tuple[np.ndarray, list[str], list[str], list[str]]:
    """Per distinct ticker: usable, upper-cased, calendar code, default benchmark."""
    k = len(values)
    ok, upper, mic, bench = np.zeros(k, bool), [""] * k, [""] * k, [""] * k
    for j, sym in enumerate(values.tolist()):
        if _well_formed(sym):
            try:
                exchange = exchange_for_ticker(sym)
            except InputError:
                continue
            ok[j], upper[j] = True, sym.upper()
            mic[j], bench[j] = exchange.mic, exchange.default_benchmark
    return ok, upper, mic, bench


def _timings(values: np.ndarray) -> np.ndarray:
    """Per distinct timing: index of the normalised timing in :data:`TIMINGS`, or -1."""
    found = []
    for value in values.tolist():
        try:
            found.append(TIMINGS.index(normalize_timing(value)))
        except ValueError:
            found.append(-1)
    return np.array(found, np.int64)


# --------------------------------------------------------------------------- layouts

_DATE_LAYOUTS = {
    len(x): x
    for x in (
        "YYYY-MM-DD",
        "YYYY-MM-DDThh:mm",
        "YYYY-MM-DDThh:mmZ",
        "YYYY-MM-DDThh:mm:ss",
        "YYYY-MM-DDThh:mm:ssZ",
        "YYYY-MM-DDThh:mm+oo:pp",
        "YYYY-MM-DDThh:mm:ss+oo:pp",
    )
}
_TIME_LAYOUTS = {len(x): x for x in ("h:mm", "hh:mm", "h:mm:ss", "hh:mm:ss")}
#: Layout characters that stand for themselves, and the bytes each accepts.
_LITERALS = {"-": b"-", ":": b":", "T": b"Tt ", "Z": b"Zz", "+": b"+-"}


def _fixed(texts: np.ndarray, layouts: dict[int, str]) -> dict[str, np.ndarray]:
    """Fields of texts in one of the fixed-width ASCII ``layouts`` (keyed by length).

    Returns int64 arrays per layout letter (``Y M D h m s o p``), ``sign``
    (+1/-1 for an offset or ``Z``, 0 for none), ``timed`` (a time of day was
    given) and ``ok`` (the text has one of the layouts; ranges not checked).
    """
    k = len(texts)
    out = {c: np.zeros(k, np.int64) for c in "YMDhmsop"}
    out["sign"] = np.zeros(k, np.int64)
    ok, timed = np.zeros(k, bool), np.zeros(k, bool)
    lengths = np.fromiter(map(len, texts), np.int64, k)
    ascii_ = np.fromiter(map(str.isascii, texts), bool, k)
    for length, layout in layouts.items():
        idx = np.flatnonzero((lengths == length) & ascii_)
        if not idx.size:
            continue
        raw = np.frombuffer("".join(texts[idx]).encode("ascii"), np.uint8)
        raw = raw.reshape(idx.size, length).astype(np.int64)
        good = np.ones(idx.size, bool)
        fields: dict[str, np.ndarray] = {}
        for pos, ch in enumerate(layout):
            col = raw[:, pos]
            if ch in _LITERALS:
                good &= np.isin(col, list(_LITERALS[ch]))
            else:
                good &= (col >= 48) & (col <= 57)
                fields[ch] = fields.get(ch, np.zeros(idx.size, np.int64)) * 10 + col - 48
        for ch, values in fields.items():
            out[ch][idx] = values
        if "+" in layout:
            out["sign"][idx] = np.where(raw[:, layout.index("+")] == ord("-"), -1, 1)
        elif "Z" in layout:
            out["sign"][idx] = 1
        ok[idx] = good
        timed[idx] = "h" in layout
    out["ok"], out["timed"] = ok, timed
    return out


def _clock_ok(f: dict[str, np.ndarray]) -> np.ndarray:
    return (f["h"] < 24) & (f["m"] < 60) & (f["s"] < 60) & (f["o"] < 24) & (f["p"] < 60)


def _dates(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per distinct date: kind (0 = not handled here, 1 = date, 2 = local date-time,
    3 = with an offset), day (days since 1970, kinds 1-2), time of day (ns, kind 2,
    else -1) and UTC instant (ns, kind 3)."""
    f = _fixed(values, _DATE_LAYOUTS)
    year, month, mday = f["Y"], f["M"], f["D"]
    months = np.where(f["ok"], (year - 1970) * 12 + month - 1, 0)
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    size = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - first
    valid = f["ok"] & (year >= 1) & (month >= 1) & (month <= 12) & (mday >= 1) & (mday <= size)
    timed = f["timed"]
    valid &= ~timed | (_clock_ok(f) & (year >= _YEARS[0]) & (year <= _YEARS[1]))
    day = first + mday - 1
    tod = ((f["h"] * 60 + f["m"]) * 60 + f["s"]) * _NS
    offset = f["sign"] * (f["o"] * 60 + f["p"]) * 60 * _NS
    kind = np.where(valid, np.where(~timed, 1, np.where(f["sign"] == 0, 2, 3)), 0)
    utc = np.where(kind == 3, day, 0) * DAY_NS + np.where(kind == 3, tod - offset, 0)
    return kind, day, np.where(kind == 2, tod, -1), utc


def _times(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct time: time of day in ns (-1 = blank), and blank-or-valid."""
    f = _fixed(values, _TIME_LAYOUTS)
    tod = np.where(f["ok"], ((f["h"] * 60 + f["m"]) * 60 + f["s"]) * _NS, -1)
    return tod, (values == "") | (f["ok"] & _clock_ok(f))


# --------------------------------------------------------------------------- calendars


@dataclass(frozen=True)
class _Sessions:
    days: np.ndarray  # int64 days since 1970 of the session labels
    labels: np.ndarray  # int64 ns of the labels
    opens: np.ndarray  # int64 ns of day: local open
    closes: np.ndarray  # int64 ns of day: local close
    close_hm: np.ndarray  # "HH:MM" of the local close
    half: np.ndarray  # "; half day: close HH:MM" on early closes, else ""
    tz: str
    dates: np.ndarray  # "YYYY-MM-DD" of every day from the first to the last session


@functools.cache
def _sessions(mic: str) -> _Sessions:
    sched = _schedule(mic)
    closes = np.mod(sched.closes.astype(np.int64), DAY_NS)
    close_hm = obj(
        [f"{t // 3_600_000_000_000:02d}:{t // 60_000_000_000 % 60:02d}" for t in closes.tolist()]
    )
    early = np.fromiter(
        (pd.Timestamp(x) in sched.early for x in sched.labels), bool, len(sched.labels)
    )
    return _Sessions(
        days=sched.labels.astype("datetime64[D]").astype(np.int64),
        labels=sched.labels.astype("datetime64[ns]").astype(np.int64),
        opens=np.mod(sched.opens.astype(np.int64), DAY_NS),
        closes=closes,
        close_hm=close_hm,
        half=np.where(early, "; half day: close " + close_hm, "").astype(object),
        tz=sched.tz,
        dates=obj(
            np.datetime_as_string(
                np.arange(
                    sched.labels[0].astype("datetime64[D]"),
                    sched.labels[-1].astype("datetime64[D]") + np.timedelta64(1, "D"),
                )
            ).tolist()
        ),
    )


def _local(utc: np.ndarray, tz: str) -> np.ndarray:
    """UTC instants (int64 ns) as local wall-clock ns in ``tz``."""
    index = pd.DatetimeIndex(utc.view("datetime64[ns]")).tz_localize("UTC").tz_convert(tz)
    return np.asarray(index.tz_localize(None).asi8)


@functools.cache
def _clock_texts() -> np.ndarray:
    """``HH:MM`` (``HH:MM:SS`` with seconds) of every second of the day, then ``""``."""
    sec = np.arange(86_400)
    texts = [
        f"{s // 3600:02d}:{s // 60 % 60:02d}" + (f":{s % 60:02d}" if s % 60 else "")
        for s in sec.tolist()
    ]
    return obj([*texts, ""])


# --------------------------------------------------------------------------- resolve

#: Output text columns filled by :func:`resolve`.
COLUMNS = (
    "ticker",
    "date",
    "time",
    "timing",
    "benchmark",
    "benchmark_source",
    "exchange",
    "announced",
    "day0_rule",
)


@dataclass
class Resolved:
    """Computed columns; rows with ``ok`` false are left for the per-row path."""

    ok: np.ndarray
    columns: dict[str, Column]
    day0: np.ndarray  # int64 ns


def resolve(cols: Mapping[str, Text], n: int) -> Resolved:
    """Validate and resolve every row that has only common, valid values.

    Parameters
    ----------
    cols : mapping of str to Text
        Stripped text of the table's input columns (``n`` rows); ``ticker``
        and ``date`` are required, absent optional columns count as blank.
    n : int
        Number of rows.

    Returns
    -------
    Resolved
        The columns of :data:`COLUMNS` and ``day0`` (int64 ns), filled where
        ``ok`` is true exactly as the per-row path would fill them.
    """
    blank = Text.constant(n, "")
    tick, date, bench = cols["ticker"], cols["date"], cols.get("benchmark", blank)
    timing_text, time_text = cols.get("timing", blank), cols.get("time", blank)
    t_ok, upper, mic, default = _tickers(tick.values)
    b_ok = np.array([not s or _well_formed(s) for s in bench.values.tolist()], bool)
    timing = _timings(timing_text.values)[timing_text.codes]
    kind, day, tod, utc = (a[date.codes] for a in _dates(date.values))
    clock_col, time_ok = (a[time_text.codes] for a in _times(time_text.values))
    ok = t_ok[tick.codes] & b_ok[bench.codes] & (timing >= 0) & (kind > 0) & time_ok
    clock = np.where(kind == 2, tod, clock_col)
    res = Resolved(ok, {c: Column(n) for c in COLUMNS}, np.zeros(n, np.int64))
    mic_codes, mics = pd.factorize(obj(mic))
    row_mic = mic_codes[tick.codes]
    for g, code in enumerate(mics.tolist()):
        rows = np.flatnonzero(ok & (row_mic == g))
        if len(rows):
            good = _resolve_group(
                res,
                rows,
                _sessions(code),
                kind[rows],
                day[rows],
                clock[rows],
                clock_col[rows],
                utc[rows],
                timing[rows],
                date.take(rows) if (kind[rows] == 3).any() else None,
            )
            ok[rows[~good]] = False
    rows = np.flatnonzero(ok)
    given = (bench.values != "")[bench.codes[rows]]
    put = res.columns
    put["ticker"].put(rows, tick.codes[rows], upper)
    put["exchange"].put(rows, tick.codes[rows], mic)
    put["timing"].put(rows, timing[rows], TIMINGS)
    put["benchmark"].put(
        rows,
        np.where(given, bench.codes[rows], len(bench.values) + tick.codes[rows]),
        [s.upper() for s in bench.values.tolist()] + default,
    )
    put["benchmark_source"].put(rows, np.where(given, 0, 1), ["events file", "exchange default"])
    return res


def _texts(keys: np.ndarray, build: Any) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the distinct ``keys`` and ``build(first row of each)`` (their texts)."""
    codes, _ = pd.factorize(keys)
    return codes, build(first_rows(codes))


def _resolve_group(
    res: Resolved,
    rows: np.ndarray,
    s: _Sessions,
    kind: np.ndarray,
    day: np.ndarray,
    clock: np.ndarray,
    clock_col: np.ndarray,
    utc: np.ndarray,
    timing: np.ndarray,
    date_text: Text | None,
) -> np.ndarray:
    """Day 0 of the rows of one exchange (METHODS.md section 1); returns the rows resolved."""
    aware = kind == 3
    if aware.any():
        local = _local(utc[aware], s.tz)
        day[aware], clock[aware] = local // DAY_NS, local % DAY_NS
    good = ~((kind > 1) & (clock_col >= 0) & (clock != clock_col))  # a time given twice
    last = len(s.days) - 1
    good &= (day >= s.days[0]) & (day <= s.days[last])
    pos = np.searchsorted(s.days, day, side="left")
    at = np.minimum(pos, last)
    session = (pos <= last) & (s.days[at] == day)
    opens, closes, timed = s.opens[at], s.closes[at], clock >= 0
    contradiction = (
        session
        & timed
        & (
            ((timing == _BEFORE) & (clock >= opens))
            | ((timing == _AFTER) & (clock < closes))
            | ((timing == _DURING) & ~((opens <= clock) & (clock < closes)))
        )
    )
    late = session & timed & (clock >= closes)
    after = session & ~late & (timing == _AFTER)
    idx = pos + (late | after)
    good &= ~contradiction & (idx <= last)
    keep = rows[good]
    day, clock, timing, at, session, late, after, timed, aware, idx = (
        a[good] for a in (day, clock, timing, at, session, late, after, timed, aware, idx)
    )
    # Rule: 0 non-session, 1 time at/after the close, 2 after_close, 3 time before, 4 timing.
    rule_kind = np.select([~session, late, after, timed], [0, 1, 2, 3], 4)
    base = ((day - s.days[0]) * 86_401 + clock // _NS + 1) * 4 + timing

    clocks = _clock_texts()

    def date_of(r: np.ndarray) -> np.ndarray:
        return s.dates[day[r] - s.days[0]]

    def time_of(r: np.ndarray) -> np.ndarray:
        return clocks[np.where(clock[r] >= 0, clock[r] // _NS, -1)]

    def rule_of(r: np.ndarray) -> np.ndarray:
        texts, kinds = np.empty(len(r), object), rule_kind[r]
        for k in range(5):  # the sentences of event_time._rule
            sel = kinds == k
            m = r[sel]
            d, t, half, close = date_of(m), time_of(m), s.half[at[m]], s.close_hm[at[m]]
            if k == 0:
                weekday = obj(_WEEKDAYS)[(day[m] + 3) % 7]
                texts[sel] = (
                    "announced on a non-session (" + weekday + " " + d + ") -> next session"
                )
            elif k == 1:
                texts[sel] = "time " + t + " is at/after the " + close + " close -> next session"
            elif k == 2:
                texts[sel] = "after the close of " + d + " -> next session"
            elif k == 3:
                texts[sel] = "time " + t + " is before the " + close + " close -> same day"
            else:
                texts[sel] = obj(_REASONS)[timing[m]] + " -> same day"
            if k:
                texts[sel] = texts[sel] + half
        return texts

    def announced_of(r: np.ndarray) -> np.ndarray:
        d, t, g, has = date_of(r), time_of(r), timing[r], timed[r]
        extra = np.where(g != _UNKNOWN, obj(TIMINGS)[g], np.where(has, "", "timing unknown"))
        if date_text is not None:
            note = np.where(aware[r], "given as " + date_text.rows(good)[r], "")
            both = (extra != "") & (note != "")
            extra = np.where(both, extra + "; " + note, np.where(note != "", note, extra))
        text = np.where(has, d + " " + t + " " + s.tz, d)
        return obj(np.where(extra != "", text + " (" + extra + ")", text))

    put = res.columns
    put["date"].put(keep, *_texts(day, date_of))
    put["time"].put(keep, *_texts(clock, time_of))
    put["day0_rule"].put(keep, *_texts(base * 5 + rule_kind, rule_of))
    announced_key = np.where(aware, -1 - np.arange(len(keep)), base)  # a note: one per row
    put["announced"].put(keep, *_texts(announced_key, announced_of))
    res.day0[keep] = s.labels[idx]
    return good


# --------------------------------------------------------------------------- ids


def id_issues(ids: Text, lines: np.ndarray, source: str) -> list[InputIssue]:
    """Duplicate event ids, each naming the first line of its id (as the per-row loop did).

    Only the rows of ids given more than once are looped over.
    """
    counts = np.bincount(ids.codes, minlength=len(ids.values))
    repeated = (ids.values != "") & (counts > 1)
    first_line: dict[str, int] = {}
    issues: list[InputIssue] = []
    for row in np.flatnonzero(repeated[ids.codes]).tolist():
        eid, line = ids[row], int(lines[row])
        if eid in first_line:
            issues.append(
                InputIssue(
                    source,
                    line,
                    "event_id",
                    f"duplicate event_id {eid!r} "
                    f"(lines {first_line[eid]} and {line}); event ids must be unique",
                )
            )
        else:
            first_line[eid] = line
    return issues


def derived_ids(ids: Text, tickers: Text, dates: Text) -> Text:
    """Blank event ids filled with ``<TICKER>_<YYYY-MM-DD>``, ``_2``, ``_3`` on clashes.

    Rows are numbered in order, never taking an id given in the table; only
    clashing rows are looped over. A numbered ``<base>_<k>`` never equals a
    base (which ends in a date; tickers have no ``_``), so each group of equal
    bases is numbered on its own.
    """
    blank = np.flatnonzero((ids.values == "")[ids.codes])
    if not len(blank):
        return ids
    base = tickers.rows(blank) + "_" + dates.rows(blank)
    present = np.bincount(ids.codes, minlength=len(ids.values)) > 0
    given = ids.values[present & (ids.values != "")].tolist()
    bases = pd.Series(base, dtype=object)
    clash = (bases.duplicated(keep=False) | bases.isin(given)).to_numpy()
    used = set(given)
    for j in np.flatnonzero(clash).tolist():
        candidate, k = base[j], 1
        while candidate in used:
            k += 1
            candidate = f"{base[j]}_{k}"
        used.add(candidate)
        base[j] = candidate
    codes = ids.codes.copy()
    codes[blank] = len(ids.values) + np.arange(len(blank))
    return Text(codes, np.concatenate([ids.values, base]))
