"""Expected-return models, fitted for every event at once.

Each model gives regressors ``x_t`` and is fitted by OLS on the estimation
window (``market_adjusted`` fits nothing). For event ``i`` with estimation
design ``X`` (``L1 x k``, rows where the stock and every regressor have a
return) and event-window design ``X*``:

.. math::

    b = (X'X)^{-1} X'y, \\qquad \\sigma^2 = SSR / (L_1 - k), \\qquad
    AR_t = R_t - x_t' b, \\qquad
    V = \\sigma^2 (I + X^* (X'X)^{-1} X^{*\\prime})

The fit is a batched QR decomposition over the stacked events (zero rows for
missing days leave the estimate unchanged), so there is no Python loop over
events. A factor model only has to say how it builds ``x_t``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eventstudy.panel import EventPanel
from eventstudy.settings import FACTOR_MODELS


@dataclass(frozen=True)
class ModelFit:
    """Per-event estimates (row ``i`` = event ``i`` of the panel).

    ``params`` (N, k); ``xtx_inv`` (N, k, k); ``sigma2``, ``r2`` (N,);
    ``n_est`` (N,) the estimation returns used (``L1``); ``dof`` (N,) the
    degrees of freedom ``d``; ``resid_est`` (N, Le) estimation residuals (NaN
    where unused); ``expected_evt``, ``ar`` (N, Lw); ``x_evt`` (N, Lw, k) the
    event-window design (NaN rows where a regressor is missing); ``var_ar``
    (N, Lw) the diagonal of ``V``; ``rank_ok`` (N,) False where ``X'X`` is
    singular.
    """

    model: str
    param_names: tuple[str, ...]
    params: np.ndarray
    xtx_inv: np.ndarray
    sigma2: np.ndarray
    r2: np.ndarray
    n_est: np.ndarray
    dof: np.ndarray
    resid_est: np.ndarray
    expected_evt: np.ndarray
    ar: np.ndarray
    x_evt: np.ndarray
    var_ar: np.ndarray
    rank_ok: np.ndarray

    def cumulative_car_variance(self) -> np.ndarray:
        """(N, Lw) variance of the CAR from the event-window start to each day.

        ``sigma^2 (l + s_l' (X'X)^{-1} s_l)`` with ``s_l`` the running sum of the
        first ``l`` event-window regressor rows; NaN after a missing regressor.
        """
        s = np.cumsum(self.x_evt, axis=1)
        quad = np.einsum("nlk,nkj,nlj->nl", s, self.xtx_inv, s)
        length = np.arange(1, self.x_evt.shape[1] + 1)[None, :]
        return self.sigma2[:, None] * (length + quad)

    def car_variance(self, cols: np.ndarray) -> np.ndarray:
        """``1' V_w 1 = sigma^2 (L + s' (X'X)^{-1} s)``, ``s`` = column sums of ``X*_w``."""
        s = self.x_evt[:, cols, :].sum(axis=1)
        quad = np.einsum("nk,nkl,nl->n", s, self.xtx_inv, s)
        return self.sigma2 * (len(cols) + quad)


def design(model: str, bench: np.ndarray, factors: np.ndarray | None = None) -> np.ndarray:
    """Regressors ``x_t`` of ``model`` as an (N, L, k) array (NaN where missing)."""
    ones = np.ones((*bench.shape, 1))
    if model in FACTOR_MODELS:
        if factors is None:
            raise ValueError(f"model {model!r} needs factor returns")
        return np.concatenate([ones, factors], axis=2)
    if model == "market":
        return np.concatenate([ones, bench[..., None]], axis=2)
    if model == "constant_mean":
        return ones
    if model == "market_adjusted":
        return np.zeros((*bench.shape, 0))
    raise ValueError(f"unknown model {model!r}")


PARAM_NAMES: dict[str, tuple[str, ...]] = {
    "market": ("alpha", "beta"),
    "constant_mean": ("mu",),
    "market_adjusted": (),
    **{m: ("alpha", *(f"b_{f.lower()}" for f in fs)) for m, fs in FACTOR_MODELS.items()},
}


def fit(model: str, panel: EventPanel) -> ModelFit:
    """Fit ``model`` on every event's estimation window and predict its event window."""
    if model == "market_adjusted":
        return _fit_market_adjusted(panel)
    if model in FACTOR_MODELS and panel.factors_est is None:
        raise ValueError(f"model {model!r} needs factors attached to the panel")
    return _fit_ols(model, panel)


def _fit_ols(model: str, panel: EventPanel) -> ModelFit:
    x_est = design(model, panel.bench_est, panel.factors_est)
    x_evt = design(model, panel.bench_evt, panel.factors_evt)
    # Factor models explain excess returns R - RF; others the raw return.
    excess = model in FACTOR_MODELS
    offset_est = panel.rf_est if excess and panel.rf_est is not None else 0.0
    offset_evt = panel.rf_evt if excess and panel.rf_evt is not None else 0.0
    y = panel.ret_est - offset_est
    k = x_est.shape[2]
    used = np.isfinite(y) & np.isfinite(x_est).all(axis=2)
    n_est = used.sum(axis=1)
    xz = np.where(used[..., None], x_est, 0.0)
    yz = np.where(used, y, 0.0)
    # Events with too few rows get a dummy identity design so the batch stays solvable.
    enough = n_est > k
    short = np.flatnonzero(~enough)
    if short.size:
        xz[short] = 0.0
        diag = np.arange(k)
        xz[short[:, None], diag[None, :], diag[None, :]] = 1.0
    q, r = np.linalg.qr(xz, mode="reduced")
    diag = np.abs(np.diagonal(r, axis1=1, axis2=2))
    scale = np.sqrt((xz**2).sum(axis=1)).max(axis=1, initial=0.0)
    rank_ok = enough & (diag > 1e-10 * np.maximum(scale, 1e-300)[:, None]).all(axis=1)
    r_safe = np.where(rank_ok[:, None, None], r, np.eye(k)[None])
    qty = np.einsum("nlk,nl->nk", q, yz)
    params = np.linalg.solve(r_safe, qty[..., None])[..., 0]
    r_inv = np.linalg.inv(r_safe)
    xtx_inv = r_inv @ np.swapaxes(r_inv, 1, 2)

    fitted = np.einsum("nlk,nk->nl", np.nan_to_num(x_est), params)
    resid = np.where(used, y - fitted, np.nan)
    ssr = np.nansum(resid**2, axis=1)
    dof = n_est - k
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma2 = np.where(dof > 0, ssr / np.maximum(dof, 1), np.nan)
        ybar = np.nansum(np.where(used, y, 0.0), axis=1) / np.maximum(n_est, 1)
        sst = np.nansum(np.where(used, (y - ybar[:, None]) ** 2, np.nan), axis=1)
        r2 = 1.0 - ssr / sst if model != "constant_mean" else np.zeros(len(y))

    expected = offset_evt + np.einsum("nlk,nk->nl", x_evt, params)
    ar = panel.ret_evt - expected
    quad = np.einsum("nlk,nkj,nlj->nl", x_evt, xtx_inv, x_evt)
    var_ar = sigma2[:, None] * (1.0 + quad)
    bad = ~rank_ok
    for arr in (params, sigma2, r2):
        arr[bad] = np.nan
    return ModelFit(
        model=model,
        param_names=PARAM_NAMES[model],
        params=params,
        xtx_inv=xtx_inv,
        sigma2=sigma2,
        r2=r2,
        n_est=n_est,
        dof=dof,
        resid_est=resid,
        expected_evt=expected,
        ar=ar,
        x_evt=x_evt,
        # V_tt depends on the regressors only: defined even where R_t is missing.
        var_ar=np.where(np.isfinite(x_evt).all(axis=2), var_ar, np.nan),
        rank_ok=rank_ok,
    )


def _fit_market_adjusted(panel: EventPanel) -> ModelFit:
    """``AR = R - R_m``; ``sigma^2`` = sample variance (ddof 1) of ``R - R_m``; ``d = L1 - 1``."""
    diff = panel.ret_est - panel.bench_est
    used = np.isfinite(diff)
    n_est = used.sum(axis=1)
    resid = np.where(used, diff, np.nan)
    n = len(diff)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(np.where(used, diff, 0.0), axis=1) / np.maximum(n_est, 1)
        ss = np.nansum(np.where(used, (diff - mean[:, None]) ** 2, np.nan), axis=1)
        sigma2 = np.where(n_est > 1, ss / np.maximum(n_est - 1, 1), np.nan)
    ar = panel.ret_evt - panel.bench_evt
    lw = ar.shape[1]
    return ModelFit(
        model="market_adjusted",
        param_names=(),
        params=np.zeros((n, 0)),
        xtx_inv=np.zeros((n, 0, 0)),
        sigma2=sigma2,
        r2=np.full(n, np.nan),
        n_est=n_est,
        dof=n_est - 1,
        resid_est=resid,
        expected_evt=panel.bench_evt.copy(),
        ar=ar,
        x_evt=np.zeros((n, lw, 0)),
        var_ar=np.broadcast_to(sigma2[:, None], ar.shape).copy(),
        rank_ok=n_est > 1,
    )
