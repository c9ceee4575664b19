"""GARCH(1,1) market model (``--model garch``; the optional ``arch`` package).

Per event, on the estimation days where the stock and the benchmark have a
return (consecutive in the series that is fitted; ``n`` days), maximum
likelihood with normal errors (``arch.arch_model(mean="LS", vol="GARCH")``
on returns in percent):

.. math::

    R_t = \\alpha + \\beta R_{m,t} + e_t, \\quad e_t = \\sqrt{h_t} z_t, \\quad
    h_t = \\omega + a\\, e_{t-1}^2 + b\\, h_{t-1}

In the event window ``AR_t = R_t - alpha - beta R_m,t`` and its variance is the
conditional variance forecast from the last estimation day ``T``, ``k``
sessions ahead (arch's ``forecast``): ``h_{T+1} = omega + a e_T^2 + b h_T`` and
``h_{T+k} = omega + (a + b) h_{T+k-1}`` (the parameters' own estimation error
is left out), so
``Var(CAR_w) = sum_{t in w} h_t`` and every test that standardises by the SE
(Patell, BMP, KP, ...) uses ``h_t``. ``sigma^2 = SSR / (n - 2)`` of the mean
equation (the data checks, ranks and the estimation-residual tests) and
``d = n - 2``. This is the one model fitted event by event (``arch`` has no
batched fit): about 20-40 ms per event. Events whose fit does not converge
get no numbers and the reason says so. Fits run with one BLAS thread, so a
re-fit gives the same numbers bit for bit (the likelihood is often flat near
``a = 0``, where the optimum moves by about 1e-3 relative with the last bits
of the arithmetic).
"""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING

import numpy as np

from eventstudy.errors import SettingsError

if TYPE_CHECKING:
    from eventstudy.models import ModelFit
    from eventstudy.panel import Windows

logger = logging.getLogger(__name__)

#: Fewest estimation returns for a GARCH fit.
MIN_DAYS = 60
#: Returns are fitted in percent (the optimiser's scale); results are in decimals.
SCALE = 100.0


def _arch_model() -> object:
    try:
        from arch import arch_model
    except ImportError:
        raise SettingsError(
            "--model garch needs the arch package: pip install 'eventstudy[garch]'"
        ) from None
    return arch_model


def fit_garch(w: Windows) -> ModelFit:
    """GARCH(1,1) market model for every event of the chunk (one ``arch`` fit each)."""
    from threadpoolctl import threadpool_limits

    from eventstudy.models import PARAM_NAMES, ModelFit

    arch_model = _arch_model()
    y_all, x_all = w.ret_est, w.bench_est
    n_ev, le = y_all.shape
    lw = w.ret_evt.shape[1]
    params = np.full((n_ev, 5), np.nan)
    sigma2 = np.full(n_ev, np.nan)
    r2 = np.full(n_ev, np.nan)
    resid = np.full((n_ev, le), np.nan)
    var_path = np.full((n_ev, lw), np.nan)
    used_all = np.isfinite(y_all) & np.isfinite(x_all)
    n_est = used_all.sum(axis=1)
    rank_ok = np.zeros(n_ev, bool)
    why = np.full(n_ev, "", dtype=object)
    est_days = np.asarray(w.est_days)
    evt_days = np.asarray(w.evt_days)
    # one BLAS thread, as in the engine: the optimum of a flat likelihood moves
    # with the last bits of the linear algebra, and every re-fit (estimation
    # table, long BHARs, placebo) must give the study's numbers
    with threadpool_limits(limits=1, user_api="blas"):
        for i in range(n_ev):
            used = used_all[i]
            if n_est[i] < MIN_DAYS or np.ptp(x_all[i, used]) == 0:
                why[i] = (
                    f"GARCH needs at least {MIN_DAYS} estimation returns and a varying benchmark"
                )
                continue
            ys, xs = SCALE * y_all[i, used], SCALE * x_all[i, used]
            model = arch_model(  # type: ignore[operator]
                ys, x=xs[:, None], mean="LS", vol="GARCH", p=1, q=1, dist="normal", rescale=False
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = model.fit(disp="off", show_warning=False)
            if res.convergence_flag != 0:
                logger.info("garch: event %d did not converge (flag %s)", i, res.convergence_flag)
                why[i] = "the GARCH(1,1) likelihood did not converge"
                continue
            p = res.params
            const, beta = float(p["Const"]), float(p["x0"])
            omega, a, b = float(p["omega"]), float(p["alpha[1]"]), float(p["beta[1]"])
            e = (ys - const - beta * xs) / SCALE
            steps = evt_days - int(est_days[used][-1])  # sessions after the last fitted day
            horizon = int(steps.max())
            fc = res.forecast(horizon=horizon, x={"x0": np.zeros((1, horizon))}, reindex=False)
            var_path[i] = fc.variance.to_numpy()[0][steps - 1] / SCALE**2
            params[i] = (const / SCALE, beta, omega / SCALE**2, a, b)
            resid[i, used] = e
            ssr = float(e @ e)
            sigma2[i] = ssr / (n_est[i] - 2)
            dy = y_all[i, used] - y_all[i, used].mean()
            r2[i] = 1.0 - ssr / float(dy @ dy)
            rank_ok[i] = True
    with np.errstate(invalid="ignore"):
        expected = params[:, 0:1] + params[:, 1:2] * w.bench_evt
    return ModelFit(
        model="garch",
        param_names=PARAM_NAMES["garch"],
        params=params,
        sigma2=sigma2,
        r2=r2,
        n_est=n_est,
        dof=n_est - 2,
        resid_est=resid,
        expected_evt=expected,
        ar=w.ret_evt - expected,
        var_ar=var_path,
        rank_ok=rank_ok,
        var_path=var_path,
        fail_reason=why,
    )
