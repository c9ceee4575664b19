"""Batch configuration: a TOML file describing studies, validated key by key.

``tomllib`` gives no positions, so :func:`key_lines` scans the text for the
line of every table header and ``key =`` line; each problem is reported as
``FILE, line N: key 'studies.NAME.KEY': what is wrong and how to fix it``.
Every problem in the file is collected before :class:`BatchConfigError` is
raised (exit code 2). Paths are relative to the config file's folder.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eventstudy.errors import InputError, SettingsError
from eventstudy.output import parse_formats
from eventstudy.settings import MODELS, RETURN_TYPES, StudySettings

KeyPath = tuple[str, ...]

FAIL_ON = ("any", "new", "never")
TOP_KEYS = ("log", "defaults", "studies")
#: Keys of a ``[studies.NAME]`` table; ``[defaults]`` takes all but ``events``, ``output``.
STUDY_KEYS = (
    "events",
    "output",
    "model",
    "estimation_window",
    "event_window",
    "car_windows",
    "bhar_windows",
    "min_estimation",
    "return_type",
    "benchmark",
    "prices",
    "cache",
    "offline",
    "formats",
    "self_contained",
    "cdn",
    "fail_on",
    "retry_failed",
    "factors",
    "intraday_archive",
    "intraday_intervals",
)
DEFAULT_KEYS = tuple(k for k in STUDY_KEYS if k not in ("events", "output"))
SETTING_KEYS = (
    "model",
    "estimation_window",
    "event_window",
    "car_windows",
    "bhar_windows",
    "min_estimation",
    "return_type",
)
DEFAULT_FORMATS = ("html", "csv")
#: Bar intervals a batch study may archive (Yahoo's limits: eventstudy.data.yahoo_intraday).
INTRADAY_INTERVALS = ("1m", "5m")
DEFAULT_INTRADAY_INTERVALS = ("1m",)
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SYMBOL_RE = re.compile(r"\^?[A-Za-z0-9][A-Za-z0-9.\-=&]*")


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a config file: where, which key, what to do."""

    source: str
    line: int | None
    key: str | None
    message: str

    def __str__(self) -> str:
        where = self.source + (f", line {self.line}" if self.line else "")
        return f"{where}: " + (f"key '{self.key}': " if self.key else "") + self.message


class BatchConfigError(InputError):
    """A batch config file with one or more problems (exit code 2)."""

    def __init__(self, issues: list[ConfigIssue]):
        self.issues = list(issues)
        more = f" (and {len(issues) - 1} more problem(s))" if len(issues) > 1 else ""
        super().__init__(str(self.issues[0]) + more)


# --------------------------------------------------------------------------- key lines

_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"|\'[^\']*\''
_PART = rf"(?:{_BARE}|{_QUOTED})"
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"
_HEADER_RE = re.compile(rf"^\s*\[\[?\s*({_DOTTED})\s*\]\]?\s*(?:#.*)?$")
_KEY_RE = re.compile(rf"^\s*({_DOTTED})\s*=")


def _split_key(text: str) -> KeyPath:
    parts = []
    for part in re.findall(_PART, text):
        parts.append(tomllib.loads(f"k = {part}")["k"] if part[0] in "\"'" else part)
    return tuple(parts)


def _scan_value(text: str, depth: int) -> tuple[int, str | None]:
    """Bracket depth after ``text`` and an unclosed multi-line string delimiter."""
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "#":
            break
        if text.startswith(('"""', "'''"), i):
            delim = text[i : i + 3]
            end = text.find(delim, i + 3)
            if end < 0:
                return depth, delim
            i = end + 3
            continue
        if ch in "\"'":
            end = i + 1
            while end < len(text) and text[end] != ch:
                end += 2 if ch == '"' and text[end] == "\\" else 1
            i = end + 1
            continue
        depth += 1 if ch in "[{" else -1 if ch in "]}" else 0
        i += 1
    return max(depth, 0), None


