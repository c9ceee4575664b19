"""Run the studies of a batch config: lock, plan, compute, stage, swap, log.

Each study is independent: its own lock (``.<out>.batch.lock`` beside the
output folder, ``filelock.FileLock(timeout=0)``), its own state, its own
outcome and exit code. One study failing never stops the next. The batch's
exit code is the most serious of the studies' (2, then 1, then 75, then 0).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import filelock

from eventstudy.batch import staging
from eventstudy.batch.config import BatchConfig, StudyConfig, output_problem
from eventstudy.batch.plan import Plan, make_plan, outputs_present, page_name
from eventstudy.batch.state import (
    EventRecord,
    StudyState,
    event_digests,
    event_fingerprints,
    file_sha256,
    read_state,
    render_key,
    study_key,
    tables_digest,
    write_state,
)
from eventstudy.errors import (
    DataUnavailable,
    EventsFileError,
    EventStudyError,
    InputError,
    SettingsError,
)

if TYPE_CHECKING:
    from eventstudy.study import PricesArg

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED_EVENTS, EXIT_USAGE, EXIT_TEMPFAIL = 0, 1, 2, 75
#: Order in which studies' exit codes win for the whole batch.
EXIT_PRECEDENCE = (EXIT_USAGE, EXIT_FAILED_EVENTS, EXIT_TEMPFAIL)
STATUSES = ("ok", "pending", "skipped", "failed")

ReportWriter = Callable[..., object]
"""``writer(res, out_dir, *, event_ids, self_contained, cdn)``; ``event_ids=None``: all pages."""
ProviderFactory = Callable[[StudyConfig], "PricesArg"]
"""``factory(study) -> prices`` (provider, DataFrame or path) instead of the configured source."""


class StudyLocked(EventStudyError):
    """Another batch run holds the study's lock (exit code 75)."""

    exit_code = EXIT_TEMPFAIL


def combine_exit_codes(codes: Iterable[int]) -> int:
    """The batch's exit code: 2 beats 1 beats 75 beats 0."""
    seen = set(codes)
    return next((c for c in EXIT_PRECEDENCE if c in seen), EXIT_OK if seen <= {0} else 1)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class StudyOutcome:
    """What happened to one study in one run (one summary line, one log record)."""

    study: str
    outcome: str  # updated | checked | unchanged | dry-run | locked | unavailable | error
    exit_code: int
    output: Path
    events: int = 0
    new: int = 0
    changed: int = 0
    pending: int = 0
    retried: int = 0
    removed: int = 0
    recomputed: int = 0
    rendered: int = 0
    provider_calls: int = 0
    full: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    message: str = ""
    details: list[str] = field(default_factory=list)
    #: Intraday archiving, one record per ticker and interval (``intraday_archive``).
    intraday: list[dict[str, Any]] = field(default_factory=list)

    def line(self) -> str:
        """The one-line summary printed for the study."""
        head = f"{self.study}: {self.outcome}"
        if self.outcome in ("locked", "unavailable", "error"):
            return f"{head} - {self.message} (exit {self.exit_code})"
        total = self.timings.get("total_s", 0.0)
        counts = ", ".join(f"{self.counts.get(s, 0)} {s}" for s in STATUSES)
        work = (
            f"{self.new} new, {self.changed} changed, {self.pending} pending rechecked, "
            f"{self.retried} failed retried, {self.removed} removed"
        )
        if self.outcome == "dry-run":
            return (
                f"{head} - would recompute {self.recomputed} of {self.events} events "
                f"({work}{', full' if self.full else ''}) and write {self.rendered} pages"
            )
        if self.outcome == "unchanged":
            return (
                f"{head} in {total:.1f} s - {self.events} events; {counts}{self._bars()} "
                f"-> {self.output}"
            )
        return (
            f"{head} in {total:.1f} s - {self.events} events ({work}); {self.recomputed} "
            f"recomputed, {self.rendered} pages written; {counts}{self._bars()} -> {self.output}"
        )

    def _bars(self) -> str:
        if not self.intraday:
            return ""
        added = sum(int(r.get("bars_added") or 0) for r in self.intraday)
        failed = sum(1 for r in self.intraday if r.get("error"))
        return f"; {added} intraday bars archived" + (f" ({failed} failed)" if failed else "")

    def record(self, config: Path) -> dict[str, Any]:
        """The JSON-lines log record."""
        return {
            "time": _now(),
            "config": str(config),
            "study": self.study,
            "outcome": self.outcome,
            "exit_code": self.exit_code,
            "output": str(self.output),
            "full": self.full,
            "events": self.events,
            "new": self.new,
            "changed": self.changed,
            "pending": self.pending,
            "retried": self.retried,
            "removed": self.removed,
            "recomputed": self.recomputed,
            "reused": max(self.events - self.recomputed, 0),
            "rendered": self.rendered,
            "provider_calls": self.provider_calls,
            "counts": self.counts,
            "timings_s": {k: round(v, 4) for k, v in self.timings.items()},
            "message": self.message,
            "details": self.details[:50],
            "intraday": self.intraday,
        }


