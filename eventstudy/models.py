"""Expected-return models, fitted for every event of a chunk at once.

Each model gives regressors ``x_t`` and is fitted by OLS on the estimation
window (``market_adjusted`` fits nothing). For event ``i`` with estimation
design ``X`` (``L1 x k``, the rows where the stock and every regressor have a
return) and event-window design ``X*``:

.. math::

    b = (X'X)^{-1} X'y, \\qquad \\sigma^2 = SSR / (L_1 - k), \\qquad
    AR_t = R_t - x_t' b, \\qquad
    V = \\sigma^2 (I + X^* (X'X)^{-1} X^{*\\prime})

The market model and the constant-mean model use closed-form sums (centred,
two passes); with ``\\bar x``, ``S_{xx} = \\sum (x - \\bar x)^2``:

.. math::

    \\beta = S_{xy} / S_{xx}, \\quad \\alpha = \\bar y - \\beta \\bar x, \\quad
    V_{tt} = \\sigma^2 \\left(1 + \\frac1{L_1} + \\frac{(x_t - \\bar x)^2}{S_{xx}}\\right),
    \\quad 1'V_w 1 = \\sigma^2 \\left(L + \\frac{L^2}{L_1} +
    \\frac{(\\sum_w x_t - L \\bar x)^2}{S_{xx}}\\right)

``scholes_williams`` and ``dimson`` (thin trading) are in
:mod:`eventstudy.thin_trading`, ``garch`` in :mod:`eventstudy.garch` (the one
model fitted event by event). Factor models use a batched QR decomposition
(zero rows for missing days leave the estimate unchanged). No other Python
loop over events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eventstudy.panel import Windows
from eventstudy.settings import FACTOR_MODELS

#: Models whose expected return is ``alpha + beta R_m`` (the market model's variance).
MARKET_LIKE = ("market", "scholes_williams", "dimson")

#: Relative size below which a regressor's spread counts as zero (collinear design).
RANK_TOL = 1e-10

PARAM_NAMES: dict[str, tuple[str, ...]] = {
    "market": ("alpha", "beta"),
    "constant_mean": ("mu",),
    "market_adjusted": (),
    "scholes_williams": ("alpha", "beta"),
    "dimson": ("alpha", "beta"),
    "garch": ("alpha", "beta", "omega", "arch_a", "garch_b"),
    **{m: ("alpha", *(f"b_{f.lower()}" for f in fs)) for m, fs in FACTOR_MODELS.items()},
}


@dataclass(frozen=True)
class ModelFit:
    """Per-event estimates of one chunk (row ``i`` = event ``i`` of the windows).

    ``params`` (n, k); ``sigma2``, ``r2`` (n,); ``n_est`` (n,) the estimation
    returns used (``L1``); ``dof`` (n,) the degrees of freedom ``d``;
    ``resid_est`` (n, Le) estimation residuals (NaN where unused);
    ``expected_evt``, ``ar`` (n, Lw); ``var_ar`` (n, Lw) the diagonal of ``V``;
    ``rank_ok`` (n,) False where ``X'X`` is singular. ``x_evt`` is the
    event-window design the variance of a sum of ARs needs: (n, Lw) benchmark
    returns for ``market``, (n, Lw, k) for factor models (with ``xtx_inv``).
    """

    model: str
    param_names: tuple[str, ...]
    params: np.ndarray
    sigma2: np.ndarray
    r2: np.ndarray
    n_est: np.ndarray
    dof: np.ndarray
    resid_est: np.ndarray
    expected_evt: np.ndarray
    ar: np.ndarray
    var_ar: np.ndarray
    rank_ok: np.ndarray
    x_evt: np.ndarray | None = None
    xbar: np.ndarray | None = None
    sxx: np.ndarray | None = None
    xtx_inv: np.ndarray | None = None
    #: (n, Lw) variance of each event-window AR when it varies by day (GARCH):
    #: then ``Var(CAR_w) = sum_w var_path`` (no parameter-error terms).
    var_path: np.ndarray | None = None
    #: (n,) why a fit failed, where the model knows ("" elsewhere).
    fail_reason: np.ndarray | None = None

    def _quad(self, s: np.ndarray, length: np.ndarray | int) -> np.ndarray:
        """``s'(X'X)^{-1}s`` for the sums ``s`` of the event-window regressors over
        ``length`` days: ``s`` is (n,) or (n, Lw) (benchmark sums, ``market``) or
        (n, k) / (n, Lw, k) (factor models)."""
        extra = (1,) * (np.ndim(length) and 1)
        n = self.n_est.astype(float).reshape((-1, *extra))
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.model in MARKET_LIKE:
                assert self.xbar is not None and self.sxx is not None
                xbar = self.xbar.reshape(n.shape)
                return length**2 / n + (s - length * xbar) ** 2 / self.sxx.reshape(n.shape)
            if self.model == "constant_mean":
                return length**2 / n
            if self.model == "market_adjusted":
                return np.zeros(np.broadcast_shapes(n.shape, np.shape(length)))
        assert self.xtx_inv is not None
        if s.ndim == 2:
            return np.einsum("nk,nkl,nl->n", s, self.xtx_inv, s)
        return np.einsum("ntk,nkl,ntl->nt", s, self.xtx_inv, s)

    def _regressor_sums(self, cols: np.ndarray | None) -> np.ndarray:
        """Sums of the event-window regressors over ``cols`` (``None``: running sums)."""
        if self.x_evt is None:
            return np.zeros(len(self.sigma2))
        if cols is None:
            return np.cumsum(self.x_evt, axis=1)
        return self.x_evt[:, cols].sum(axis=1)

    def car_variance(self, cols: np.ndarray) -> np.ndarray:
        """``1' V_w 1 = sigma^2 (L + s'(X'X)^{-1}s)``, ``s`` = column sums of ``X*_w``."""
        if self.var_path is not None:
            return self.var_path[:, cols].sum(axis=1)
        length = len(cols)
        return self.sigma2 * (length + self._quad(self._regressor_sums(cols), length))

    def cumulative_car_variance(self) -> np.ndarray:
        """(n, Lw) variance of the CAR from the event-window start to each day."""
        if self.var_path is not None:
            return np.cumsum(self.var_path, axis=1)
        length = np.arange(1, self.ar.shape[1] + 1)[None, :]
        quad = self._quad(self._regressor_sums(None), length)
        return self.sigma2[:, None] * (length + quad)


def fit(model: str, w: Windows) -> ModelFit:
    """Fit ``model`` on every event's estimation window and predict its event window."""
    if model == "market":
        return _fit_market(w)
    if model == "constant_mean":
        return _fit_constant_mean(w)
    if model == "market_adjusted":
        return _fit_market_adjusted(w)
    if model in ("scholes_williams", "dimson"):
        from eventstudy.thin_trading import fit_thin_trading

        return fit_thin_trading(model, w)
    if model == "garch":
        from eventstudy.garch import fit_garch

        return fit_garch(w)
    if model in FACTOR_MODELS:
        if w.factors_est is None:
            raise ValueError(f"model {model!r} needs factor returns")
        return _fit_factors(model, w)
    raise ValueError(f"unknown model {model!r}")


def _masked_mean(values: np.ndarray, used: np.ndarray, n: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(used, values, 0.0).sum(axis=1) / n


def rowdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``sum_t a_it b_it`` per row, without a temporary product array."""
    return np.einsum("ij,ij->i", a, b)


def _fit_market(w: Windows) -> ModelFit:
    """OLS of ``R_i`` on ``[1, R_m]`` per row in closed form over the used days:
    ``beta = Sxy / Sxx``, ``alpha = ybar - beta xbar``, ``sigma^2 = SSR / (n - 2)``."""
    y, x = w.ret_est, w.bench_est
    used = np.isfinite(y) & np.isfinite(x)
    n_est = used.sum(axis=1)
    n = n_est.astype(float)
    xz = np.where(used, x, 0.0)
    dy = np.where(used, y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        xbar, ybar = xz.sum(axis=1) / n, dy.sum(axis=1) / n
    # The rank test of a QR on [1, x]: |R_22| = sqrt(Sxx) against the larger column norm.
    scale = np.maximum(n, rowdot(xz, xz))
    dx = xz
    dx -= xbar[:, None]
    dx *= used
    dy -= ybar[:, None]
    dy *= used
    sxx, sxy, syy = rowdot(dx, dx), rowdot(dx, dy), rowdot(dy, dy)
    rank_ok = (n_est > 2) & (sxx > RANK_TOL**2 * np.maximum(scale, 1e-300))
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = np.where(rank_ok, sxy / sxx, np.nan)
        alpha = ybar - beta * xbar
        resid = dy
        resid -= beta[:, None] * dx
        ssr = rowdot(resid, resid)
        resid[~used] = np.nan
        ssr = np.where(rank_ok, ssr, np.nan)
        dof = n_est - 2
        sigma2 = np.where(rank_ok & (dof > 0), ssr / np.maximum(dof, 1), np.nan)
        r2 = np.where(rank_ok, 1.0 - ssr / syy, np.nan)
    return market_like_fit(
        "market", w, alpha, beta, sigma2, r2, n_est, dof, resid, rank_ok, xbar, sxx
    )


def market_like_fit(
    model: str,
    w: Windows,
    alpha: np.ndarray,
    beta: np.ndarray,
    sigma2: np.ndarray,
    r2: np.ndarray,
    n_est: np.ndarray,
    dof: np.ndarray,
    resid: np.ndarray,
    rank_ok: np.ndarray,
    xbar: np.ndarray,
    sxx: np.ndarray,
) -> ModelFit:
    """The event window of a model with ``E[R_t] = alpha + beta R_m,t`` (the market
    model, the thin-trading betas): ``AR_t = R_t - alpha - beta R_m,t`` and
    ``V_tt = sigma^2 (1 + 1/n + (R_m,t - xbar)^2 / Sxx)``."""
    n = n_est.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = alpha[:, None] + beta[:, None] * w.bench_evt
        ar = w.ret_evt - expected
        var_ar = sigma2[:, None] * (
            1.0 + 1.0 / n[:, None] + (w.bench_evt - xbar[:, None]) ** 2 / sxx[:, None]
        )
    return ModelFit(
        model=model,
        param_names=PARAM_NAMES[model],
        params=np.column_stack([alpha, beta]),
        sigma2=sigma2,
        r2=r2,
        n_est=n_est,
        dof=dof,
        resid_est=resid,
        expected_evt=expected,
        ar=ar,
        var_ar=var_ar,
        rank_ok=rank_ok,
        x_evt=w.bench_evt,
        xbar=xbar,
        sxx=sxx,
    )


def _fit_constant_mean(w: Windows) -> ModelFit:
    y = w.ret_est
    used = np.isfinite(y)
    n_est = used.sum(axis=1)
    n = n_est.astype(float)
    mu = _masked_mean(y, used, n)
    rank_ok = n_est > 1
    with np.errstate(invalid="ignore", divide="ignore"):
        resid = np.where(used, y - mu[:, None], np.nan)
        ssr = np.nansum(resid**2, axis=1)
        dof = n_est - 1
        sigma2 = np.where(dof > 0, ssr / np.maximum(dof, 1), np.nan)
        expected = np.broadcast_to(mu[:, None], w.ret_evt.shape).copy()
        ar = w.ret_evt - expected
        var_ar = np.broadcast_to((sigma2 * (1.0 + 1.0 / n))[:, None], ar.shape).copy()
    mu = np.where(rank_ok, mu, np.nan)
    return ModelFit(
        model="constant_mean",
        param_names=PARAM_NAMES["constant_mean"],
        params=mu[:, None],
        sigma2=np.where(rank_ok, sigma2, np.nan),
        r2=np.zeros(len(y)),
        n_est=n_est,
        dof=dof,
        resid_est=resid,
        expected_evt=expected,
        ar=ar,
        var_ar=var_ar,
        rank_ok=rank_ok,
    )


def _fit_market_adjusted(w: Windows) -> ModelFit:
    """``AR = R - R_m``; ``sigma^2`` = sample variance (ddof 1) of ``R - R_m``; ``d = L1 - 1``."""
    diff = w.ret_est - w.bench_est
    used = np.isfinite(diff)
    n_est = used.sum(axis=1)
    n = n_est.astype(float)
    mean = _masked_mean(diff, used, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        ss = np.where(used, (diff - mean[:, None]) ** 2, 0.0).sum(axis=1)
        sigma2 = np.where(n_est > 1, ss / np.maximum(n_est - 1, 1), np.nan)
    ar = w.ret_evt - w.bench_evt
    return ModelFit(
        model="market_adjusted",
        param_names=(),
        params=np.zeros((len(diff), 0)),
        sigma2=sigma2,
        r2=np.full(len(diff), np.nan),
        n_est=n_est,
        dof=n_est - 1,
        resid_est=np.where(used, diff, np.nan),
        expected_evt=w.bench_evt.copy(),
        ar=ar,
        var_ar=np.broadcast_to(sigma2[:, None], ar.shape).copy(),
        rank_ok=n_est > 1,
    )


def _fit_factors(model: str, w: Windows) -> ModelFit:
    """Batched QR on ``[1, factors]`` explaining the excess return ``R - RF``."""
    assert w.factors_est is not None and w.factors_evt is not None
    assert w.rf_est is not None and w.rf_evt is not None
    x_est = np.concatenate([np.ones((*w.ret_est.shape, 1)), w.factors_est], axis=2)
    x_evt = np.concatenate([np.ones((*w.ret_evt.shape, 1)), w.factors_evt], axis=2)
    y = w.ret_est - w.rf_est
    k = x_est.shape[2]
    used = np.isfinite(y) & np.isfinite(x_est).all(axis=2)
    n_est = used.sum(axis=1)
    xz = np.where(used[..., None], x_est, 0.0)
    yz = np.where(used, y, 0.0)
    enough = n_est > k
    short = np.flatnonzero(~enough)
    if short.size and xz.shape[1] >= k:
        # A dummy identity design keeps the batch solvable; these events are skipped.
        xz[short] = 0.0
        diag = np.arange(k)
        xz[short[:, None], diag[None, :], diag[None, :]] = 1.0
    if xz.shape[1] < k:  # a window shorter than the model: nothing can be fitted
        xz = np.concatenate([xz, np.zeros((len(xz), k - xz.shape[1], k))], axis=1)
        xz[:, np.arange(k), np.arange(k)] = 1.0
        yz = np.concatenate([yz, np.zeros((len(yz), k - yz.shape[1]))], axis=1)
    q, r = np.linalg.qr(xz, mode="reduced")
    diag_r = np.abs(np.diagonal(r, axis1=1, axis2=2))
    scale = np.sqrt((xz**2).sum(axis=1)).max(axis=1, initial=0.0)
    rank_ok = enough & (diag_r > RANK_TOL * np.maximum(scale, 1e-300)[:, None]).all(axis=1)
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
        ybar = np.where(used, y, 0.0).sum(axis=1) / np.maximum(n_est, 1)
        sst = np.where(used, (y - ybar[:, None]) ** 2, 0.0).sum(axis=1)
        r2 = 1.0 - ssr / sst
    expected = w.rf_evt + np.einsum("nlk,nk->nl", x_evt, params)
    quad = np.einsum("nlk,nkj,nlj->nl", x_evt, xtx_inv, x_evt)
    var_ar = sigma2[:, None] * (1.0 + quad)
    bad = ~rank_ok
    for arr in (params, sigma2, r2):
        arr[bad] = np.nan
    return ModelFit(
        model=model,
        param_names=PARAM_NAMES[model],
        params=params,
        sigma2=sigma2,
        r2=r2,
        n_est=n_est,
        dof=dof,
        resid_est=resid,
        expected_evt=expected,
        ar=w.ret_evt - expected,
        # V_tt depends on the regressors only: defined even where R_t is missing.
        var_ar=np.where(np.isfinite(x_evt).all(axis=2), var_ar, np.nan),
        rank_ok=rank_ok,
        x_evt=x_evt,
        xtx_inv=xtx_inv,
    )
