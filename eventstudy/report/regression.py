"""The estimation regression of one event, as statsmodels reports it.

The study's engine fits every event at once; this module refits one event's
estimation window with ``statsmodels.OLS`` (the same rows: ``res.estimation``
holds exactly the returns the engine used) so the event page can show the
table finance readers expect: coefficients with standard errors, t and p,
R², F, Durbin-Watson, Jarque-Bera, omnibus, skew, kurtosis, condition number.

Returns are in percent (coefficients: ``alpha`` in percent per day, ``beta``
unitless). The summary's date and time cells are blanked so that a page does
not change when nothing but the clock did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.report.data import event_data

if TYPE_CHECKING:
    from eventstudy.result import StudyResult

Y_NAME = "R stock (%)"
_DROP_ROWS = ("Date:", "Time:")


def x_names(model: str) -> list[str] | None:
    """Coefficient labels of the estimation regression (``None``: nothing is fitted)."""
    from eventstudy.settings import FACTOR_MODELS

    if model == "market":
        return ["alpha (%)", "beta"]
    if model == "constant_mean":
        return ["mu (%)"]
    if model in FACTOR_MODELS:
        return ["alpha (%)", *(f"b_{f.lower()}" for f in FACTOR_MODELS[model])]
    return None


@dataclass(frozen=True)
class SummaryTable:
    """One table of a statsmodels summary: rows of ``(text, kind)`` cells."""

    title: str
    rows: list[list[tuple[str, str]]]  # (text, "stub" | "header" | "data")


def _kind(datatype: object) -> str:
    return str(datatype) if datatype in ("stub", "header") else "data"


def _rows(tab: Any) -> list[list[tuple[str, str]]]:
    """Cells of a SimpleTable; the date/time rows go, their right halves fill blank slots."""
    rows, spill = [], []
    for row in tab:
        cells = [(str(c.data).strip(), _kind(c.datatype)) for c in row]
        if cells and cells[0][0] in _DROP_ROWS:  # the clock, not the data
            spill.append(cells[2:])
            continue
        rows.append(cells)
    for cells in rows:
        if spill and len(cells) == 4 and not cells[2][0] and not cells[3][0]:
            cells[2:] = spill.pop(0)
    rows += [[("", "stub"), ("", "data"), *rest] for rest in spill]
    return rows


@dataclass(frozen=True)
class RegressionSummary:
    """A statsmodels OLS summary as plain text cells (escaped by the templates)."""

    tables: list[SummaryTable]
    notes: list[str]


def fit_estimation(estimation: pd.DataFrame, model: str) -> Any:
    """``statsmodels`` OLS results of one event's estimation window, or ``None``.

    Parameters
    ----------
    estimation
        The event's rows of ``res.estimation`` (``ret``, ``benchmark_ret``).
    model
        ``market`` (a constant and the benchmark), ``constant_mean`` (a
        constant) or a factor model (a constant and the factors, on the excess
        return ``R - RF``; only when ``estimation`` carries the factor columns
        and ``rf``). ``market_adjusted`` fits nothing.
    """
    from eventstudy.report.data import regressors
    from eventstudy.settings import FACTOR_MODELS

    x = regressors(model, estimation) if not estimation.empty else None
    if x is None or x.shape[1] == 0 or len(x) <= x.shape[1]:
        return None
    y = estimation["ret"].to_numpy(float)
    if model in FACTOR_MODELS:
        if "rf" not in estimation.columns:
            return None
        y = y - estimation["rf"].to_numpy(float)
    import statsmodels.api as sm

    # Percent units: the constant column stays 1, return regressors scale by 100.
    x = np.column_stack([x[:, :1], 100.0 * x[:, 1:]])
    return sm.OLS(100.0 * y, x).fit()


def ols_summary(res: StudyResult, event_id: str) -> Any:
    """statsmodels' ``Summary`` of the estimation regression of ``event_id`` (or ``None``).

    Examples
    --------
    >>> print(ols_summary(res, "msft-openai-mou-2025"))  # doctest: +SKIP
    """
    ed = event_data(res, event_id)
    fitted = fit_estimation(ed.estimation, res.settings.model)
    if fitted is None:
        return None
    return fitted.summary(yname=Y_NAME, xname=x_names(res.settings.model),
                          title="OLS on the estimation window")


def summary_tables(estimation: pd.DataFrame, model: str) -> RegressionSummary | None:
    """The summary of :func:`fit_estimation` as :class:`RegressionSummary` (or ``None``)."""
    fitted = fit_estimation(estimation, model)
    if fitted is None:
        return None
    summ = fitted.summary(yname=Y_NAME, xname=x_names(model), title="OLS on the estimation window")
    tables = [SummaryTable(str(tab.title or ""), _rows(tab)) for tab in summ.tables]
    notes = [line.strip() for line in str(summ.extra_txt or "").splitlines()
             if line.strip() and line.strip() != "Notes:"]
    return RegressionSummary(tables, notes)