def key_lines(text: str) -> dict[KeyPath, int]:
    """Line (1-based) of every table header and ``key =`` line, by dotted key path."""
    lines: dict[KeyPath, int] = {}
    table: KeyPath = ()
    depth, open_string = 0, None
    for number, line in enumerate(text.splitlines(), start=1):
        if open_string is not None:
            if open_string in line:
                rest = line.split(open_string, 1)[1]
                open_string = None
                depth, open_string = _scan_value(rest, depth)
            continue
        rest = line
        if depth == 0:
            header = _HEADER_RE.match(line)
            if header:
                table = _split_key(header.group(1))
                for n in range(1, len(table) + 1):  # [a.b] also defines table a
                    lines.setdefault(table[:n], number)
                continue
            key = _KEY_RE.match(line)
            if key:
                lines.setdefault(table + _split_key(key.group(1)), number)
                rest = line[key.end() :]
        depth, open_string = _scan_value(rest, depth)
    return lines


# --------------------------------------------------------------------------- config objects


@dataclass(frozen=True)
class DataSource:
    """Where a study's prices come from: price files, or Yahoo Finance behind the cache."""

    prices: Path | None = None
    cache: Path | None = None
    offline: bool = False

    @property
    def kind(self) -> str:
        return "files" if self.prices is not None else "yahoo"

    def identity(self) -> dict[str, str]:
        """What a fingerprint records of the source (not the cache: same data)."""
        if self.prices is not None:
            return {"kind": "files", "path": str(self.prices)}
        return {"kind": "yahoo"}

    def provider(self) -> Any:
        """A price provider for :meth:`eventstudy.EventStudy.run`."""
        from eventstudy.study import resolve_provider

        if self.prices is not None:
            return resolve_provider(self.prices)
        return resolve_provider(None, offline=self.offline, cache=self.cache)


@dataclass(frozen=True)
class StudyConfig:
    """One study of a batch config, validated, paths resolved."""

    name: str
    events: Path
    output: Path
    settings: StudySettings
    benchmark: str | None = None
    source: DataSource = field(default_factory=DataSource)
    formats: tuple[str, ...] = DEFAULT_FORMATS
    self_contained: bool = False
    cdn: bool = False
    fail_on: str = "any"
    retry_failed: bool = False
    factors: Path | None = None
    #: ``True``: the events' tickers and benchmarks; a tuple: these symbols; ``False``: none.
    intraday_archive: bool | tuple[str, ...] = False
    intraday_intervals: tuple[str, ...] = DEFAULT_INTRADAY_INTERVALS
    config_path: Path = Path("batch.toml")
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    def where(self, key: str) -> str:
        """``FILE, line N: key 'studies.NAME.KEY'`` for runtime messages."""
        line = self.lines.get(key)
        return (
            f"{self.config_path}"
            + (f", line {line}" if line else "")
            + f": key 'studies.{self.name}.{key}'"
        )

    def study_options(self) -> dict[str, Any]:
        """Keyword options of :class:`eventstudy.EventStudy`."""
        s = self.settings
        return {
            "model": s.model,
            "estimation_window": s.estimation_window,
            "event_window": s.event_window,
            "car_windows": s.car_windows,
            "bhar_windows": s.bhar_windows or None,
            "min_estimation": s.min_estimation,
            "return_type": s.return_type,
            "benchmark": self.benchmark,
            "factors": self.factors,
        }


@dataclass(frozen=True)
class BatchConfig:
    """A whole batch config file."""

    path: Path
    studies: tuple[StudyConfig, ...]
    log: Path | None = None

    def select(self, names: Iterable[str]) -> tuple[StudyConfig, ...]:
        """The studies named (all when none); an unknown name lists the valid ones."""
        wanted = list(dict.fromkeys(names))
        if not wanted:
            return self.studies
        known = {s.name: s for s in self.studies}
        bad = [n for n in wanted if n not in known]
        if bad:
            raise BatchConfigError(
                [
                    ConfigIssue(
                        str(self.path),
                        None,
                        None,
                        f"no study named {', '.join(map(repr, bad))}; studies: {', '.join(known)}",
                    )
                ]
            )
        return tuple(known[n] for n in wanted)


# --------------------------------------------------------------------------- validation


