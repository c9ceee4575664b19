"""``eventstudy batch CONFIG.toml``: the thin command-line shell over :mod:`eventstudy.batch`.

Exit codes: 0 done; 1 some events failed (per each study's ``fail_on``) or an
unexpected error; 2 usage, config or input-file error; 75 a study was locked
by another run or its data was temporarily unavailable (try again later).
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from types import FrameType

import click

MAX_DETAILS = 20


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM: unwind like Ctrl-C so locks are released and staging is discarded."""
    raise SystemExit(128 + signum)


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = (
        logging.ERROR
        if quiet
        else (logging.WARNING if not verbose else logging.INFO if verbose == 1 else logging.DEBUG)
    )
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def _show(outcome: object, *, dry_run: bool, quiet: bool, verbose: int) -> None:
    from eventstudy.batch import StudyOutcome

    assert isinstance(outcome, StudyOutcome)
    if not quiet or outcome.exit_code:
        click.echo(outcome.line(), err=outcome.outcome in ("error", "locked", "unavailable"))
    if not (dry_run or verbose or outcome.exit_code):
        return
    details = outcome.details if verbose else outcome.details[:MAX_DETAILS]
    for line in details:
        click.echo(f"  {line}", err=not dry_run)
    if len(details) < len(outcome.details):
        click.echo(
            f"  ... and {len(outcome.details) - len(details)} more (-v shows all)", err=not dry_run
        )


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("config", metavar="CONFIG.toml", type=click.Path(path_type=Path))
@click.option("--full", is_flag=True, help="Recompute every event and write every page.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show what would be recomputed; fetch, compute and write nothing.",
)
@click.option(
    "--study",
    "studies",
    multiple=True,
    metavar="NAME",
    help="Run only this study; repeat for several [default: all].",
)
@click.option(
    "--log",
    "log_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Append the JSON-lines run log here [default: the config's 'log', else "
    "<output>/batch-log.jsonl per study].",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Print only studies that did not exit 0.")
@click.option("--debug", is_flag=True, help="Show tracebacks of unexpected errors.")
def batch(
    config: Path,
    full: bool,
    dry_run: bool,
    studies: tuple[str, ...],
    log_path: Path | None,
    verbose: int,
    quiet: bool,
    debug: bool,
) -> None:
    """Bring the studies of CONFIG.toml up to date, recomputing only what changed.

    New events are computed, events whose window was still open (pending) are
    rechecked, and only the pages of events that changed are written again.
    Each study is locked while it runs; a killed run leaves the previous
    report intact and the next run finishes the job. See docs/batch.md.

    \b
    Exit codes: 0 done, 1 some events failed, 2 usage or config error,
    75 a study is locked by another run or data is temporarily unavailable.

    \b
    Examples:
      eventstudy batch examples/batch.toml
      eventstudy batch examples/batch.toml --dry-run
      eventstudy batch reports.toml --study msft --full --log /var/log/eventstudy.jsonl
    """
    from eventstudy.batch import BatchConfigError, load_config, run_batch

    _setup_logging(verbose, quiet)
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _terminate)
    try:
        cfg = load_config(config)
        cfg.select(studies)
    except BatchConfigError as exc:
        for issue in exc.issues:
            click.echo(f"error: {issue}", err=True)
        sys.exit(exc.exit_code)
    result = run_batch(
        cfg,
        studies=studies,
        full=full,
        dry_run=dry_run,
        log=log_path,
        debug=debug,
        on_outcome=lambda o: _show(o, dry_run=dry_run, quiet=quiet, verbose=verbose),
    )
    sys.exit(result.exit_code)
