"""Errors and warnings whose messages say what is wrong and how to fix it.

Every user mistake raises a subclass of :class:`EventStudyError`; the CLI turns
it into one clean line and the exit code held by the class (2 for bad input).
"""

from __future__ import annotations

from dataclasses import dataclass


class EventStudyError(Exception):
    """Base class of every error the tool raises on purpose."""

    exit_code: int = 1


class InputError(EventStudyError):
    """Bad usage or a bad input file (exit code 2)."""

    exit_code = 2


@dataclass(frozen=True)
class InputIssue:
    """One problem in an input file: where it is and what was expected."""

    source: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class EventsFileError(InputError):
    """An events table with one or more bad rows; holds every issue found."""

    def __init__(self, issues: list[InputIssue]):
        self.issues = list(issues)
        first = str(self.issues[0]) if self.issues else "invalid events table"
        more = f" (and {len(self.issues) - 1} more problem(s))" if len(self.issues) > 1 else ""
        super().__init__(first + more)


class PricesFileError(InputError):
    """A prices file or folder that cannot be read as prices."""


class SettingsError(InputError):
    """An invalid study setting (window, model, option)."""


class OfflineDataMissing(InputError):
    """``--offline`` was asked for and the cache lacks data the study needs."""


class ProviderError(EventStudyError):
    """A data provider failed in a way that stops the whole run."""


class DataUnavailable(EventStudyError):
    """Data is temporarily unavailable (rate limit, network down); retry later."""

    exit_code = 75


class EventStudyWarning(UserWarning):
    """Base class of the tool's warnings."""


class DataQualityWarning(EventStudyWarning):
    """Prices look suspicious (gaps, stale runs, unadjusted splits)."""


class DuplicateEventWarning(EventStudyWarning):
    """Two or more events share a ticker and a day 0 (one reaction counted twice)."""