class _Checker:
    """Collects issues while values are converted; knows the config's key lines."""

    def __init__(self, path: Path, lines: dict[KeyPath, int]):
        self.path = path
        self.lines = lines
        self.issues: list[ConfigIssue] = []

    def line(self, key: KeyPath) -> int | None:
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return None

    def fail(self, key: KeyPath, message: str) -> None:
        self.issues.append(ConfigIssue(str(self.path), self.line(key), ".".join(key), message))

    def unknown(self, table: KeyPath, data: Mapping[str, Any], valid: Iterable[str]) -> None:
        valid = list(valid)
        where = f"[{'.'.join(table)}]" if table else "the top level"
        for key in data:
            if key not in valid:
                close = difflib.get_close_matches(key, valid, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.fail(
                    (*table, key), f"unknown key in {where}{hint}; valid keys: {', '.join(valid)}"
                )

    def path_of(self, value: str) -> Path:
        p = Path(os.path.expanduser(value))
        return p if p.is_absolute() else (self.path.parent / p)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _window(v: Any) -> tuple[int, int]:
    if not (isinstance(v, list) and len(v) == 2 and all(_is_int(x) for x in v)):
        raise ValueError(f"expected two whole numbers [START, END] (relative days), got {v!r}")
    return int(v[0]), int(v[1])


def _windows(v: Any) -> tuple[tuple[int, int], ...]:
    if not isinstance(v, list) or not v:
        raise ValueError(f"expected a list of windows such as [[0, 0], [-1, 1]], got {v!r}")
    return tuple(_window(w) for w in v)


def _choice(options: tuple[str, ...], what: str) -> Callable[[Any], str]:
    def convert(v: Any) -> str:
        if not isinstance(v, str) or v.strip().lower() not in options:
            raise ValueError(f"unknown {what} {v!r}; choose one of: {', '.join(options)}")
        return v.strip().lower()

    return convert


def _text(v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise ValueError(f"expected a non-empty string, got {v!r}")
    return v.strip()


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ValueError(f"expected true or false, got {v!r}")
    return v


def _min_estimation(v: Any) -> int:
    if not _is_int(v) or v < 3:
        raise ValueError(f"expected a whole number of at least 3, got {v!r}")
    return int(v)


def _symbol(v: Any) -> str:
    text = _text(v)
    if not _SYMBOL_RE.fullmatch(text):
        raise ValueError(f"{text!r} is not a ticker symbol; expected e.g. ^GSPC or ^STOXX50E")
    return text.upper()


def _intraday_archive(v: Any) -> bool | tuple[str, ...]:
    if isinstance(v, bool):
        return v
    if isinstance(v, list) and v:
        return tuple(dict.fromkeys(_symbol(x) for x in v))
    raise ValueError(
        "expected true (the events' tickers and benchmarks), false, or a list of "
        f'tickers such as ["MSFT", "SPY"], got {v!r}'
    )


def _intraday_intervals(v: Any) -> tuple[str, ...]:
    if not isinstance(v, list) or not v or not all(isinstance(x, str) for x in v):
        raise ValueError(f'expected a list such as ["1m", "5m"], got {v!r}')
    bad = [x for x in v if x.strip().lower() not in INTRADAY_INTERVALS]
    if bad:
        raise ValueError(
            f"unknown interval {bad[0]!r}; choose from: {', '.join(INTRADAY_INTERVALS)} "
            "(Yahoo serves 1m bars for 30 days, 5m bars for 60 days)"
        )
    return tuple(dict.fromkeys(x.strip().lower() for x in v))


def _formats(v: Any) -> tuple[str, ...]:
    if (isinstance(v, list) and all(isinstance(x, str) for x in v)) or isinstance(v, str):
        try:
            return parse_formats(v)
        except SettingsError as exc:
            raise ValueError(str(exc)) from None
    raise ValueError(f'expected a list such as ["html", "csv"], got {v!r}')


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "events": _text,
    "output": _text,
    "prices": _text,
    "cache": _text,
    "factors": _text,
    "model": _choice(MODELS, "model"),
    "return_type": _choice(RETURN_TYPES, "return type"),
    "estimation_window": _window,
    "event_window": _window,
    "car_windows": _windows,
    "bhar_windows": _windows,
    "min_estimation": _min_estimation,
    "benchmark": _symbol,
    "offline": _bool,
    "formats": _formats,
    "self_contained": _bool,
    "cdn": _bool,
    "fail_on": _choice(FAIL_ON, "fail_on value"),
    "retry_failed": _bool,
    "intraday_archive": _intraday_archive,
    "intraday_intervals": _intraday_intervals,
}


def _convert(ck: _Checker, table: KeyPath, data: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in data.items():
        if key in CONVERTERS:
            try:
                out[key] = CONVERTERS[key](value)
            except ValueError as exc:
                ck.fail((*table, key), str(exc))
    return out


def _settings_key(message: str) -> str:
    for needle, key in (
        ("CAR window", "car_windows"),
        ("BHAR window", "bhar_windows"),
        ("estimation window", "estimation_window"),
        ("event window", "event_window"),
        ("min_estimation", "min_estimation"),
        ("return type", "return_type"),
        ("model", "model"),
    ):
        if needle in message:
            return key
    return "model"


def _build_study(
    ck: _Checker, name: str, raw: Mapping[str, Any], defaults: dict[str, Any]
) -> StudyConfig | None:
    table: KeyPath = ("studies", name)
    if not _NAME_RE.fullmatch(name):
        ck.fail(
            table,
            "a study name may hold letters, digits, '.', '_' and '-' only "
            "(it names the lock file and --study)",
        )
    ck.unknown(table, raw, STUDY_KEYS)
    own = _convert(ck, table, raw)
    values = {**defaults, **own}

    def origin(key: str) -> KeyPath:
        return (*table, key) if key in own else ("defaults", key)

    if "events" not in raw:
        ck.fail(table, "missing key 'events': give the path of the study's events CSV file")
    if "prices" in values:
        for key in ("cache", "offline"):
            if key in values:
                ck.fail(
                    origin(key),
                    f"'{key}' applies to Yahoo Finance only, but this study "
                    "reads prices from 'prices'; drop one of them",
                )
        if values.get("intraday_archive"):
            prices_line = ck.line(origin("prices"))
            ck.fail(
                origin("intraday_archive"),
                "intraday bars are archived from Yahoo Finance into the price cache, but "
                "this study reads prices from 'prices'"
                + (f" (line {prices_line})" if prices_line else "")
                + "; drop 'intraday_archive' or 'prices'",
            )
    try:
        settings = StudySettings.from_options(**{k: values[k] for k in SETTING_KEYS if k in values})
    except SettingsError as exc:
        ck.fail(origin(_settings_key(str(exc))), str(exc))
        return None
    if "events" not in own or len(ck.issues):
        return None
    source = DataSource(
        prices=ck.path_of(values["prices"]).resolve() if "prices" in values else None,
        cache=ck.path_of(values["cache"]) if "cache" in values else None,
        offline=bool(values.get("offline", False)),
    )
    lines = {k: ck.line(origin(k)) or 0 for k in STUDY_KEYS}
    return StudyConfig(
        name=name,
        events=ck.path_of(own["events"]).resolve(),
        output=ck.path_of(own.get("output", f"reports/{name}")).resolve(),
        settings=settings,
        benchmark=values.get("benchmark"),
        source=source,
        formats=values.get("formats", DEFAULT_FORMATS),
        self_contained=values.get("self_contained", False),
        cdn=values.get("cdn", False),
        fail_on=values.get("fail_on", "any"),
        retry_failed=values.get("retry_failed", False),
        factors=ck.path_of(values["factors"]).resolve() if "factors" in values else None,
        intraday_archive=values.get("intraday_archive", False),
        intraday_intervals=values.get("intraday_intervals", DEFAULT_INTRADAY_INTERVALS),
        config_path=ck.path,
        lines={k: v for k, v in lines.items() if v},
    )


def _parse(path: Path) -> tuple[dict[str, Any], str]:
    source = str(path)
    if not path.is_file():
        raise BatchConfigError(
            [
                ConfigIssue(
                    source,
                    None,
                    None,
                    "config file not found; give the path of a TOML file (see examples/batch.toml)",
                )
            ]
        )
    from eventstudy.limits import LimitError, check_file_size

    try:
        check_file_size(path, "CONFIG_FILE_BYTES", "batch config")
    except LimitError as exc:
        detail = str(exc).removeprefix(f"{path}: ")
        raise BatchConfigError([ConfigIssue(source, None, None, detail)]) from None
    try:
        text = path.read_text(encoding="utf-8")
        return tomllib.loads(text), text
    except RecursionError:
        raise BatchConfigError(
            [ConfigIssue(source, None, None, "nests too deeply to read; flatten its tables")]
        ) from None
    except UnicodeDecodeError as exc:
        raise BatchConfigError(
            [ConfigIssue(source, None, None, f"not UTF-8 text ({exc.reason})")]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = int(found.group(1)) if found else None
        raise BatchConfigError(
            [ConfigIssue(source, line, None, f"not valid TOML: {exc}")]
        ) from None


def output_problem(output: Path) -> str | None:
    """Why ``output`` cannot be a study's report folder (``None`` when it can).

    The batch replaces the folder on every update; an existing file (or
    anything else that is not a folder) there would be lost, so it is refused.
    """
    from eventstudy.batch.staging import not_a_study_folder

    problem = not_a_study_folder(output)
    if problem:
        return f"output {problem}"
    try:
        if output.is_dir():
            return None
        present = output.exists() or output.is_symlink()
    except OSError as exc:  # too long, a loop of links, ...
        from eventstudy.fs_errors import describe

        return f"output cannot be used: {describe(exc)[0]}"
    if present:
        kind = "a file" if output.is_file() else "not a folder"
        return (
            f"output {output} is {kind}; the batch writes a report folder there and "
            "would replace it: give a folder path (e.g. reports/NAME) or move the file"
        )
    return None


def load_config(path: str | os.PathLike[str]) -> BatchConfig:
    """Read and validate a batch config file.

    Raises
    ------
    BatchConfigError
        Listing every problem, each with the line and the dotted key.
    """
    cfg_path = Path(path).expanduser().absolute()
    data, text = _parse(cfg_path)
    ck = _Checker(cfg_path, key_lines(text))
    ck.unknown((), data, TOP_KEYS)
    log = None
    if "log" in data:
        try:
            log = ck.path_of(_text(data["log"]))
        except ValueError as exc:
            ck.fail(("log",), str(exc))
    raw_defaults = data.get("defaults", {})
    if not isinstance(raw_defaults, dict):
        ck.fail(("defaults",), "expected a table [defaults]")
        raw_defaults = {}
    ck.unknown(("defaults",), raw_defaults, DEFAULT_KEYS)
    defaults = _convert(ck, ("defaults",), raw_defaults)
    studies_raw = data.get("studies")
    if not isinstance(studies_raw, dict) or not studies_raw:
        ck.fail(
            ("studies",),
            'no studies: add at least one table [studies.NAME] with events = "events.csv"',
        )
        studies_raw = {}
    studies = []
    for name, raw in studies_raw.items():
        if not isinstance(raw, dict):
            ck.fail(("studies", name), f"expected a table [studies.{name}]")
            continue
        study = _build_study(ck, name, raw, defaults)
        if study is not None:
            studies.append(study)
    for s in studies:
        inputs = [
            ("events", s.events),
            ("prices", s.source.prices),
            ("config file", cfg_path.resolve()),
        ]
        for what, held in inputs:
            if held is not None and (held == s.output or s.output in held.parents):
                ck.fail(
                    ("studies", s.name, "output"),
                    f"output folder {s.output} holds the "
                    f"{what} {held}; the batch replaces that folder on every update, so "
                    "give the study a folder of its own (e.g. reports/NAME)",
                )
    for s in studies:
        problem = output_problem(s.output)
        if problem:
            ck.fail(("studies", s.name, "output"), problem)
    seen: dict[Path, str] = {}
    for s in studies:
        if s.output in seen:
            ck.fail(
                ("studies", s.name, "output"),
                f"output folder {s.output} is also used by "
                f"study '{seen[s.output]}'; give each study its own folder",
            )
        seen.setdefault(s.output, s.name)
    if ck.issues:
        raise BatchConfigError(sorted(ck.issues, key=lambda i: i.line or 1 << 30))
    return BatchConfig(path=cfg_path, studies=tuple(studies), log=log)
