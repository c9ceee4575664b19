"""Resource limits, checked before any work (``docs/security.md``).

Each limit has a default that a demanding study stays well inside and can be
raised (or lowered) with an environment variable ``EVENTSTUDY_LIMIT_<NAME>``
(a whole number; bytes for the file sizes), e.g.
``EVENTSTUDY_LIMIT_EVENTS=5000000``. A value that is not a positive whole
number is an error naming the variable.

======================  ============  ==================================================
name                    default       what it bounds
======================  ============  ==================================================
``WINDOW_OFFSET``       10,000        any window bound, in sessions from day 0 (|k|)
``EVENT_WINDOW``        1,000         sessions in the event window
``ESTIMATION_WINDOW``   2,520         sessions in the estimation window (ten years)
``EVENTS``              1,000,000     events in one run
``EVENTS_FILE_BYTES``   268,435,456   size of an events file (256 MiB)
``PRICE_FILE_BYTES``    2,147,483,648 size of one price or factor file (2 GiB)
``CONFIG_FILE_BYTES``   1,048,576     size of a batch TOML file (1 MiB)
``PRICE_LINE_BYTES``    1,048,576     one line of a CSV price file (1 MiB)
``FIELD_CHARS``         10,000        characters in one text cell of an events file
``YAHOO_SECONDS``       120           wall-clock seconds for one Yahoo request
``BOOTSTRAP_REPS``      100,000       resamples of the CAAR and BHAR bootstraps
``PLACEBO_TRIALS``      100,000       trials of one placebo run
======================  ============  ==================================================

A Yahoo request past ``YAHOO_SECONDS`` fails as a network failure: the tickers
not yet asked for are skipped, and when nothing came the run exits 75.
"""

from __future__ import annotations

import os
from pathlib import Path

from eventstudy.errors import InputError, SettingsError

__all__ = ["DEFAULTS", "LimitError", "check_file_size", "limit"]

DEFAULTS: dict[str, int] = {
    "WINDOW_OFFSET": 10_000,
    "EVENT_WINDOW": 1_000,
    "ESTIMATION_WINDOW": 2_520,
    "EVENTS": 1_000_000,
    "EVENTS_FILE_BYTES": 256 * 2**20,
    "PRICE_FILE_BYTES": 2 * 2**30,
    "CONFIG_FILE_BYTES": 2**20,
    "PRICE_LINE_BYTES": 2**20,
    "FIELD_CHARS": 10_000,
    "YAHOO_SECONDS": 120,
    "BOOTSTRAP_REPS": 100_000,
    "PLACEBO_TRIALS": 100_000,
}
ENV_PREFIX = "EVENTSTUDY_LIMIT_"


class LimitError(InputError):
    """An input beyond a resource limit (exit code 2)."""


def limit(name: str) -> int:
    """The limit ``name`` (:data:`DEFAULTS`), from ``EVENTSTUDY_LIMIT_<NAME>`` when set."""
    raw = os.environ.get(ENV_PREFIX + name, "").strip()
    if not raw:
        return DEFAULTS[name]
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise SettingsError(
            f"{ENV_PREFIX}{name}={raw[:40]!r} is not a positive whole number; unset it "
            f"(default {DEFAULTS[name]:,}) or give one"
        )
    return value


def hint(name: str) -> str:
    """How to change a limit, for messages."""
    return f"(limit {limit(name):,}; set {ENV_PREFIX}{name} to change it)"


def check_file_size(path: Path, name: str, what: str) -> None:
    """Refuse a file larger than limit ``name`` before reading it."""
    try:
        size = path.stat().st_size
    except OSError:
        return  # the reader reports missing or unreadable files
    if size > limit(name):
        raise LimitError(
            f"{path}: the {what} is {size:,} bytes, larger than this tool reads at once "
            f"{hint(name)}; split it or raise the limit"
        )
