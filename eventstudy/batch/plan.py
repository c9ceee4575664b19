"""What a batch run must do for one study, decided from its state and its inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from eventstudy.batch.state import StudyState


@dataclass(frozen=True)
class Plan:
    """The work of one run, by event id (ids in events-file order)."""

    ids: list[str]
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    repaged: list[str] = field(default_factory=list)
    full: bool = False
    render_all: bool = False
    tables_stale: bool = False

    @cached_property
    def recompute(self) -> frozenset[str]:
        """Events whose inputs changed or whose result may change (new data)."""
        if self.full:
            return frozenset(self.ids)
        return frozenset(self.new) | set(self.changed) | set(self.pending) | set(self.retried)

    @property
    def needs_run(self) -> bool:
        return bool(
            self.recompute or self.removed or self.repaged or self.render_all or self.tables_stale
        )

    def reasons(self) -> dict[str, str]:
        """``event_id -> why it is recomputed or its page written again``."""
        out: dict[str, str] = {}
        for name in ("removed", "repaged", "retried", "pending", "changed", "new"):
            for e in getattr(self, name):
                out[e] = {
                    "repaged": "page missing or renamed",
                    "retried": "failed, retried",
                    "pending": "pending, rechecked",
                }.get(name, name)
        if self.full:
            out = {e: out.get(e, "full run") for e in self.ids} | {
                e: "removed" for e in self.removed
            }
        return out


def table_files(formats: tuple[str, ...], html: bool) -> list[str]:
    """Files every completed run leaves in the output folder."""
    from eventstudy.output import TABLES

    names = [f"{t}.{f}" for f in formats if f in ("csv", "parquet") for t in TABLES]
    return [*names, "run.json", *(["index.html"] if html else [])]


def page_name(stem: str) -> str:
    """File name of an event page under ``events/`` (``events.unique_file_stems`` stem)."""
    return f"{stem}.html"


def outputs_present(state: StudyState, out: Path, html: bool) -> bool:
    """Whether every file the last run wrote is still there."""
    if not all((out / f).is_file() for f in table_files(tuple(state.formats), html)):
        return False
    if html:
        pages = out / "events"
        return all((pages / page_name(r.stem)).is_file() for r in state.events.values() if r.page)
    return True


def make_plan(
    state: StudyState | None,
    fingerprints: dict[str, str],
    stems: dict[str, str],
    *,
    out: Path,
    full: bool,
    retry_failed: bool,
    render: str,
    html: bool,
    formats: tuple[str, ...],
) -> Plan:
    """Compare the current fingerprints with the state's."""
    ids = list(fingerprints)
    if state is None:
        return Plan(ids=ids, new=ids, full=full, render_all=True, tables_stale=True)
    prev = state.events
    same = [e for e in ids if e in prev and prev[e].fingerprint == fingerprints[e]]
    pages = out / "events"
    repaged = []
    if html and state.render_key == render:
        repaged = [
            e
            for e in same
            if prev[e].page
            and (prev[e].stem != stems[e] or not (pages / page_name(stems[e])).is_file())
        ]
    tables_stale = (
        list(prev) != ids
        or list(state.formats) != list(formats)
        or not all((out / f).is_file() for f in table_files(formats, html))
    )
    return Plan(
        ids=ids,
        new=[e for e in ids if e not in prev],
        changed=[e for e in ids if e in prev and prev[e].fingerprint != fingerprints[e]],
        pending=[e for e in same if prev[e].status == "pending"],
        retried=[e for e in same if retry_failed and prev[e].status == "failed"],
        removed=[e for e in prev if e not in fingerprints],
        repaged=repaged,
        full=full,
        render_all=full or state.render_key != render,
        tables_stale=tables_stale,
    )
