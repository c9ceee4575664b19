"""The frozen result of a study: tidy tables, the settings that made them, metadata."""

from __future__ import annotations

import datetime as dt
import functools
import html
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.data.base import PriceSet
from eventstudy.settings import StudySettings

if TYPE_CHECKING:
    from eventstudy.engine import EngineOutput
    from eventstudy.placebo import PlaceboResult

EVENT_COLUMNS = [
    "event_id",
    "ticker",
    "benchmark",
    "announced",
    "timing",
    "day0",
    "day0_rule",
    "status",
    "reason",
    "model",
    "n_est",
    "sigma",
]
TAIL_COLUMNS = [
    "r2",
    "data_flags",
    "confounding_events",
    "corporate_actions",
    "exchange",
    "date",
    "time",
    "description",
    "benchmark_source",
]
INTERNAL = {"line"}
PACKAGES = (
    "eventstudy-reports",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "exchange_calendars",
    "yfinance",
    "plotly",
)


@functools.lru_cache(maxsize=1)
def _versions() -> tuple[tuple[str, str], ...]:
    return tuple(versions_uncached().items())


def versions() -> dict[str, str]:
    """Versions of Python and the packages that shape the numbers (looked up once)."""
    return dict(_versions())


def versions_uncached() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def order_event_columns(events: pd.DataFrame, param_names: tuple[str, ...]) -> pd.DataFrame:
    """INTERFACE.md column order, then the user's extra columns."""
    head = [c for c in EVENT_COLUMNS + list(param_names) + TAIL_COLUMNS if c in events.columns]
    extra = [c for c in events.columns if c not in head and c not in INTERNAL]
    return events[head + extra]


def build_meta(
    settings: StudySettings,
    prices: PriceSet,
    out: EngineOutput,
    *,
    events_source: str,
    timings: dict[str, float],
) -> dict[str, Any]:
    """Everything ``run.json`` records: settings, data source, versions, counts."""
    counts = out.events["status"].value_counts().to_dict()
    return {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "events_source": events_source,
        "settings": settings.to_dict(),
        "data_source": prices.source,
        "return_column": dict(sorted(prices.return_column.items())),
        "missing_tickers": dict(sorted(prices.missing.items())),
        "data_notes": {k: v for k, v in sorted(prices.notes.items()) if v},
        "counts": {s: int(counts.get(s, 0)) for s in ("ok", "pending", "skipped", "failed")}
        | {"events": len(out.events)},
        "kp_r": out.kp_r,
        "kp_method": out.kp_method,
        "versions": versions(),
        "timings_s": {k: round(v, 4) for k, v in timings.items()},
    }


