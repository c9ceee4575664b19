"""Scheduled, incremental batch runs over the same public API as ``eventstudy run``.

>>> from eventstudy.batch import load_config, run_batch        # doctest: +SKIP
>>> result = run_batch(load_config("examples/batch.toml"))      # doctest: +SKIP
>>> [o.line() for o in result.outcomes], result.exit_code       # doctest: +SKIP

See ``docs/batch.md`` for the config keys, what is incremental, the exit
codes and crash safety.
"""

from __future__ import annotations

from eventstudy.batch.config import BatchConfig, BatchConfigError, StudyConfig, load_config
from eventstudy.batch.runner import (
    EXIT_FAILED_EVENTS,
    EXIT_OK,
    EXIT_TEMPFAIL,
    EXIT_USAGE,
    BatchResult,
    StudyLocked,
    StudyOutcome,
    plan_study,
    run_batch,
    run_study,
)

__all__ = [
    "EXIT_FAILED_EVENTS",
    "EXIT_OK",
    "EXIT_TEMPFAIL",
    "EXIT_USAGE",
    "BatchConfig",
    "BatchConfigError",
    "BatchResult",
    "StudyConfig",
    "StudyLocked",
    "StudyOutcome",
    "load_config",
    "plan_study",
    "run_batch",
    "run_study",
]