@dataclass
class BatchResult:
    """Outcomes of every study run, and the batch's exit code."""

    outcomes: list[StudyOutcome]

    @property
    def exit_code(self) -> int:
        return combine_exit_codes(o.exit_code for o in self.outcomes)


class _CountingProvider:
    """Pass-through provider that counts ``get_prices`` calls (for the run log)."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.calls = 0

    @property
    def description(self) -> str:
        return str(self.inner.description)

    def get_prices(self, tickers: Sequence[str], start: dt.date, end: dt.date) -> Any:
        self.calls += 1
        return self.inner.get_prices(tickers, start, end)


def default_report_writer() -> ReportWriter | None:
    """``res.to_html`` when the report package is importable, else ``None``."""
    try:
        import eventstudy.report  # noqa: F401
    except ImportError as exc:
        logger.debug("eventstudy.report unavailable: %s", exc)
        return None
    return _write_html


def _write_html(
    res: Any, out_dir: Path, *, event_ids: list[str] | None, self_contained: bool, cdn: bool
) -> object:
    return res.to_html(str(out_dir), event_ids=event_ids, self_contained=self_contained, cdn=cdn)


# --------------------------------------------------------------------------- one study


@dataclass
class _Context:
    cfg: StudyConfig
    full: bool
    writer: ReportWriter | None
    provider_factory: ProviderFactory | None
    started: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)
    intraday_client: Any = None
    now: dt.datetime | None = None
    intraday: list[dict[str, Any]] = field(default_factory=list)
    #: The intraday tables must be written again (bars added, or tables missing).
    intraday_stale: bool = False

    def last_run(self, kind: str, exit_code: int, time_: str | None = None) -> dict[str, Any]:
        """The state's ``last_run`` record (with the intraday bars archived, if any)."""
        record: dict[str, Any] = {"time": time_ or _now(), "outcome": kind, "exit_code": exit_code}
        if self.cfg.intraday_archive:
            record["intraday_bars_added"] = sum(int(r["bars_added"]) for r in self.intraday)
            record["intraday_errors"] = [
                f"{r['ticker']} {r['interval']}: {r['error']}" for r in self.intraday if r["error"]
            ]
        return record

    @property
    def html(self) -> bool:
        return "html" in self.cfg.formats and self.writer is not None

    @property
    def table_formats(self) -> tuple[str, ...]:
        return tuple(f for f in self.cfg.formats if f != "html")

    def lap(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - since
        return now

    def keys(self) -> tuple[str, str]:
        cfg = self.cfg
        source = cfg.source.identity()
        if cfg.factors is not None:  # factor data changes the numbers of factor models
            source = {**source, "factors": str(cfg.factors)}
        return (
            study_key(cfg.settings, cfg.benchmark, source),
            render_key(cfg.formats, self.html, cfg.self_contained, cfg.cdn),
        )


def _events_sha(cfg: StudyConfig) -> str:
    if not cfg.events.is_file():
        raise InputError(f"{cfg.where('events')}: events file not found: {cfg.events}")
    return file_sha256(cfg.events)


def _exit_for(cfg: StudyConfig, statuses: dict[str, str], prev: StudyState | None) -> int:
    failed = [e for e, s in statuses.items() if s == "failed"]
    if cfg.fail_on == "never" or not failed:
        return EXIT_OK
    if cfg.fail_on == "new" and prev is not None:
        failed = [e for e in failed if e not in prev.events or prev.events[e].status != "failed"]
    return EXIT_FAILED_EVENTS if failed else EXIT_OK


def _fast_unchanged(ctx: _Context, state: StudyState | None, events_sha: str) -> bool:
    """Nothing to do, decided without even reading the events table."""
    skey, rkey = ctx.keys()
    return (
        state is not None
        and not ctx.full
        and state.study_key == skey
        and state.render_key == rkey
        and state.events_sha256 == events_sha
        and list(state.formats) == list(ctx.cfg.formats)
        and not state.ids_with_status("pending")
        and not (ctx.cfg.retry_failed and state.ids_with_status("failed"))
        and outputs_present(state, ctx.cfg.output, ctx.html)
    )


def _outcome(
    ctx: _Context,
    kind: str,
    state: StudyState,
    plan: Plan | None,
    *,
    rendered: int = 0,
    calls: int = 0,
    exit_code: int = 0,
) -> StudyOutcome:
    ctx.lap("total_s", ctx.started)
    statuses = [r.status for r in state.events.values()]
    failed = [
        f"failed: {e} ({r.reason})" if r.reason else f"failed: {e}"
        for e, r in state.events.items()
        if r.status == "failed"
    ]
    return StudyOutcome(
        study=ctx.cfg.name,
        outcome=kind,
        exit_code=exit_code,
        output=ctx.cfg.output,
        events=len(state.events),
        new=len(plan.new) if plan else 0,
        changed=len(plan.changed) if plan else 0,
        pending=len(plan.pending) if plan else 0,
        retried=len(plan.retried) if plan else 0,
        removed=len(plan.removed) if plan else 0,
        recomputed=len(plan.recompute) if plan else 0,
        rendered=rendered,
        provider_calls=calls,
        full=ctx.full,
        counts={s: statuses.count(s) for s in STATUSES},
        timings=ctx.timings,
        details=failed
        + [
            f"intraday: {r['ticker']} {r['interval']}: {r['error']}"
            for r in ctx.intraday
            if r.get("error")
        ],
        intraday=ctx.intraday,
    )


def _touch_state(ctx: _Context, state: StudyState, kind: str, exit_code: int) -> None:
    state.last_run = ctx.last_run(kind, exit_code)
    write_state(ctx.cfg.output, state)


def _run_locked(ctx: _Context) -> StudyOutcome:
    from eventstudy.events import unique_file_stems
    from eventstudy.study import EventStudy, resolve_provider

    cfg, out = ctx.cfg, ctx.cfg.output
    t = time.perf_counter()
    staging.recover(out)
    staging.check_replaceable(out)  # before any work: the swap must be able to replace it
    state = read_state(out)
    events_sha = _events_sha(cfg)
    skey, rkey = ctx.keys()
    study = None
    if cfg.intraday_archive:  # every run: Yahoo serves minute bars for 30 days only
        from eventstudy.batch.archive import run_archive, tables_present

        study = EventStudy(cfg.events, **cfg.study_options())
        ctx.intraday = run_archive(cfg, study.events, ctx.intraday_client, ctx.now)
        added = sum(int(r["bars_added"]) for r in ctx.intraday)
        ctx.intraday_stale = added > 0 or not tables_present(cfg, out)
        t = ctx.lap("intraday_archive_s", t)
        staging.checkpoint("intraday")
    if not ctx.intraday_stale and _fast_unchanged(ctx, state, events_sha):
        assert state is not None
        state.run += 1
        code = _exit_for(cfg, {e: r.status for e, r in state.events.items()}, state)
        _touch_state(ctx, state, "unchanged", code)
        return _outcome(ctx, "unchanged", state, None, exit_code=code)
    if study is None:
        study = EventStudy(cfg.events, **cfg.study_options())
    fps = event_fingerprints(study.events, skey)
    stems = unique_file_stems(fps)
    plan = make_plan(
        state,
        fps,
        stems,
        out=out,
        full=ctx.full,
        retry_failed=cfg.retry_failed,
        render=rkey,
        html=ctx.html,
        formats=cfg.formats,
    )
    t = ctx.lap("load_s", t)
    if not plan.needs_run and state is not None and not ctx.intraday_stale:
        # e.g. only quoting or line endings changed
        state.run += 1
        state.events_sha256 = events_sha
        code = _exit_for(cfg, {e: r.status for e, r in state.events.items()}, state)
        _touch_state(ctx, state, "unchanged", code)
        return _outcome(ctx, "unchanged", state, plan, exit_code=code)
    staging.checkpoint("plan")
    source = ctx.provider_factory(cfg) if ctx.provider_factory else cfg.source.provider()
    resolved = resolve_provider(source)
    counting = _CountingProvider(resolved) if hasattr(resolved, "get_prices") else None
    res = study.run(prices=counting or resolved)
    calls = counting.calls if counting else 0
    t = ctx.lap("compute_s", t)
    staging.checkpoint("compute")
    return _write_outputs(ctx, state, plan, res, fps, stems, events_sha, calls, t)


def _write_outputs(
    ctx: _Context,
    state: StudyState | None,
    plan: Plan,
    res: Any,
    fps: dict[str, str],
    stems: dict[str, str],
    events_sha: str,
    calls: int,
    t: float,
) -> StudyOutcome:
    cfg, out = ctx.cfg, ctx.cfg.output
    skey, rkey = ctx.keys()
    prev = state.events if state else {}
    digests = event_digests(res)
    tdig = tables_digest(res)
    ev = res.events
    statuses = dict(zip(ev["event_id"].astype(str), ev["status"].astype(str), strict=True))
    reasons = dict(zip(ev["event_id"].astype(str), ev["reason"].astype(str), strict=True))
    render = (
        set(plan.ids)
        if plan.render_all
        else (
            set(plan.new)
            | set(plan.changed)
            | set(plan.repaged)
            | {e for e in plan.ids if e in prev and prev[e].digest != digests[e]}
        )
    )
    run = (state.run if state else 0) + 1
    new_state = StudyState(
        study=cfg.name,
        run=run,
        study_key=skey,
        render_key=rkey,
        events_sha256=events_sha,
        tables_digest=tdig,
        html=ctx.html,
        formats=list(cfg.formats),
        counts={s: list(statuses.values()).count(s) for s in STATUSES},
        last_change=state.last_change if state else None,
        events={
            e: EventRecord(
                fingerprint=fps[e],
                status=statuses[e],
                stem=stems[e],
                reason=reasons[e],
                digest=digests[e],
                computed_run=run
                if (e in plan.recompute or e not in prev)
                else prev[e].computed_run,
                page=prev[e].page if (e in prev and e not in render) else False,
            )
            for e in plan.ids
        },
    )
    code = _exit_for(cfg, statuses, state)
    t = ctx.lap("digest_s", t)
    if (
        state is not None
        and not render
        and not plan.removed
        and not plan.tables_stale
        and tdig == state.tables_digest
        and not plan.render_all
        and not ctx.intraday_stale
    ):
        _touch_state(ctx, new_state, "checked", code)
        return _outcome(ctx, "checked", new_state, plan, calls=calls, exit_code=code)
    keep = frozenset(
        page_name(stems[e]) for e in plan.ids if e not in render and e in prev and prev[e].page
    )
    stage = staging.prepare_stage(out, keep_pages=keep, html=ctx.html)
    try:
        res.meta["batch"] = {
            "study": cfg.name,
            "run": run,
            "recomputed": len(plan.recompute),
            "pages_written": len(render) if ctx.html else 0,
        }
        res.to_files(str(stage), ctx.table_formats)
        if cfg.intraday_archive:
            from eventstudy.batch.archive import write_intraday_tables

            write_intraday_tables(cfg, res, stage, ctx.table_formats)
        t = ctx.lap("tables_s", t)
        staging.checkpoint("tables")
        if ctx.html:
            _render(ctx, res, stage, plan, render, new_state)
            t = ctx.lap("html_s", t)
            staging.checkpoint("html")
        new_state.last_change = _now()
        new_state.last_run = ctx.last_run("updated", code, new_state.last_change)
        write_state(stage, new_state)
        staging.checkpoint("state")
        staging.commit(stage, out)
    except BaseException:
        staging.discard(stage)
        raise
    t = ctx.lap("commit_s", t)
    staging.cleanup(out)
    ctx.lap("cleanup_s", t)
    return _outcome(
        ctx,
        "updated",
        new_state,
        plan,
        calls=calls,
        exit_code=code,
        rendered=len(render) if ctx.html else 0,
    )


def _render(
    ctx: _Context, res: Any, stage: Path, plan: Plan, render: set[str], new_state: StudyState
) -> None:
    assert ctx.writer is not None
    ids = None if render >= set(plan.ids) else [e for e in plan.ids if e in render]
    ctx.writer(res, stage, event_ids=ids, self_contained=ctx.cfg.self_contained, cdn=ctx.cfg.cdn)
    pages = stage / "events"
    for e in render:
        rec = new_state.events[e]
        rec.page = (pages / page_name(rec.stem)).is_file()


def _error_outcome(
    cfg: StudyConfig, exc: BaseException, full: bool, started: float
) -> StudyOutcome:
    if isinstance(exc, DataUnavailable):
        kind, code = "unavailable", EXIT_TEMPFAIL
    elif isinstance(exc, StudyLocked):
        kind, code = "locked", EXIT_TEMPFAIL
    elif isinstance(exc, EventStudyError):
        kind, code = "error", exc.exit_code
    elif isinstance(exc, OSError):
        kind = "error"
    else:
        kind, code = "error", EXIT_FAILED_EVENTS
    if isinstance(exc, EventStudyError):
        message = str(exc)
    elif isinstance(exc, OSError):
        from eventstudy.fs_errors import describe

        message, code = describe(exc)
    else:
        message = f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for the traceback)"
    from eventstudy.safe_text import printable

    message = printable(message)
    details = [str(i) for i in exc.issues] if isinstance(exc, EventsFileError) else []
    return StudyOutcome(
        study=cfg.name,
        outcome=kind,
        exit_code=code,
        output=cfg.output,
        full=full,
        message=message,
        details=details,
        timings={"total_s": time.perf_counter() - started},
    )


