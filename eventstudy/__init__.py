"""eventstudy: how did the stock market react to the news?

>>> import eventstudy as es
>>> study = es.EventStudy.from_csv("events.csv")          # doctest: +SKIP
>>> res = study.run(prices="../shared/data/prices")       # doctest: +SKIP
>>> res.car                                               # doctest: +SKIP
"""

from __future__ import annotations

import logging

from eventstudy.errors import EventStudyError, InputError
from eventstudy.result import StudyResult, Summary
from eventstudy.settings import StudySettings
from eventstudy.study import EventStudy

__all__ = ["EventStudy", "EventStudyError", "InputError", "StudyResult", "StudySettings",
           "Summary", "__version__"]
__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
