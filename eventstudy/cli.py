"""Command line: a thin shell over the public API.

Library errors become one clean line on stderr and an exit code:
0 every event ok or pending (or skipped with a reason), 1 some events failed
(listed), 2 bad usage or a bad input file, 75 data temporarily unavailable.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from eventstudy.errors import EventsFileError, EventStudyError, SettingsError
from eventstudy.safe_text import printable
from eventstudy.settings import MODELS

EXIT_OK, EXIT_FAILED_EVENTS, EXIT_USAGE, EXIT_TEMPFAIL = 0, 1, 2, 75


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, 120)
    return console


def clean_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into one line on stderr and the error's exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = bool(kwargs.get("debug"))
        try:
            return func(*args, **kwargs)
        except EventsFileError as exc:
            for issue in exc.issues:
                click.echo(f"error: {printable(issue)}", err=True)
            sys.exit(exc.exit_code)
        except EventStudyError as exc:
            if debug:
                raise
            click.echo(f"error: {printable(exc)}", err=True)
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted; no output file was left half-written", err=True)
            sys.exit(130)
        except OSError as exc:
            if debug:
                raise
            from eventstudy.fs_errors import describe

            message, code = describe(exc)
            click.echo(f"error: {message}", err=True)
            sys.exit(code)
        except RecursionError:
            if debug:
                raise
            click.echo("error: the input nests too deeply to read; flatten it", err=True)
            sys.exit(2)
        except MemoryError:
            click.echo(
                "error: out of memory; run fewer events at once or lower the limits "
                "(docs/security.md)",
                err=True,
            )
            sys.exit(1)
        except Exception as exc:
            if debug:
                raise
            click.echo(
                f"error: unexpected {type(exc).__name__}: {printable(exc)} "
                "(rerun with --debug for the traceback and report it)",
                err=True,
            )
            sys.exit(1)

    return wrapper


class _PrintableFormatter(logging.Formatter):
    """Log lines with control characters escaped (user text cannot drive the terminal)."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record), keep_newlines=True)


#: Exit code when another run writes into the same output folder (EX_TEMPFAIL, as batch).
EXIT_LOCKED = 75


def _lock_out_dir(out: Path) -> None:
    """Take the output folder's lock (the one batch runs use) for this process, or exit
    75 when another ``run`` or batch writes there: two writers would mix their files."""
    import filelock

    from eventstudy.batch.staging import lock_path, not_a_study_folder
    from eventstudy.output import refuse_file

    refuse_file(out)
    problem = not_a_study_folder(out)  # the staged outputs replace the folder whole
    if problem:
        raise SettingsError(f"--out {problem}")
    out.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(lock_path(out)), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        click.echo(
            f"error: another eventstudy run is writing into {printable(out)} (lock "
            f"{printable(lock_path(out))}); rerun when it has finished, or give another --out",
            err=True,
        )
        sys.exit(EXIT_LOCKED)
    click.get_current_context().call_on_close(lock.release)
    from eventstudy.batch import staging

    staging.recover(out)  # finish or roll back a swap a killed run left half done
    staging.check_replaceable(out)  # before any work: the swap must be able to replace it


def _benchmark_option(ctx: Any, param: Any, value: str | None) -> str | None:
    """``--benchmark`` checked as the events file's benchmark column is (exit 2)."""
    if value is None:
        return None
    from eventstudy.events import check_symbol

    text = value.strip()
    problem = check_symbol(text, "benchmark")
    if problem:
        raise click.BadParameter(f"not a ticker symbol: {printable(problem)}")
    return text.upper()


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if not verbose else (logging.INFO if verbose == 1 else logging.DEBUG)
    if quiet:
        level = logging.ERROR
    # yfinance logs its own view of every failure; ours is classified and clearer.
    logging.getLogger("yfinance").setLevel(logging.DEBUG if verbose >= 2 else logging.CRITICAL)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_PrintableFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])


def window_option(name: str, help_text: str) -> Callable[..., Any]:
    return click.option(name, type=(int, int), default=None, metavar="START END", help=help_text)