def _append_log(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line (a single ``write`` on an ``O_APPEND`` file)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, default=str, sort_keys=False) + "\n")
    except OSError as exc:
        logger.warning("could not append to the run log %s: %s", path, exc)


def run_study(
    cfg: StudyConfig,
    *,
    full: bool = False,
    log: Path | None = None,
    config_path: Path | None = None,
    provider_factory: ProviderFactory | None = None,
    report_writer: ReportWriter | None = None,
    debug: bool = False,
    intraday_client: Any = None,
    now: dt.datetime | None = None,
) -> StudyOutcome:
    """Bring one study up to date (see ``docs/batch.md``); never raises for the study's errors.

    ``log``: the JSON-lines run log (default ``<output>/batch-log.jsonl``; a
    run that finds the study locked writes only to an explicit ``log``).
    ``intraday_client`` (default :class:`~eventstudy.data.yahoo.YFinanceClient`)
    and ``now`` (default: the clock) are used by ``intraday_archive`` studies.
    """
    started = time.perf_counter()
    writer = report_writer if report_writer is not None else default_report_writer()
    ctx = _Context(
        cfg,
        full,
        writer,
        provider_factory,
        started=started,
        intraday_client=intraday_client,
        now=now,
    )
    if "html" in cfg.formats and writer is None:
        logger.warning(
            "%s: HTML report skipped: the report package (eventstudy.report) is not "
            "installed; writing tables only",
            cfg.name,
        )
    out = cfg.output
    problem = output_problem(out)
    if problem:  # it may have appeared since the config was read
        return _error_outcome(cfg, SettingsError(problem), full, started)
    out.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(staging.lock_path(out), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        outcome = _error_outcome(
            cfg,
            StudyLocked(
                f"another batch run is updating {out} (lock {staging.lock_path(out)}); nothing was "
                "touched, try again later"
            ),
            full,
            started,
        )
        if log is not None:
            _append_log(log, outcome.record(config_path or cfg.config_path))
        return outcome
    try:
        staging.checkpoint("lock")
        outcome = _run_locked(ctx)
    except Exception as exc:
        if debug and not isinstance(exc, EventStudyError):
            raise
        logger.debug("study %s failed", cfg.name, exc_info=True)
        outcome = _error_outcome(cfg, exc, full, started)
    finally:
        lock.release()
    _append_log(log or out / staging.LOG_NAME, outcome.record(config_path or cfg.config_path))
    return outcome


def plan_study(
    cfg: StudyConfig, *, full: bool = False, report_writer: ReportWriter | None = None
) -> StudyOutcome:
    """What :func:`run_study` would recompute, without prices, compute or writes."""
    from eventstudy.events import unique_file_stems
    from eventstudy.study import EventStudy

    started = time.perf_counter()
    writer = report_writer if report_writer is not None else default_report_writer()
    ctx = _Context(cfg, full, writer, None, started=started)
    try:
        state = read_state(cfg.output)
        sha = _events_sha(cfg)
        if _fast_unchanged(ctx, state, sha):
            assert state is not None
            return _outcome(ctx, "dry-run", state, Plan(ids=list(state.events)))
        study = EventStudy(cfg.events, **cfg.study_options())
        skey, rkey = ctx.keys()
        fps = event_fingerprints(study.events, skey)
        plan = make_plan(
            state,
            fps,
            unique_file_stems(fps),
            out=cfg.output,
            full=full,
            retry_failed=cfg.retry_failed,
            render=rkey,
            html=ctx.html,
            formats=cfg.formats,
        )
    except Exception as exc:
        return _error_outcome(cfg, exc, full, started)
    statuses = {
        e: (state.events[e].status if state and e in state.events else "new") for e in plan.ids
    }
    view = StudyState(
        study=cfg.name,
        events={e: EventRecord(fingerprint=fps[e], status=s, stem="") for e, s in statuses.items()},
    )
    pages = (
        len(plan.ids)
        if plan.render_all
        else len(set(plan.new) | set(plan.changed) | set(plan.repaged))
    )
    outcome = _outcome(ctx, "dry-run", view, plan, rendered=pages if ctx.html else 0)
    outcome.details = [f"{e}: {why}" for e, why in plan.reasons().items()]
    return outcome


def run_batch(
    config: BatchConfig,
    *,
    studies: Sequence[str] = (),
    full: bool = False,
    dry_run: bool = False,
    log: Path | None = None,
    provider_factory: ProviderFactory | None = None,
    report_writer: ReportWriter | None = None,
    on_outcome: Callable[[StudyOutcome], None] | None = None,
    debug: bool = False,
    intraday_client: Any = None,
    now: dt.datetime | None = None,
) -> BatchResult:
    """Run (or plan) every selected study of ``config``, one after the other.

    ``intraday_client`` and ``now``: see :func:`run_study`.
    """
    outcomes = []
    for cfg in config.select(studies):
        if dry_run:
            outcome = plan_study(cfg, full=full, report_writer=report_writer)
        else:
            outcome = run_study(
                cfg,
                full=full,
                log=log or config.log,
                config_path=config.path,
                provider_factory=provider_factory,
                report_writer=report_writer,
                debug=debug,
                intraday_client=intraday_client,
                now=now,
            )
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return BatchResult(outcomes)
