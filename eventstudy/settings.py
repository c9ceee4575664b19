"""Study settings: model, windows and options, validated once.

Windows are inclusive ranges of relative days (trading sessions of the
security's exchange, day 0 = first session that could react to the news).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

from eventstudy.errors import SettingsError

ModelName = Literal[
    "market",
    "constant_mean",
    "market_adjusted",
    "scholes_williams",
    "dimson",
    "garch",
    "ff3",
    "carhart",
    "ff5",
]
ReturnType = Literal["simple", "log"]

MODELS: tuple[str, ...] = get_args(ModelName)
#: Alternative hypotheses of the tests (``greater``: a positive abnormal return).
ALTERNATIVES: tuple[str, ...] = ("two-sided", "greater", "less")
RETURN_TYPES: tuple[str, ...] = get_args(ReturnType)

#: Factor columns (Fama-French daily library names, normalised) of each factor model.
FACTOR_MODELS: dict[str, tuple[str, ...]] = {
    "ff3": ("MKT_RF", "SMB", "HML"),
    "carhart": ("MKT_RF", "SMB", "HML", "MOM"),
    "ff5": ("MKT_RF", "SMB", "HML", "RMW", "CMA"),
}

DEFAULT_ESTIMATION_WINDOW = (-250, -11)
DEFAULT_EVENT_WINDOW = (-10, 10)
DEFAULT_CAR_WINDOWS = ((0, 0), (0, 1), (-1, 1), (-5, 5), (-10, 10))
DEFAULT_MIN_ESTIMATION = 120
#: Longest BHAR window in sessions.
MAX_BHAR_DAYS = 2520
#: Largest seed accepted (numpy takes any, the tables store seeds as int64).
MAX_SEED = 2**63 - 1


def _window(value: Sequence[int], name: str) -> tuple[int, int]:
    try:
        start, end = (int(v) for v in value)
    except (TypeError, ValueError):
        raise SettingsError(
            f"{name} must be two whole numbers START END (relative days), got {value!r}"
        ) from None
    if start > end:
        raise SettingsError(f"{name} [{start}, {end}] starts after it ends; give START <= END")
    from eventstudy.limits import hint, limit

    bound = limit("WINDOW_OFFSET")
    if max(abs(start), abs(end)) > bound:
        raise SettingsError(
            f"{name} [{start}, {end}] reaches more than {bound:,} sessions from day 0 "
            f"{hint('WINDOW_OFFSET')}; give a shorter window"
        )
    return start, end


def _length_limit(window: tuple[int, int], name: str, key: str) -> None:
    from eventstudy.limits import hint, limit

    most = limit(key)
    if window[1] - window[0] + 1 > most:
        raise SettingsError(
            f"{name} [{window[0]}, {window[1]}] spans {window[1] - window[0] + 1:,} sessions, "
            f"more than {most:,} {hint(key)}; give a shorter window"
        )


@dataclass(frozen=True)
class StudySettings:
    """Every setting that changes a number. Recorded in every output."""

    model: str = "market"
    estimation_window: tuple[int, int] = DEFAULT_ESTIMATION_WINDOW
    event_window: tuple[int, int] = DEFAULT_EVENT_WINDOW
    car_windows: tuple[tuple[int, int], ...] = DEFAULT_CAR_WINDOWS
    min_estimation: int = DEFAULT_MIN_ESTIMATION
    return_type: str = "simple"
    kp_min_overlap: int = 30
    #: Overlapping event pairs up to which KP's r is computed exactly (beyond: approximated).
    kp_max_pairs: int = 5_000_000
    #: Level of the confidence intervals of CAR and CAAR.
    conf_level: float = 0.95
    #: Alternative hypothesis of every test: two-sided, greater or less (one-sided).
    alternative: str = "two-sided"
    #: Resamples and seed of the CAAR bootstrap (bootstrap.csv).
    #: Leave each ticker's dividend, split and other-event day-0 sessions out of estimation.
    exclude_confounded_days: bool = False
    bootstrap_reps: int = 1999
    seed: int = 0
    #: Long buy-and-hold windows (bhar.csv), which may reach beyond the event window.
    bhar_windows: tuple[tuple[int, int], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        model = str(self.model).strip().lower()
        if model not in MODELS:
            raise SettingsError(f"unknown model {self.model!r}; choose one of: {', '.join(MODELS)}")
        object.__setattr__(self, "model", model)
        rtype = str(self.return_type).strip().lower()
        if rtype not in RETURN_TYPES:
            raise SettingsError(
                f"unknown return type {self.return_type!r}; choose one of: "
                f"{', '.join(RETURN_TYPES)}"
            )
        object.__setattr__(self, "return_type", rtype)
        est = _window(self.estimation_window, "estimation window")
        evt = _window(self.event_window, "event window")
        object.__setattr__(self, "estimation_window", est)
        object.__setattr__(self, "event_window", evt)
        _length_limit(est, "estimation window", "ESTIMATION_WINDOW")
        _length_limit(evt, "event window", "EVENT_WINDOW")
        if est[1] >= evt[0]:
            # the hint keeps the window's length and ends it just before the event window
            end = evt[0] - 1
            raise SettingsError(
                f"estimation window [{est[0]}, {est[1]}] must end before the event window "
                f"[{evt[0]}, {evt[1]}] starts (no look-ahead); e.g. --estimation-window "
                f"{end - (est[1] - est[0])} {end}"
            )
        cars = tuple(_window(w, "CAR window") for w in self.car_windows)
        if not cars:
            raise SettingsError("give at least one CAR window")
        for w in cars:
            if w[0] < evt[0] or w[1] > evt[1]:
                raise SettingsError(
                    f"CAR window [{w[0]}, {w[1]}] lies outside the event window "
                    f"[{evt[0]}, {evt[1]}]; widen --event-window or narrow the CAR window"
                )
        object.__setattr__(self, "car_windows", tuple(dict.fromkeys(cars)))
        longs = tuple(_window(w, "BHAR window") for w in self.bhar_windows)
        for w in longs:
            if w[0] <= est[1]:
                raise SettingsError(
                    f"BHAR window [{w[0]}, {w[1]}] overlaps the estimation window "
                    f"[{est[0]}, {est[1]}]; start it after day {est[1]}"
                )
            if w[1] - w[0] + 1 > MAX_BHAR_DAYS:
                raise SettingsError(
                    f"BHAR window [{w[0]}, {w[1]}] is longer than {MAX_BHAR_DAYS} sessions "
                    "(about ten years); shorten it"
                )
        object.__setattr__(self, "bhar_windows", tuple(dict.fromkeys(longs)))
        try:
            min_est = int(self.min_estimation)
        except (TypeError, ValueError):
            raise SettingsError(
                f"min_estimation must be a whole number, got {self.min_estimation!r}"
            ) from None
        if min_est < 3:
            raise SettingsError(f"min_estimation must be at least 3, got {min_est}")
        object.__setattr__(self, "min_estimation", min_est)
        try:
            pairs = int(self.kp_max_pairs)
        except (TypeError, ValueError):
            raise SettingsError(
                f"kp_max_pairs must be a whole number, got {self.kp_max_pairs!r}"
            ) from None
        if pairs < 0:
            raise SettingsError(f"kp_max_pairs must be 0 or more, got {pairs}")
        object.__setattr__(self, "kp_max_pairs", pairs)
        try:
            level = float(self.conf_level)
        except (TypeError, ValueError):
            raise SettingsError(f"conf_level must be a number, got {self.conf_level!r}") from None
        if not 0.0 < level < 1.0:
            raise SettingsError(
                f"conf_level must lie strictly between 0 and 1 (0.95 for 95%), got {level}"
            )
        object.__setattr__(self, "conf_level", level)
        alt = str(self.alternative).strip().lower().replace("_", "-")
        if alt not in ALTERNATIVES:
            raise SettingsError(
                f"unknown alternative {self.alternative!r}; choose one of: "
                f"{', '.join(ALTERNATIVES)}"
            )
        object.__setattr__(self, "alternative", alt)
        object.__setattr__(self, "exclude_confounded_days", bool(self.exclude_confounded_days))
        from eventstudy.limits import hint, limit

        for name, low, high in (
            ("bootstrap_reps", 1, limit("BOOTSTRAP_REPS")),
            ("seed", 0, MAX_SEED),
        ):
            try:
                value = int(getattr(self, name))
            except (TypeError, ValueError, OverflowError):
                raise SettingsError(f"{name} must be a whole number") from None
            if value < low:
                raise SettingsError(f"{name} must be at least {low}, got {value}")
            if value > high:
                more = hint("BOOTSTRAP_REPS") if name == "bootstrap_reps" else "(2^63 - 1)"
                raise SettingsError(f"{name} must be at most {high:,} {more}, got {value}")
            object.__setattr__(self, name, value)

    @property
    def k(self) -> int:
        """Number of fitted parameters of the model."""
        if self.model in FACTOR_MODELS:
            return 1 + len(FACTOR_MODELS[self.model])
        return {
            "market": 2,
            "constant_mean": 1,
            "market_adjusted": 0,
            "scholes_williams": 2,
            "dimson": 4,
            "garch": 2,
        }[self.model]

    @property
    def factor_names(self) -> tuple[str, ...]:
        """Factors the model regresses on (empty for non-factor models)."""
        return FACTOR_MODELS.get(self.model, ())

    @property
    def event_days(self) -> list[int]:
        """Relative days of the event window."""
        return list(range(self.event_window[0], self.event_window[1] + 1))

    @property
    def estimation_days(self) -> list[int]:
        """Relative days of the estimation window."""
        return list(range(self.estimation_window[0], self.estimation_window[1] + 1))

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form for ``run.json`` and fingerprints."""
        d = asdict(self)
        d["estimation_window"] = list(self.estimation_window)
        d["event_window"] = list(self.event_window)
        d["car_windows"] = [list(w) for w in self.car_windows]
        if self.bhar_windows:
            d["bhar_windows"] = [list(w) for w in self.bhar_windows]
        else:  # absent when unused: earlier runs keep their fingerprints
            d.pop("bhar_windows")
        d.pop("extra", None)
        return d

    @classmethod
    def from_options(cls, **options: Any) -> StudySettings:
        """Build settings from keyword options, ignoring ``None`` values."""
        clean = {k: v for k, v in options.items() if v is not None}
        if "car_windows" in clean:
            cw: Iterable[Sequence[int]] = clean["car_windows"]
            clean["car_windows"] = tuple(tuple(w) for w in cw)
        return cls(**clean)
