"""The methodology section of the study page, generated from the settings used.

Plain sentences (escaped by the template) restating METHODS.md for exactly
the model, windows, return type and tests of this run, with references.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from eventstudy.report import fmt

if TYPE_CHECKING:
    from eventstudy.result import StudyResult

MODEL_TEXT = {
    "market": (
        "Market model: R_t = alpha + beta R_m,t + e_t, fitted by OLS on the estimation "
        "window (k = 2 parameters)."
    ),
    "constant_mean": (
        "Constant-mean model: R_t = mu + e_t, mu the estimation-window mean (k = 1)."
    ),
    "market_adjusted": (
        "Market-adjusted returns: AR_t = R_t - R_m,t; nothing is fitted; sigma² "
        "is the variance (ddof 1) of R - R_m on the estimation window and "
        "d = L1 - 1."
    ),
    "scholes_williams": (
        "Scholes-Williams (1977) market model for thin trading: beta = (b_-1 + b_0 + b_+1) "
        "/ (1 + 2 rho), b_j the OLS slope of R_t on R_m,t+j and rho the first-order "
        "autocorrelation of R_m, on the estimation days with R_t and R_m,t-1..t+1; "
        "alpha = mean(R) - beta mean(R_m); AR_t = R_t - alpha - beta R_m,t; d = L1 - 2."
    ),
    "dimson": (
        "Dimson (1979) market model for thin trading: OLS of R_t on R_m,t-1, R_m,t and "
        "R_m,t+1, beta the sum of the three slopes, on the estimation days with all four "
        "returns; alpha = mean(R) - beta mean(R_m); AR_t = R_t - alpha - beta R_m,t; "
        "d = L1 - 4."
    ),
    "garch": (
        "GARCH(1,1) market model: R_t = alpha + beta R_m,t + e_t, e_t with conditional "
        "variance h_t = omega + a e_t-1² + b h_t-1, maximum likelihood (arch package) on the "
        "estimation window; AR_t = R_t - alpha - beta R_m,t with variance the forecast "
        "h_T+k from the last estimation day, Var(CAR) = sum of h_t (k = 2 in d = L1 - 2)."
    ),
    "ff3": (
        "Fama-French three-factor model: R_t - RF_t = alpha + b_mkt (MKT-RF)_t + b_smb SMB_t "
        "+ b_hml HML_t + e_t, OLS on the estimation window (k = 4), daily factors of the "
        "Fama-French data library."
    ),
    "carhart": (
        "Carhart four-factor model: the three Fama-French factors plus momentum MOM, "
        "on R_t - RF_t, OLS on the estimation window (k = 5)."
    ),
    "ff5": (
        "Fama-French five-factor model: MKT-RF, SMB, HML, RMW and CMA on R_t - RF_t, OLS on "
        "the estimation window (k = 6)."
    ),
}
TEST_TEXT = {
    "t_cs": "cross-sectional t: CAAR / (sd(CAR_i) / sqrt(N)), t with N-1 df (Brown & Warner 1985)",
    "patell": "Patell Z: sum(SCAR_i) / sqrt(sum(d_i / (d_i - 2))), normal (Patell 1976)",
    "bmp": "BMP t: mean(SCAR_i) / (sd(SCAR_i) / sqrt(N)), t with N-1 df "
    "(Boehmer, Musumeci & Poulsen 1991)",
    "kp": "Kolari-Pynnönen t: BMP x sqrt((1 - r) / (1 + (N - 1) r)), r the mean residual "
    "correlation of event pairs times the overlap of their windows (Kolari & Pynnönen 2010)",
    "corrado": "Corrado rank test: ranks over estimation and event window, "
    "U = rank/(T+1) - 1/2, multi-day form, normal (Corrado 1989; Corrado & Zivney "
    "1992; Campbell & Wasley 1993)",
    "gen_sign": "generalised sign test: positive CARs against the estimation-window share of "
    "positive residuals, normal (Cowan 1992)",
    "sign": "sign test: (w - N/2) / sqrt(N/4), normal",
    "wilcoxon": "Wilcoxon signed-rank W+ of the CARs, p from scipy.stats.wilcoxon",
    "bw_crude": "Brown-Warner crude dependence t: CAAR / (sqrt(L) S), S the SD of the average "
    "estimation-window residual, t with T-1 df (Brown & Warner 1985)",
    "grank": "generalised rank test GRANK, t form, ranks of standardised residuals with the "
    "window's SCAR as one observation, t with T-2 df (Kolari & Pynnönen 2011)",
    "adj_patell": "adjusted Patell Z: Patell x sqrt((1 - r) / (1 + (N - 1) r)), normal "
    "(Kolari & Pynnönen 2010)",
    "skew_t": "skewness-adjusted t of the CARs, sqrt(N) (S + g S²/3 + g/(6N)), with the "
    "bootstrap p of Lyon, Barber & Tsai (1999): resamples of the centred CARs, seeded; "
    "no p below 4 events (Hall 1992)",
    "sign_exact": "sign test with the exact binomial p (scipy.stats.binomtest, p = 1/2)",
    "gen_sign_exact": "generalised sign test with the exact binomial p against Cowan's p-hat",
}
REFERENCES = (
    "Boehmer, E., Musumeci, J. & Poulsen, A. (1991). Event-study methodology under conditions "
    "of event-induced variance. Journal of Financial Economics 30, 253-272.",
    "Brown, S. & Warner, J. (1985). Using daily stock returns: the case of event studies. "
    "Journal of Financial Economics 14, 3-31.",
    "Campbell, C. & Wasley, C. (1993). Measuring security price performance using daily NASDAQ "
    "returns. Journal of Financial Economics 33, 73-92.",
    "Campbell, C. & Wasley, C. (1996). Measuring abnormal daily trading volume for samples of "
    "NYSE/ASE and NASDAQ securities using parametric and nonparametric test statistics. Review "
    "of Quantitative Finance and Accounting 6, 309-326.",
    "Campbell, J., Lo, A. & MacKinlay, A. C. (1997). The Econometrics of Financial Markets, "
    "chapter 4. Princeton University Press.",
    "Corrado, C. (1989). A nonparametric test for abnormal security-price performance in event "
    "studies. Journal of Financial Economics 23, 385-395.",
    "Corrado, C. & Zivney, T. (1992). The specification and power of the sign test in event "
    "study hypothesis tests using daily stock returns. Journal of Financial and Quantitative "
    "Analysis 27, 465-478.",
    "Cowan, A. (1992). Nonparametric event study tests. Review of Quantitative Finance and "
    "Accounting 2, 343-358.",
    "Gelbach, J., Helland, E. & Klick, J. (2013). Valid inference in single-firm, single-event "
    "studies. American Law and Economics Review 15, 495-541.",
    "Hall, P. (1992). On the removal of skewness by transformation. Journal of the Royal "
    "Statistical Society B 54, 221-228.",
    "Kolari, J. & Pynnönen, S. (2010). Event study testing with cross-sectional correlation of "
    "abnormal returns. Review of Financial Studies 23, 3996-4025.",
    "Kolari, J. & Pynnönen, S. (2011). Nonparametric rank tests for event studies. Journal of "
    "Empirical Finance 18, 953-971.",
    "Lyon, J., Barber, B. & Tsai, C.-L. (1999). Improved methods for tests of long-run abnormal "
    "stock returns. Journal of Finance 54, 165-201.",
    "MacKinlay, A. C. (1997). Event studies in economics and finance. Journal of Economic "
    "Literature 35, 13-39.",
    "Patell, J. (1976). Corporate forecasts of earnings per share and stock price behavior. "
    "Journal of Accounting Research 14, 246-276.",
)


def _sided(alternative: str) -> str:
    """``two-sided`` or ``one-sided (greater: H1 AR > 0)`` etc. for the methodology."""
    if alternative == "two-sided":
        return "two-sided"
    sign = ">" if alternative == "greater" else "<"
    return (
        f"one-sided ({alternative}: the alternative is an abnormal return {sign} 0; "
        f"confidence intervals are one-sided bounds)"
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


@dataclass(frozen=True)
class Methodology:
    """Headed lists of sentences, then the references."""

    sections: list[tuple[str, list[str]]]
    references: tuple[str, ...] = REFERENCES


def methodology(res: StudyResult) -> Methodology:
    """Describe the methods of ``res`` from its settings and ``run.json`` metadata."""
    s, meta = res.settings, res.meta
    est, evt = s.estimation_window, s.event_window
    ret = (
        "simple returns R_t = P_t / P_(t-1) - 1"
        if s.return_type == "simple"
        else "log returns r_t = ln(P_t / P_(t-1))"
    )
    cols = sorted(set((meta.get("return_column") or {}).values()))
    time = [
        "Relative days count the trading sessions of each security's exchange calendar "
        "(exchange_calendars), not calendar days.",
        "Day 0 is the first session that could react: an announcement after the close (or "
        "timed at or after it) moves day 0 to the next session; before the open, during the "
        "market or with unknown timing, day 0 is the announcement date if it is a session, "
        "else the next session. Every event page shows the announcement, day 0 and the rule.",
        f"Estimation window {fmt.window(*est)}, event window {fmt.window(*evt)}; CAR windows "
        + ", ".join(fmt.window(*w) for w in s.car_windows)
        + ". The estimation window ends "
        "before the event window starts (no look-ahead).",
    ]
    returns = [
        f"{ret.capitalize()} between consecutive sessions, from the "
        f"{' / '.join(cols) if cols else 'adjusted close'} column of the price data "
        f"({meta.get('data_source', 'source not recorded')}).",
        "A missing price makes that session's and the next session's return missing; nothing "
        "is forward-filled.",
    ]
    model = [
        MODEL_TEXT.get(s.model, s.model),
        f"Events with fewer than {s.min_estimation} estimation returns (L1) are skipped with "
        "the count stated.",
        "AR_t = R_t - x_t'b; sigma² = SSR / (L1 - k); V = sigma² (I + X*(X'X)^-1 X*'), the "
        "prediction-error covariance of the event-window ARs; SE(AR_t) = sqrt(V_tt); "
        "CAR = sum of AR; SE(CAR) = sqrt(1'V_w 1); t = SCAR = CAR / SE(CAR), "
        f"{_sided(s.alternative)} p from Student t with d = L1 - k degrees of freedom "
        "(MacKinlay 1997; Campbell, Lo & "
        "MacKinlay 1997).",
        "A CAR window that is not fully observed has no CAR; the event drops out of that "
        "window's cross-section only.",
    ]
    names = list(dict.fromkeys(res.tests["statistic"])) if not res.tests.empty else list(TEST_TEXT)
    tests = [_sentence(TEST_TEXT.get(n, n)) for n in names]
    tests.append(
        f"All p-values are {_sided(s.alternative)}; no cross-sectional test with fewer than 2 "
        "events. "
        "Single-day tests (AAR) use the same formulas on the window [t, t]."
    )
    kp_r = meta.get("kp_r") or {}
    if kp_r:
        tests.append(
            "Kolari-Pynnönen r per CAR window: "
            + "; ".join(f"[{k}] {fmt.num(v, 4)}" for k, v in kp_r.items())
            + "."
        )
    charts = [
        "CAAR band: CAAR_t +- t(N_t - 1, 0.975) x sd(CAR_i(t)) / sqrt(N_t), the cross-sectional "
        "standard error of the cumulative AR on each day.",
        "Event charts: AR whiskers are +-1.96 SE(AR_t); the CAR band is +-1.96 SE(CAR) of the "
        "CAR cumulated from the event-window start, with the full covariance V.",
    ]
    level = f"{100 * s.conf_level:g}%"
    more = [
        "BHAR (bhar.csv): prod(1 + R_t) - prod(1 + expected_t) over each CAR window against the "
        "model, and prod(1 + R_t) - prod(1 + R_m,t) against a buy-and-hold of the benchmark; "
        "cross-section: mean, t (N - 1) and the skewness-adjusted t = sqrt(N) (S + g S²/3 + "
        "g/(6N)), S = mean/sd, g the sample skewness (Hall 1992; Lyon, Barber & Tsai 1999).",
        f"Bootstrap of the CAAR (bootstrap.csv): {s.bootstrap_reps} resamples of the events with "
        f"replacement, numpy seed {s.seed}; {level} percentile interval, p = "
        "min(1, 2 min(P*(mean* <= 0), P*(mean* >= 0))); bootstrap-t p = P*(|t*| >= |t|) with "
        "t* = (mean* - CAAR) / (sd*/sqrt N).",
        "Abnormal volume (volume.csv): v = ln(1 + volume), AV_t = v_t - mean(v) over the "
        "estimation window (at least 30 sessions), t = AV_t / sd(v); per day the cross-sectional "
        "t and the portfolio test AAV_t / S, S the time-series sd of the estimation-window "
        "AAV (Campbell & Wasley 1996).",
        "Abnormal volatility (volatility.csv): VR = mean(AR²) over the window / sigma², "
        "one-sided p = P(F(L, d) > VR).",
        "Day-0 split (day0_split.csv): overnight R_on = O_0 / C_-1 - 1 (adjusted), intraday "
        "R_id = C_0 / O_0 - 1; AR_on = R_on - beta R_m,on, AR_id = R_id - alpha - beta R_m,id.",
        "Sample-quantile test (sq_p in car.csv): the CAR against the event's own sums of L "
        "consecutive estimation residuals (Gelbach, Helland & Klick 2013).",
        "Same-firm events whose day 0 lies in another event's estimation or event window are "
        "named in events.csv (confounding_events) and on the event page.",
        "Cross-sectional regression (run --regress): statsmodels formula on the CARs of one "
        "window, HC1 / HC0-3 / cluster-robust / classical covariance, optional WLS with weights "
        "1 / SE(CAR)². Groups (run --group): each group studied alone with the same settings; "
        "CAAR differences with Welch's t and the Mann-Whitney rank-sum test.",
    ]
    return Methodology(
        [
            ("Event time", time),
            ("Returns", returns),
            (f"Model: {s.model}", model),
            ("Cross-sectional tests", tests),
            ("Further measures", more),
            ("Charts", charts),
        ]
    )
