"""The estimation regression of one event, laid out as statsmodels prints it.

The numbers come from :mod:`eventstudy.report.diagnostics` (all events at
once); this module places them in statsmodels' three summary tables with
statsmodels' own number formats, so the event page reads like
``OLS(...).fit().summary()``: coefficients with standard errors, t, p and the
95% interval, R², F, log-likelihood, AIC, BIC, Durbin-Watson, Jarque-Bera,
omnibus, skew, kurtosis, condition number. The summary's date and time rows
are left out so that a page does not change when nothing but the clock did.

Returns are in percent (coefficients: ``alpha`` in percent per day, ``beta``
unitless). :func:`ols_summary` gives statsmodels' own ``Summary`` for a
notebook.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eventstudy.report.diagnostics import OLSDiagnostics
    from eventstudy.result import StudyResult

Y_NAME = "R stock (%)"
TITLE = "OLS on the estimation window"
PARAM_HEADER = ("coef", "std err", "t", "P>|t|", "[0.025", "0.975]")


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


Cells = list[tuple[str, str]]  # (text, "stub" | "header" | "data")


@dataclass(frozen=True)
class SummaryTable:
    """One table of a statsmodels summary: rows of ``(text, kind)`` cells."""

    title: str
    rows: list[Cells]


@dataclass(frozen=True)
class RegressionSummary:
    """A statsmodels OLS summary as plain text cells (escaped by the templates)."""

    tables: list[SummaryTable]
    notes: list[str]


def forg(x: float, prec: int = 3) -> str:
    """statsmodels' ``forg``: fixed decimals, ``g`` format for very large or small values."""
    if prec == 3:
        return f"{x:9.3g}" if (abs(x) >= 1e4) or (abs(x) < 1e-4) else f"{x:9.3f}"
    return f"{x:10.4g}" if (abs(x) >= 1e4) or (abs(x) < 1e-4) else f"{x:10.4f}"


def d_or_f(x: float) -> str:
    """statsmodels' ``d_or_f``: integers as such, other values with two decimals."""
    if x != x:
        return "NaN"
    return f"{int(x):#6d}" if x // 1 == x else f"{x:#8.2f}"


def _pair(left: str, lval: str, right: str, rval: str) -> Cells:
    return [(left, "stub"), (lval.strip(), "data"), (right, "stub"), (rval.strip(), "data")]


def summary(d: OLSDiagnostics, i: int, names: list[str]) -> RegressionSummary | None:
    """The summary of event ``i`` (``None`` when it has no regression)."""
    if not d.fitted[i]:
        return None
    top = [
        _pair("Dep. Variable:", Y_NAME, "R-squared:", f"{d.rsquared[i]:#8.3f}"),
        _pair("Model:", "OLS", "Adj. R-squared:", f"{d.rsquared_adj[i]:#8.3f}"),
        _pair("Method:", "Least Squares", "F-statistic:", f"{d.fvalue[i]:#8.4g}"),
        _pair("No. Observations:", d_or_f(d.nobs[i]), "AIC:", f"{d.aic[i]:#8.4g}"),
        _pair("Df Residuals:", d_or_f(d.df_resid[i]), "BIC:", f"{d.bic[i]:#8.4g}"),
        _pair("Df Model:", d_or_f(d.df_model[i]), "Prob (F-statistic):", f"{d.f_pvalue[i]:#6.3g}"),
        _pair("Covariance Type:", "nonrobust", "Log-Likelihood:", f"{d.llf[i]:#8.5g}"),
    ]
    params: list[Cells] = [[("", "data"), *((h, "header") for h in PARAM_HEADER)]]
    b, se, t, p = d.params[i], d.bse[i], d.tvalues[i], d.pvalues[i]
    lo, hi = d.conf_low[i], d.conf_high[i]
    for j, name in enumerate(names):
        params.append(
            [
                (name, "stub"),
                *(
                    (v.strip(), "data")
                    for v in (
                        forg(b[j], 4),
                        forg(se[j]),
                        forg(t[j]),
                        f"{p[j]:#6.3f}",
                        forg(lo[j]),
                        forg(hi[j]),
                    )
                ),
            ]
        )
    diagn = [
        _pair("Omnibus:", f"{d.omnibus[i]:#6.3f}", "Durbin-Watson:", f"{d.durbin_watson[i]:#8.3f}"),
        _pair(
            "Prob(Omnibus):",
            f"{d.omnibus_p[i]:#6.3f}",
            "Jarque-Bera (JB):",
            f"{d.jarque_bera[i]:#8.3f}",
        ),
        _pair("Skew:", f"{d.skew[i]:#6.3f}", "Prob(JB):", f"{d.jarque_bera_p[i]:#8.3g}"),
        _pair("Kurtosis:", f"{d.kurtosis[i]:#6.3f}", "Cond. No.", f"{d.cond_no[i]:#8.3g}"),
    ]
    return RegressionSummary(
        [SummaryTable(TITLE, top), SummaryTable("", params), SummaryTable("", diagn)], d.notes(i)
    )


def fit_estimation(res: StudyResult, event_id: str) -> Any:
    """``statsmodels`` OLS results of one event's estimation window, or ``None``.

    ``market``: a constant and the benchmark; ``constant_mean``: a constant;
    factor models: a constant and the factors, on the excess return ``R - RF``
    (when the result carries the factor columns). ``market_adjusted`` fits
    nothing.
    """
    from eventstudy.report.book import book_of
    from eventstudy.report.diagnostics import percent_design

    book = book_of(res)
    i = book.index(event_id)
    est = book.est
    n = int(est.n[i])
    if est.x is None or est.x.shape[2] == 0 or n <= est.x.shape[2]:
        return None
    import statsmodels.api as sm

    y, x = percent_design(est.y[i, :n], est.x[i, :n])
    return sm.OLS(y, x).fit()


def ols_summary(res: StudyResult, event_id: str) -> Any:
    """statsmodels' ``Summary`` of the estimation regression of ``event_id`` (or ``None``).

    Examples
    --------
    >>> print(ols_summary(res, "msft-openai-mou-2025"))  # doctest: +SKIP
    """
    fitted = fit_estimation(res, event_id)
    if fitted is None:
        return None
    return fitted.summary(yname=Y_NAME, xname=x_names(res.settings.model), title=TITLE)


def _table_rows(tab: Any) -> list[Cells]:
    """Cells of a statsmodels SimpleTable; the date/time rows go, their right halves fill
    the blank slots (the layout of :func:`summary`)."""
    rows, spill = [], []
    for row in tab:
        cells = [
            (str(c.data).strip(), str(c.datatype) if c.datatype in ("stub", "header") else "data")
            for c in row
        ]
        if cells and cells[0][0] in ("Date:", "Time:"):
            spill.append(cells[2:])
            continue
        rows.append(cells)
    for cells in rows:
        if spill and len(cells) == 4 and not cells[2][0] and not cells[3][0]:
            cells[2:] = spill.pop(0)
    rows += [[("", "stub"), ("", "data"), *rest] for rest in spill]
    return rows


def statsmodels_tables(res: StudyResult, event_id: str) -> RegressionSummary | None:
    """The same summary straight from statsmodels (the reference of the tests)."""
    summ = ols_summary(res, event_id)
    if summ is None:
        return None
    tables = [SummaryTable(str(tab.title or ""), _table_rows(tab)) for tab in summ.tables]
    notes = [
        line.strip()
        for line in str(summ.extra_txt or "").splitlines()
        if line.strip() and line.strip() != "Notes:"
    ]
    return RegressionSummary(tables, notes)
