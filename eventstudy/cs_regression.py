"""Cross-sectional regression of CARs on event characteristics (``--regress``).

``car ~ size + C(industry)`` (a statsmodels formula; the left side must be
``car`` or ``scar``) is fitted by OLS on the events with a CAR in one window
(default: the first CAR window), with the columns of ``events.csv``:

* ``cov="HC1"`` (default): White's heteroskedasticity-robust covariance with
  the ``n / (n - k)`` correction;
* ``cov="cluster:date"`` or ``cov="cluster:COLUMN"``: cluster-robust by day 0
  or by a column (statsmodels' default small-sample correction);
* ``cov="nonrobust"``: the classical OLS covariance;
* ``wls=True``: weighted least squares with Patell's weights ``1 / SE(CAR)^2``.

Results: ``regression.csv`` (``term, coef, se, t, p_value, ci_low, ci_high``
plus ``n, r2, cov_type, formula, start, end``) and statsmodels' summary in
``regression.txt``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from eventstudy.errors import SettingsError

__all__ = ["regress"]


def _data(res: Any, window: tuple[int, int]) -> pd.DataFrame:
    car = res.car[(res.car["start"] == window[0]) & (res.car["end"] == window[1])]
    if car.empty:
        raise SettingsError(
            f"--regress: no CARs over [{window[0]}, {window[1]}]; give one of the CAR windows"
        )
    ev = res.events.drop(columns=[c for c in ("car", "scar", "se") if c in res.events])
    car = car.assign(event_id=car["event_id"].astype(str))
    ev = ev.assign(event_id=ev["event_id"].astype(str))
    data = car.merge(ev, on="event_id", how="left", validate="one_to_one")
    # events.csv columns arrive as text: numbers become numbers (C(x) still makes them factors)
    for col in data.columns:
        if data[col].dtype == object or isinstance(data[col].dtype, pd.StringDtype):
            text = data[col].astype("string").str.strip()
            if text.isna().all() or (text == "").all():
                continue
            num = pd.to_numeric(text.replace("", pd.NA), errors="coerce")
            if num.notna().sum() == text.replace("", pd.NA).notna().sum():
                data[col] = num.astype(float)
    return data


def regress(
    res: Any,
    formula: str,
    window: tuple[int, int] | None = None,
    cov: str = "HC1",
    wls: bool = False,
) -> tuple[pd.DataFrame, Any]:
    """Fit ``formula`` on the CARs of ``window``; return (coefficient table, statsmodels fit)."""
    import statsmodels.formula.api as smf

    win = tuple(window) if window is not None else tuple(res.settings.car_windows[0])
    lhs = formula.split("~", 1)[0].strip() if "~" in formula else ""
    if lhs not in ("car", "scar"):
        raise SettingsError(
            f"--regress {formula!r}: write it as 'car ~ x1 + x2' (left side car or scar)"
        )
    data = _data(res, (int(win[0]), int(win[1])))
    if cov.startswith("cluster:"):
        by = cov.split(":", 1)[1]
        key = "day0" if by == "date" else by
        if key not in data:
            raise SettingsError(f"--regress-cov {cov}: no column {by!r} to cluster by")
        groups = pd.factorize(data[key].astype(str))[0]
        fit_kw: dict[str, Any] = {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    elif cov in ("HC0", "HC1", "HC2", "HC3", "nonrobust"):
        fit_kw = {"cov_type": cov}
    else:
        raise SettingsError(
            f"--regress-cov {cov!r}: choose HC1, HC0, HC2, HC3, nonrobust, cluster:date or "
            "cluster:COLUMN"
        )
    try:
        if wls:
            weights = 1.0 / data["se"].to_numpy(dtype=float) ** 2
            model = smf.wls(formula, data, weights=weights)
        else:
            model = smf.ols(formula, data)
    except Exception as exc:  # patsy/formula errors name the bad term
        raise SettingsError(f"--regress {formula!r}: {exc}") from None
    n, k = int(model.nobs), int(model.exog.shape[1])
    if n <= k:  # no residual degree of freedom: no SE, no test
        raise SettingsError(
            f"--regress {formula!r}: {n} event(s) with a CAR on [{win[0]}, {win[1]}] for "
            f"{k} coefficient(s); the regression needs more events than coefficients (add "
            "events or drop terms)"
        )
    try:
        fit = model.fit(**fit_kw)
    except Exception as exc:
        raise SettingsError(f"--regress {formula!r}: {exc}") from None
    ci = fit.conf_int(alpha=1.0 - res.settings.conf_level)
    table = pd.DataFrame(
        {
            "term": fit.params.index.astype(str),
            "coef": fit.params.to_numpy(),
            "se": fit.bse.to_numpy(),
            "t": fit.tvalues.to_numpy(),
            "p_value": fit.pvalues.to_numpy(),
            "ci_low": np.asarray(ci)[:, 0],
            "ci_high": np.asarray(ci)[:, 1],
        }
    ).assign(
        n=int(fit.nobs),
        r2=float(fit.rsquared),
        cov_type=cov + (" (WLS, Patell weights)" if wls else ""),
        formula=formula,
        start=int(win[0]),
        end=int(win[1]),
    )
    return table, fit
