"""eventstudy: how did the stock market react to the news?

>>> import eventstudy as es
>>> study = es.EventStudy.from_csv("events.csv")          # doctest: +SKIP
>>> res = study.run(prices="examples/prices")             # doctest: +SKIP
>>> res.car                                               # doctest: +SKIP

Importing the package loads nothing heavy (no pandas, scipy or calendars):
the names below are imported on first use (PEP 562).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eventstudy.errors import EventStudyError, InputError
    from eventstudy.result import StudyResult, Summary
    from eventstudy.settings import StudySettings
    from eventstudy.study import EventStudy

__all__ = [
    "EventStudy",
    "EventStudyError",
    "InputError",
    "StudyResult",
    "StudySettings",
    "Summary",
    "__version__",
]
__version__ = "0.1.0"

_LAZY = {
    "EventStudy": "eventstudy.study",
    "EventStudyError": "eventstudy.errors",
    "InputError": "eventstudy.errors",
    "StudyResult": "eventstudy.result",
    "Summary": "eventstudy.result",
    "StudySettings": "eventstudy.settings",
}

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'eventstudy' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