def study_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by the commands that compute a study."""
    decorators = [
        click.option(
            "--model",
            type=click.Choice(list(MODELS)),
            default="market",
            show_default=True,
            help="Expected-return model.",
        ),
        window_option("--estimation-window", "Estimation window in sessions [default: -250 -11]."),
        window_option("--event-window", "Event window in sessions [default: -10 10]."),
        click.option(
            "--car-window",
            "car_windows",
            type=(int, int),
            multiple=True,
            metavar="START END",
            help="A CAR window; repeat for several [default: 0 0, 0 1, -1 1, -5 5, -10 10].",
        ),
        click.option(
            "--bhar-window",
            "bhar_windows",
            type=(int, int),
            multiple=True,
            metavar="START END",
            help="A long buy-and-hold window, e.g. 0 60 or 0 250 (bhar.csv); repeat for several.",
        ),
        click.option(
            "--min-estimation",
            type=int,
            default=None,
            help="Fewest estimation returns for an event to be estimated [default: 120].",
        ),
        click.option(
            "--return-type",
            type=click.Choice(["simple", "log"]),
            default="simple",
            show_default=True,
            help="Simple or log returns.",
        ),
        click.option(
            "--factors",
            type=click.Path(path_type=Path),
            default=None,
            help="Daily factor returns (CSV or folder, Fama-French library layout) for the "
            "ff3, carhart and ff5 models.",
        ),
        click.option(
            "--benchmark",
            default=None,
            callback=_benchmark_option,
            help="Benchmark symbol for every event (overrides the file and the exchange default).",
        ),
        click.option(
            "--bootstrap-reps",
            type=int,
            default=None,
            help="Resamples of the CAAR bootstrap (bootstrap.csv) [default: 1999].",
        ),
        click.option(
            "--bootstrap-seed",
            type=int,
            default=None,
            help="Seed of the CAAR bootstrap, recorded in run.json [default: 0].",
        ),
        click.option(
            "--conf-level",
            type=float,
            default=None,
            help="Level of the CAR and CAAR confidence intervals [default: 0.95].",
        ),
        click.option(
            "--alternative",
            type=click.Choice(["two-sided", "greater", "less"]),
            default="two-sided",
            show_default=True,
            help="Alternative hypothesis of every test: greater (less) = one-sided, a "
            "positive (negative) abnormal return; intervals become one-sided bounds.",
        ),
        click.option(
            "--exclude-confounded-days",
            is_flag=True,
            default=None,
            help="Leave out of each estimation window the ticker's dividend and split dates "
            "and the day 0 of its other events.",
        ),
    ]
    for dec in reversed(decorators):
        func = dec(func)
    return func


def data_options(func: Callable[..., Any]) -> Callable[..., Any]:
    decorators = [
        click.option(
            "--prices",
            type=click.Path(path_type=Path),
            default=None,
            help="Prices from a CSV/Parquet file (long or wide form) or a folder of "
            "<TICKER>.csv files, instead of Yahoo Finance.",
        ),
        click.option(
            "--offline",
            is_flag=True,
            help="Use the local price cache only; say exactly what is missing.",
        ),
        click.option(
            "--cache",
            "cache_path",
            type=click.Path(path_type=Path),
            default=None,
            envvar="EVENTSTUDY_CACHE",
            help="Price cache file [default: the user cache folder; env EVENTSTUDY_CACHE].",
        ),
    ]
    for dec in reversed(decorators):
        func = dec(func)
    return func


def common_flags(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")(
        func
    )
    func = click.option("-q", "--quiet", is_flag=True, help="Only errors.")(func)
    return click.option("--debug", is_flag=True, help="Show tracebacks of unexpected errors.")(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="eventstudy-reports", prog_name="eventstudy")
def main() -> None:
    """Measure how the stock market reacted to news (event studies).

    \b
    Examples:
      eventstudy validate events.csv
      eventstudy run events.csv
      eventstudy run events.csv --prices ../shared/data/prices --out reports/msft
      eventstudy run events.csv --offline --model market_adjusted
    """
    # yfinance logs its own view of every failure; ours is classified and clearer.
    logging.getLogger("yfinance").setLevel(logging.CRITICAL)


def _build_study(
    events_file: Path,
    model: str,
    estimation_window: Any,
    event_window: Any,
    car_windows: Any,
    min_estimation: Any,
    return_type: str,
    benchmark: str | None,
    factors: Path | None = None,
    conf_level: float | None = None,
    bootstrap_reps: int | None = None,
    bootstrap_seed: int | None = None,
    alternative: str | None = None,
    exclude_confounded_days: bool | None = None,
    bhar_windows: Any = (),
) -> Any:
    from eventstudy.study import EventStudy

    return EventStudy(
        events_file,
        model=model,
        estimation_window=estimation_window,
        event_window=event_window,
        car_windows=list(car_windows) or None,
        bhar_windows=list(bhar_windows) or None,
        min_estimation=min_estimation,
        return_type=return_type,
        benchmark=benchmark,
        factors=factors,
        conf_level=conf_level,
        alternative=alternative,
        exclude_confounded_days=exclude_confounded_days,
        bootstrap_reps=bootstrap_reps,
        seed=bootstrap_seed,
    )


@main.command()
@click.argument("events_file", metavar="EVENTS.csv", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Output folder [default: reports/<EVENTS name>; events.csv: reports/study].",
)
@click.option(
    "--format",
    "formats",
    default="html,csv",
    show_default=True,
    help="Comma-separated output formats: html, csv, parquet.",
)
@click.option(
    "--intraday-prices",
    type=click.Path(path_type=Path),
    default=None,
    help="Minute bars (CSV/Parquet, tz-aware timestamp) for intraday ARs around each "
    "announcement (intraday_car, intraday_ar, intraday_tests tables; a chart on each event page).",
)
@click.option(
    "--regress",
    "regress_formula",
    default=None,
    metavar="FORMULA",
    help='Cross-sectional regression, e.g. "car ~ size + C(industry)" '
    "(regression.csv, regression.txt).",
)
@click.option(
    "--regress-window",
    type=(int, int),
    default=None,
    metavar="START END",
    help="CAR window of the regression [default: the first CAR window].",
)
@click.option(
    "--regress-cov",
    default="HC1",
    show_default=True,
    help="Covariance: HC1, HC0, HC2, HC3, nonrobust, cluster:date or cluster:COLUMN.",
)
@click.option("--regress-wls", is_flag=True, help="Weight by 1/SE(CAR)^2 (Patell weights).")
@click.option(
    "--group",
    "group_column",
    default=None,
    metavar="COLUMN",
    help="Also run every test per group of this events.csv column and compare the groups "
    "(groups_tests.csv, groups_diff.csv).",
)
@click.option(
    "--volume",
    "with_volume",
    is_flag=True,
    help="Also write abnormal trading volume (volume.csv, volume_tests.csv).",
)
@click.option(
    "--placebo",
    "placebo_trials",
    type=click.IntRange(min=1),
    default=None,
    metavar="TRIALS",
    help="Also run a placebo of TRIALS trials on the study's tickers and prices "
    "(placebo.csv and a section of the report; see `eventstudy placebo`).",
)
@click.option(
    "--placebo-inject",
    type=float,
    default=0.0,
    show_default=True,
    help="With --placebo: day-0 return added to every pseudo-event (power).",
)
@click.option("--placebo-seed", type=int, default=0, show_default=True, help="Seed of the draws.")
@click.option("--self-contained", is_flag=True, help="HTML: one file per page with plotly inlined.")
@click.option("--cdn", is_flag=True, help="HTML: load plotly.js from its CDN (needs internet).")
@study_options
@data_options
@common_flags
@clean_errors
def run(
    events_file: Path,
    out_dir: Path | None,
    formats: str,
    intraday_prices: Path | None,
    regress_formula: str | None,
    regress_window: tuple[int, int] | None,
    regress_cov: str,
    regress_wls: bool,
    group_column: str | None,
    with_volume: bool,
    placebo_trials: int | None,
    placebo_inject: float,
    placebo_seed: int,
    self_contained: bool,
    cdn: bool,
    prices: Path | None,
    offline: bool,
    cache_path: Path | None,
    debug: bool,
    quiet: bool,
    verbose: int,
    **study_kw: Any,
) -> None:
    """Run the event study of EVENTS.csv and write the report and tables.

    \b
    Examples:
      eventstudy run events.csv
      eventstudy run events.csv --prices ../shared/data/prices --format csv
      eventstudy run events.csv --car-window 0 1 --car-window -1 1 --out reports/deal
    """
    from eventstudy.console import print_run_summary
    from eventstudy.output import parse_formats

    _setup_logging(verbose, quiet)
    fmts = parse_formats(formats)
    if prices is not None and offline:
        raise SettingsError("give either --prices or --offline, not both")
    if self_contained and cdn:
        raise SettingsError("give either --self-contained or --cdn, not both")
    if placebo_trials is not None:  # checked before any work, named as run's options
        from eventstudy.placebo import PlaceboSpec

        try:
            PlaceboSpec(trials=placebo_trials, seed=placebo_seed, inject=placebo_inject)
        except SettingsError as exc:
            text = str(exc)
            for ours, theirs in (("--trials", "--placebo"), ("--seed", "--placebo-seed")):
                text = text.replace(ours, theirs)
            raise SettingsError(text.replace("--inject", "--placebo-inject")) from None
    out = Path(os.path.normpath(out_dir or default_out_dir(events_file)))  # "a/./b/" -> "a/b"
    _lock_out_dir(out)  # held until the command ends: one writer per folder
    with _warnings_to_stderr(quiet):
        study = _build_study(events_file, **study_kw)
        source: Any = prices
        if prices is None and not offline:
            source = _prefetch(study, cache_path, quiet)
        res = study.run(prices=source, offline=offline, cache=cache_path)
    res.meta["events_source"] = str(events_file)
    placebo = None
    if placebo_trials is not None:
        with _warnings_to_stderr(quiet):
            placebo = res.placebo(placebo_trials, inject=placebo_inject, seed=placebo_seed)
    if intraday_prices is not None:
        res.intraday(intraday_prices)
    from eventstudy.batch import staging

    # Everything is written into a staging folder beside --out, which then replaces
    # it in one step: a failure (disk full, a kill) leaves the previous outputs whole.
    dest = staging.prepare_stage(out, keep_pages=frozenset(), html="html" in fmts)
    try:
        written = res.to_files(str(dest), fmts)
        if placebo is not None:
            from eventstudy.output import write_table as _write_p

            for fmt in (f for f in fmts if f in ("csv", "parquet")):
                written.append(str(_write_p(placebo.table, dest / f"placebo.{fmt}", fmt)))
        if regress_formula:
            from eventstudy.atomic import atomic_path
            from eventstudy.output import write_table as _write_r

            table, _fit = res.regression(regress_formula, regress_window, regress_cov, regress_wls)
            for fmt in (f for f in fmts if f in ("csv", "parquet")):
                written.append(str(_write_r(table, dest / f"regression.{fmt}", fmt)))
            with atomic_path(dest / "regression.txt") as tmp:
                Path(tmp).write_text(
                    res.attachments["regression"]["summary"] + "\n", encoding="utf-8"
                )
            written.append(str(dest / "regression.txt"))
        if group_column:
            from eventstudy.output import write_table as _write_g

            g_tests, g_diff = res.by_group(group_column)
            for fmt in (f for f in fmts if f in ("csv", "parquet")):
                written.append(str(_write_g(g_tests, dest / f"groups_tests.{fmt}", fmt)))
                written.append(str(_write_g(g_diff, dest / f"groups_diff.{fmt}", fmt)))
        if with_volume:
            from eventstudy.output import OPTIONAL_TABLES, write_table

            for fmt in (f for f in fmts if f in ("csv", "parquet")):
                for name in OPTIONAL_TABLES:
                    written.append(
                        str(write_table(getattr(res, name), dest / f"{name}.{fmt}", fmt))
                    )
        if "html" in fmts:
            written.append(res.to_html(str(dest), self_contained=self_contained, cdn=cdn))
        staging.commit(dest, out)
    except BaseException:
        staging.discard(dest)
        raise
    staging.cleanup(out)
    if not quiet:
        print_run_summary(_console(), res, out)
    failed = res.events[res.events["status"] == "failed"]
    if quiet and len(failed):
        for r in failed.itertuples(index=False):
            click.echo(f"failed: {printable(r.event_id)}: {printable(r.reason)}", err=True)
    sys.exit(EXIT_FAILED_EVENTS if len(failed) else EXIT_OK)


@contextlib.contextmanager
def _warnings_to_stderr(quiet: bool) -> Iterator[None]:
    """Show the tool's own warnings as ``warning: ...`` lines (not Python's format)."""
    from eventstudy.errors import EventStudyWarning

    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as recorded:
            warnings.simplefilter("always", EventStudyWarning)
            try:
                yield
            finally:
                caught = list(recorded)
    finally:
        # Re-emitted outside the recording context, so they cannot feed the loop.
        seen: set[str] = set()
        for w in caught:
            text = printable(w.message)
            if not issubclass(w.category, EventStudyWarning):
                # numerical libraries' warnings (statsmodels, numpy) go to the log (-v)
                logging.getLogger("eventstudy").info(
                    "%s from %s:%s: %s", w.category.__name__, w.filename, w.lineno, text
                )
            elif not quiet and text not in seen:
                seen.add(text)
                click.echo(f"warning: {text}", err=True)


def _prefetch(study: Any, cache_path: Path | None, quiet: bool) -> Any:
    """Fill the cache from Yahoo with one progress display (on stderr, terminals only).

    Returns the provider so the study reads what was just fetched and does not
    ask again for symbols that failed.
    """
    from eventstudy.cli_data import fetch_ranges
    from eventstudy.data.cached import open_provider

    provider = open_provider(cache_path)
    console = _console(stderr=True)
    if quiet:
        console.quiet = True
    fetch_ranges(provider, study.date_ranges(), console, give_up_after=3)
    return provider


def default_out_dir(events_file: Path) -> Path:
    """``reports/<name of the events file>``; ``events.csv`` gives ``reports/study``.

    The event pages go in ``<out>/events/``, so the generic name ``events``
    would read ``reports/events/events/...``.
    """
    from eventstudy.events import sanitize_event_id

    stem = sanitize_event_id(events_file.stem)
    return Path("reports") / (stem if stem.lower() not in ("events", "event") else "study")


@main.command()
@click.argument("events_file", metavar="EVENTS.csv", type=click.Path(path_type=Path))
@click.option("--trials", type=int, default=100, show_default=True, help="Pseudo-studies to run.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the draws.")
@click.option(
    "--inject",
    type=float,
    default=0.0,
    show_default=True,
    help="Add this return to every pseudo-event's day 0 (0.01 is 1%): power instead of size.",
)
@click.option("--cluster", is_flag=True, help="All pseudo-events of a trial on one day.")
@click.option(
    "--universe",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Text file of tickers (one per line) to draw pseudo-events from.",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Run blocks of trials on this Dask scheduler (tcp://HOST:PORT; the dask extra).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Run blocks of trials on a local Dask cluster of N worker processes (the dask extra).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Output folder [default: reports/<EVENTS name>-placebo].",
)
@study_options
@data_options
@common_flags
@clean_errors
def placebo(
    events_file: Path,
    trials: int,
    seed: int,
    inject: float,
    cluster: bool,
    universe: Path | None,
    scheduler: str | None,
    workers: int | None,
    out_dir: Path | None,
    prices: Path | None,
    offline: bool,
    cache_path: Path | None,
    debug: bool,
    quiet: bool,
    verbose: int,
    **study_kw: Any,
) -> None:
    """How often each test rejects on pseudo-events of EVENTS.csv (size, or power with --inject).

    \b
    Examples:
      eventstudy placebo events.csv --prices examples/prices --trials 200
      eventstudy placebo events.csv --trials 500 --inject 0.01 --seed 7
      eventstudy placebo events.csv --trials 5000 --workers 4
    """
    from eventstudy.data.base import PriceSet
    from eventstudy.placebo import PlaceboSpec, run_placebo
    from eventstudy.placebo_output import write_placebo
    from eventstudy.study import fetch_prices, resolve_provider

    _setup_logging(verbose, quiet)
    if prices is not None and offline:
        raise SettingsError("give either --prices or --offline, not both")
    tickers = None
    if universe is not None:
        try:
            lines = universe.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise SettingsError(f"cannot read --universe {universe}: {exc.strerror}") from None
        tickers = [t.strip().upper() for t in lines if t.strip() and not t.startswith("#")]
        if not tickers:
            raise SettingsError(f"--universe {universe} lists no tickers (one per line)")
    spec = PlaceboSpec(trials=trials, seed=seed, inject=inject, cluster=cluster, universe=tickers)
    with _warnings_to_stderr(quiet):
        study = _build_study(events_file, **study_kw)
        source: Any = prices
        if prices is None and not offline:
            source = _prefetch(study, cache_path, quiet)
        provider = resolve_provider(source, offline=offline, cache=cache_path)
        ranges = study.date_ranges()
        if tickers:
            lo = min(r[0] for r in ranges.values())
            hi = max(r[1] for r in ranges.values())
            ranges = {**ranges, **{t: (lo, hi) for t in tickers}}
        price_set = provider if isinstance(provider, PriceSet) else fetch_prices(provider, ranges)
        if scheduler is not None and workers is not None:
            raise SettingsError("give either --scheduler or --workers, not both")
        result = run_placebo(study, price_set, spec, scheduler=scheduler, workers=workers)
    out = out_dir or Path("reports") / f"{default_out_dir(events_file).name}-placebo"
    write_placebo(result, out, str(events_file))
    if not quiet:
        from eventstudy.console import print_placebo

        print_placebo(_console(), result, out)


@main.command()
@click.argument("events_file", metavar="EVENTS.csv", type=click.Path(path_type=Path))
@click.option(
    "--benchmark",
    default=None,
    callback=lambda ctx, param, value: _benchmark_option(ctx, param, value),
    help="Benchmark symbol for every event.",
)
@common_flags
@clean_errors
def validate(
    events_file: Path, benchmark: str | None, debug: bool, quiet: bool, verbose: int
) -> None:
    """Check EVENTS.csv and print the resolved day 0 of every event; fetch nothing.

    Exits 2 and lists every bad row (file, line, column, what was expected).

    \b
    Example:
      eventstudy validate events.csv
    """
    from eventstudy.console import print_validation
    from eventstudy.duplicates import describe_duplicates, duplicate_events
    from eventstudy.events import load_events

    _setup_logging(verbose, quiet)
    events = load_events(events_file)
    if benchmark:
        events = events.assign(benchmark=benchmark)
    duplicates = describe_duplicates(events, duplicate_events(events))
    if not quiet:
        print_validation(_console(), events, events_file, warnings=len(duplicates))
        for text in duplicates:
            click.echo(f"warning: {printable(text)}", err=True)


def _register_data_commands() -> None:
    try:
        from eventstudy import cli_data
    except ImportError:  # pragma: no cover - the module ships with the package
        return
    for name in ("fetch", "cache"):
        cmd = getattr(cli_data, name, None)
        if isinstance(cmd, click.Command):
            main.add_command(cmd, name)


def _register_batch() -> None:
    try:
        from eventstudy import cli_batch  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return
    main.add_command(cli_batch.batch, "batch")


_register_data_commands()
_register_batch()

if __name__ == "__main__":  # pragma: no cover
    main()
