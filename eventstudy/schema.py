"""Names of the columns the tool writes, in one place.

The events table a study returns (``events.csv`` in the output folder) holds
the user's input columns, the columns computed while loading the events and
the columns the engine adds. An input column named like one of the last two
would be overwritten, so :mod:`eventstudy.events` refuses it.
"""

from __future__ import annotations

from eventstudy.settings import FACTOR_MODELS

#: Columns the events loader computes (day 0 and its provenance).
LOADER_COLUMNS: tuple[str, ...] = (
    "exchange",
    "announced",
    "day0",
    "day0_rule",
    "line",
    "benchmark_source",
)
#: Columns the engine and the data checks add to every event.
RESULT_COLUMNS: tuple[str, ...] = (
    "status",
    "reason",
    "model",
    "n_est",
    "sigma",
    "r2",
    "data_flags",
    "confounding_events",
    "corporate_actions",
)
#: Model parameters of every model (``alpha, beta`` for ``market``, ...).
PARAMETER_COLUMNS: tuple[str, ...] = (
    "alpha",
    "beta",
    "mu",
    *dict.fromkeys(f"b_{f.lower()}" for fs in FACTOR_MODELS.values() for f in fs),
)


def reserved_event_columns() -> frozenset[str]:
    """Every column name of the events output that the tool itself writes."""
    return frozenset(LOADER_COLUMNS) | frozenset(RESULT_COLUMNS) | frozenset(PARAMETER_COLUMNS)