@dataclass(frozen=True)
class StudyResult:
    """Result of :meth:`eventstudy.EventStudy.run`.

    Attributes
    ----------
    events, ar, car, aar, tests
        The tables of INTERFACE.md (``pandas.DataFrame``).
    estimation
        Estimation-window returns, fitted values and residuals per event
        (built on first access: about 240 rows per event).
    settings, meta
        The settings used and the ``run.json`` metadata.
    prices
        The price frames used (for charts), keyed by ticker (built on access).
    """

    events: pd.DataFrame
    ar: pd.DataFrame
    car: pd.DataFrame
    aar: pd.DataFrame
    tests: pd.DataFrame
    settings: StudySettings
    meta: dict[str, Any] = field(default_factory=dict)
    prices: Mapping[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    engine: Any = field(default=None, repr=False, compare=False)
    price_set: Any = field(default=None, repr=False, compare=False)
    #: The last regression, grouping and placebo computed on the result (shown in its report).
    attachments: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: The factor file or folder of the run (what :meth:`placebo` re-reads).
    factors_source: Any = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def estimation(self) -> pd.DataFrame:
        """Estimation-window rows of every estimated event (see the class docstring)."""
        return self.engine.estimation if self.engine is not None else pd.DataFrame()

    @classmethod
    def from_engine(
        cls,
        out: EngineOutput,
        settings: StudySettings,
        meta: dict[str, Any],
        prices: PriceSet,
        factors_source: Any = None,
    ) -> StudyResult:
        from eventstudy.models import PARAM_NAMES

        events = order_event_columns(out.events, PARAM_NAMES[settings.model])
        return cls(
            events=events,
            ar=out.ar,
            car=out.car,
            aar=out.aar,
            tests=out.tests,
            settings=settings,
            meta=meta,
            prices=prices.frames,
            engine=out,
            price_set=prices,
            factors_source=factors_source,
        )

    @functools.cached_property
    def day0_split(self) -> pd.DataFrame:
        """Day 0's return split into overnight (close to open) and intraday (open to
        close) parts, each abnormal (see :mod:`eventstudy.day0_split`)."""
        from eventstudy.day0_split import day0_split

        return day0_split(self.events, self.prices, self.settings.model)

    @functools.cached_property
    def bhar(self) -> pd.DataFrame:
        """Buy-and-hold abnormal returns per event and CAR window (:mod:`eventstudy.bhar`)."""
        from eventstudy.bhar import bhar_table, long_bhar_table

        windows = [(int(a), int(b)) for a, b in self.settings.car_windows]
        table = bhar_table(self.ar, self.settings.event_days, windows, self.settings.return_type)
        longs = [w for w in self.settings.bhar_windows if w not in set(windows)]
        if not longs:
            return table
        source = self.engine.source if self.engine is not None else None
        extra = long_bhar_table(source, [(int(a), int(b)) for a, b in longs])
        return pd.concat([table, extra], ignore_index=True) if len(extra) else table

    @functools.cached_property
    def volatility(self) -> pd.DataFrame:
        """Event- against estimation-window residual variance (:mod:`eventstudy.volatility`)."""
        from eventstudy.volatility import volatility_table

        windows = [(int(a), int(b)) for a, b in self.settings.car_windows]
        k = max(self.settings.k, 1)  # market_adjusted: d = L1 - 1
        return volatility_table(self.ar, self.events, windows, k)

    @functools.cached_property
    def _volume_pair(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        from eventstudy.volume import volume_tables

        return volume_tables(self.events, self.ar, self.estimation, self.prices)

    @property
    def volume(self) -> pd.DataFrame:
        """Abnormal log volume per event and event day (:mod:`eventstudy.volume`)."""
        return self._volume_pair[0]

    @property
    def volume_tests(self) -> pd.DataFrame:
        """Mean abnormal log volume per relative day with its tests."""
        from eventstudy.inference.alternative import one_sided_columns

        pairs = (("t_cs", "p_cs"), ("t_cw", "p_cw"))
        return one_sided_columns(self._volume_pair[1], pairs, self.settings.alternative)

    @functools.cached_property
    def bootstrap(self) -> pd.DataFrame:
        """Seeded bootstrap of the CAAR per CAR window (:mod:`eventstudy.bootstrap`)."""
        from eventstudy.bootstrap import bootstrap_caar

        s = self.settings
        return bootstrap_caar(
            self.car, s.car_windows, s.bootstrap_reps, s.seed, s.conf_level, s.alternative
        )

    @functools.cached_property
    def bhar_tests(self) -> pd.DataFrame:
        """Mean BHAR per window with its t and skewness-adjusted t."""
        from eventstudy.bhar import bhar_tests
        from eventstudy.inference.alternative import one_sided_columns
        from eventstudy.inference.extra import SKEW_REPS

        s = self.settings
        table = bhar_tests(self.bhar, SKEW_REPS, s.seed, s.alternative)
        return one_sided_columns(table, (("t", "p_value"),), s.alternative)

    def by_group(self, column: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Every test per group of ``column`` and the CAAR differences between groups
        (:mod:`eventstudy.groups`): ``(groups_tests, groups_diff)``."""
        from eventstudy.groups import group_tables

        if self.price_set is None:
            raise ValueError("this result holds no prices to re-run the groups on")
        tests, diff = group_tables(self, column, self.price_set)
        self.attachments["groups"] = {"column": column, "tests": tests, "diff": diff}
        return tests, diff

    def intraday(
        self, bars: Any, *, estimation_sessions: int = 10, source: str = ""
    ) -> dict[str, pd.DataFrame]:
        """Abnormal returns in minutes around each announcement from minute ``bars``
        (a long frame, or a path for :func:`eventstudy.intraday.load_intraday`):
        ``{"car", "ar", "tests"}`` (:mod:`eventstudy.intraday`), written as
        ``intraday_car``, ``intraday_ar`` and ``intraday_tests`` tables and shown
        on the event pages."""
        from eventstudy.inference.alternative import one_sided_columns
        from eventstudy.intraday import intraday_tests, load_intraday, study_intraday

        if not isinstance(bars, pd.DataFrame):
            source = source or str(bars)
            bars = load_intraday(bars)
        car, ar = study_intraday(self.events, bars, estimation_sessions=estimation_sessions)
        alt = self.settings.alternative
        tests = intraday_tests(car, alt)
        car = one_sided_columns(car, (("t", "p_value"),), alt)
        got = {"car": car, "ar": ar, "tests": tests}
        self.attachments["intraday"] = got
        measured = car.dropna(subset=["car"])
        self.meta["intraday"] = {
            "source": source,
            "estimation_sessions": estimation_sessions,
            "tickers": sorted(bars["ticker"].astype(str).str.upper().unique().tolist()),
            "events_measured": int(measured["event_id"].nunique()),
            "events_without": int(car["event_id"].nunique() - measured["event_id"].nunique()),
        }
        return got

    def placebo(
        self,
        trials: int = 200,
        *,
        inject: float = 0.0,
        seed: int = 0,
        cluster: bool = False,
        universe: list[str] | None = None,
        workers: int | None = None,
        scheduler: str | None = None,
    ) -> PlaceboResult:
        """``eventstudy placebo`` on this study: ``trials`` sets of pseudo-events with
        its tickers (or ``universe``, whose prices must be in the run), settings and
        prices, on random sessions; each test's rejection rate at 1%, 5% and 10%
        (:func:`eventstudy.placebo.run_placebo`). Shown in the study's report."""
        from types import SimpleNamespace

        from eventstudy.placebo import PlaceboSpec, run_placebo

        if self.price_set is None:
            raise ValueError("this result holds no prices to draw pseudo-events from")
        spec = PlaceboSpec(
            trials=trials, seed=seed, inject=inject, cluster=cluster, universe=universe
        )
        study = SimpleNamespace(
            settings=self.settings, events=self.events, factors_source=self.factors_source
        )
        got = run_placebo(study, self.price_set, spec, workers=workers, scheduler=scheduler)
        self.attachments["placebo"] = got
        keep = (
            "trials",
            "seed",
            "inject",
            "cluster",
            "events_per_trial_mean",
            "seconds",
            "warnings",
        )
        self.meta["placebo"] = {k: got.meta[k] for k in keep}
        return got

    def regress(
        self,
        formula: str,
        window: tuple[int, int] | None = None,
        cov: str = "HC1",
        wls: bool = False,
    ) -> Any:
        """Cross-sectional regression of CAR on events.csv columns; the statsmodels
        results (``.summary()``, ``.params``); see :mod:`eventstudy.cs_regression`."""
        return self.regression(formula, window, cov, wls)[1]

    def regression(
        self,
        formula: str,
        window: tuple[int, int] | None = None,
        cov: str = "HC1",
        wls: bool = False,
    ) -> tuple[pd.DataFrame, Any]:
        """:meth:`regress` with its coefficient table (``regression.csv``) first;
        the last one computed is shown in the report."""
        from eventstudy.cs_regression import regress

        table, fit = regress(self, formula, window, cov, wls)
        self.attachments["regression"] = {"table": table, "summary": str(fit.summary())}
        return table, fit

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        """Confidence intervals of every CAR and of the CAAR of every window.

        One row per event and CAR window (``CAR -/+ t_d SE(CAR)``, ``d`` the
        event's degrees of freedom) and one per window with ``event_id`` ``"CAAR"``
        (``CAAR -/+ t_{N-1} sd(CAR)/sqrt(N)``, the interval of ``t_cs``).
        ``level`` defaults to the run's ``conf_level`` (0.95); one-sided bounds
        (the other end infinite) when the run's ``alternative`` is one-sided.
        """
        from eventstudy.assemble import t_interval

        lvl = self.settings.conf_level if level is None else float(level)
        if not 0.0 < lvl < 1.0:
            raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
        car = self.car
        lo, hi = t_interval(
            car["car"].to_numpy(float),
            car["se"].to_numpy(float),
            car["df"].to_numpy(float),
            lvl,
            self.settings.alternative,
        )
        events = pd.DataFrame(
            {
                "event_id": car["event_id"].astype(str).to_numpy(),
                "start": car["start"].to_numpy(),
                "end": car["end"].to_numpy(),
                "estimate": car["car"].to_numpy(float),
                "ci_low": lo,
                "ci_high": hi,
            }
        )
        g = car.groupby(["start", "end"], sort=False)["car"]
        stats_ = g.agg(["mean", "std", "count"]).reset_index()
        n = stats_["count"].to_numpy(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.where(n >= 2, stats_["std"].to_numpy(float) / np.sqrt(n), np.nan)
        caar = stats_["mean"].to_numpy(float)
        c_lo, c_hi = t_interval(caar, se, n - 1, lvl, self.settings.alternative)
        cross = pd.DataFrame(
            {
                "event_id": "CAAR",
                "start": stats_["start"].to_numpy(),
                "end": stats_["end"].to_numpy(),
                "estimate": caar,
                "ci_low": c_lo,
                "ci_high": c_hi,
            }
        )
        return pd.concat([events, cross], ignore_index=True).assign(level=lvl)

    def summary(self) -> Summary:
        """A compact summary with text (``str``) and HTML forms."""
        return Summary.of(self)

    def _repr_html_(self) -> str:
        try:
            from eventstudy.report.notebook import repr_html
        except ImportError:
            return self.summary().as_html()
        return repr_html(self)

    def __repr__(self) -> str:
        c = self.meta.get("counts", {})
        return (
            f"<StudyResult {c.get('events', len(self.events))} events: "
            f"{c.get('ok', 0)} ok, {c.get('pending', 0)} pending, "
            f"{c.get('skipped', 0)} skipped, {c.get('failed', 0)} failed; "
            f"model={self.settings.model}>"
        )

    def to_files(self, out_dir: str, formats: tuple[str, ...] = ("csv",)) -> list[str]:
        """Write the tables and ``run.json`` into ``out_dir`` (atomically)."""
        from eventstudy.output import write_tables

        return [str(p) for p in write_tables(self, out_dir, formats)]

    def to_html(self, out_dir: str, **options: Any) -> str:
        """Write the HTML report (``index.html`` + event pages) into ``out_dir``."""
        from eventstudy.report import write_report

        return str(write_report(self, out_dir, **options))

    def plot_car(self) -> Any:
        """Plotly figure of the CAAR over the event window with a 95% band."""
        from eventstudy.report.figures import caar_figure

        return caar_figure(self)

    def plot_event(self, event_id: str) -> Any:
        """Plotly figure of one event's ARs and CAR.

        Raises
        ------
        KeyError
            No event ``event_id`` in this result.
        ValueError
            The event has no abnormal returns (failed, skipped, or pending
            before its estimation window ended); the message gives its reason.
        """
        from eventstudy.report.figures import event_car_figure

        ids = self.events["event_id"].astype(str)
        if str(event_id) not in set(ids):
            shown = ", ".join(ids.head(5))
            raise KeyError(f"no event {event_id!r} in this result; ids start with {shown}")
        row = self.events[ids == str(event_id)].iloc[0]
        if self.ar.empty or not (self.ar["event_id"].astype(str) == str(event_id)).any():
            raise ValueError(
                f"event {event_id!r} has no abnormal returns to plot: it is "
                f"{row['status']} ({row['reason'] or 'not estimated'})"
            )
        return event_car_figure(self, event_id)


def _fmt(x: Any, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return ""
    if isinstance(x, float | np.floating):
        return f"{x:.{digits}f}"
    return str(x)


@dataclass(frozen=True)
class Summary:
    """Headline numbers of a study: one row per CAR window and test p-values."""

    title: str
    setup: str
    table: pd.DataFrame
    not_ok: pd.DataFrame
    sentence: str = ""
    note: str = ""

    @classmethod
    def of(cls, res: StudyResult) -> Summary:
        s = res.settings
        counts = res.meta.get("counts", {})
        setup = (
            f"model {s.model}; estimation {list(s.estimation_window)}; event window "
            f"{list(s.event_window)}; {counts.get('ok', 0)} ok, {counts.get('pending', 0)} "
            f"pending, {counts.get('skipped', 0)} skipped, {counts.get('failed', 0)} failed; "
            f"data: {res.meta.get('data_source', '')}"
        )
        t = res.tests
        if t.empty:
            table = pd.DataFrame()
        else:
            wide = t.pivot_table(
                index=["start", "end"],
                columns="statistic",
                values="p_value",
                sort=False,
                dropna=False,
            )
            base = t.groupby(["start", "end"], sort=False)[["n", "caar"]].first()
            table = base.join(wide.add_suffix(" p")).reset_index()
            table.insert(
                0,
                "window",
                [
                    f"[{a:+d},{b:+d}]"
                    for a, b in zip(table.pop("start"), table.pop("end"), strict=True)
                ],
            )
        not_ok = res.events.loc[res.events["status"] != "ok", ["event_id", "status", "reason"]]
        from eventstudy.wording import result_study_sentence

        n_max = int(t["n"].max()) if not t.empty else 0
        note = (
            ""
            if n_max >= 2
            else f"No cross-sectional test: fewer than 2 events with a CAR "
            f"in every window (N = {n_max}); see each event's own t-test in res.car."
        )
        return cls(
            f"Event study of {counts.get('events', len(res.events))} events",
            setup,
            table,
            not_ok,
            sentence=result_study_sentence(res),
            note=note,
        )

    def as_text(self) -> str:
        lines = [self.title, self.setup, ""]
        if self.sentence:
            lines += [self.sentence, ""]
        if self.note:
            lines += [self.note, ""]
        if not self.table.empty:
            lines.append(self.table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        if not self.not_ok.empty:
            lines += ["", "Not ok:"] + [
                f"  {r.event_id}: {r.status} - {r.reason}" for r in self.not_ok.itertuples()
            ]
        return "\n".join(lines)

    def as_html(self) -> str:
        head = f"<h4>{html.escape(self.title)}</h4><p>{html.escape(self.setup)}</p>"
        for extra in (self.sentence, self.note):
            if extra:
                head += f"<p><strong>{html.escape(extra)}</strong></p>"
        table = (
            self.table.to_html(
                index=False, float_format=lambda v: f"{v:.4f}", escape=True, border=0
            )
            if not self.table.empty
            else ""
        )
        rows = "".join(
            f"<li>{html.escape(str(r.event_id))}: {html.escape(str(r.status))} - "
            f"{html.escape(str(r.reason))}</li>"
            for r in self.not_ok.itertuples()
        )
        return head + table + (f"<p>Not ok:</p><ul>{rows}</ul>" if rows else "")

    def __str__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()
