"""Fingerprints, output digests and the per-study state file.

* An event's **fingerprint** is the SHA-256 of its normalised row (every
  column of the loaded events table except the file line number, day 0
  resolved) and the **study key**: the settings that change numbers, the
  benchmark override, the data source's identity and the eventstudy version.
  A different fingerprint means "the inputs of this event changed".
* An event's **digest** hashes what the engine produced for it: its rows of
  ``events``, ``ar``, ``car`` and the estimation table. A different digest
  means "its page would look different", even when its inputs did not change
  (a price file corrected, adjusted closes revised).
* The **state** (``.batch-state.json`` in the output folder) records both per
  event, with its status and page name, plus the keys of the last run. It is
  written atomically and last, so it always describes the files beside it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.atomic import write_text

if TYPE_CHECKING:
    from eventstudy.result import StudyResult
    from eventstudy.settings import StudySettings

logger = logging.getLogger(__name__)

STATE_NAME = ".batch-state.json"
STATE_FORMAT = 1
#: Columns of the loaded events table left out of fingerprints.
UNHASHED = ("line",)


def _sha(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def study_key(settings: StudySettings, benchmark: str | None, source: dict[str, str]) -> str:
    """Hash of everything study-wide that changes an event's numbers."""
    from eventstudy import __version__

    return _sha(
        {
            "settings": settings.to_dict(),
            "benchmark": benchmark,
            "source": source,
            "eventstudy": __version__,
        }
    )


def render_key(formats: tuple[str, ...], html: bool, self_contained: bool, cdn: bool) -> str:
    """Hash of the output options: when it changes every page is written again."""
    from eventstudy import __version__

    return _sha(
        {
            "formats": sorted(formats),
            "html": html,
            "self_contained": self_contained,
            "cdn": cdn,
            "eventstudy": __version__,
        }
    )


def event_fingerprints(events: pd.DataFrame, key: str) -> dict[str, str]:
    """``event_id -> fingerprint`` of a loaded events table (see the module docstring)."""
    cols = [c for c in events.columns if c not in UNHASHED]
    frame = events[cols].copy()
    if "day0" in frame.columns:
        frame["day0"] = pd.DatetimeIndex(frame["day0"]).strftime("%Y-%m-%d")
    out: dict[str, str] = {}
    for values in frame.astype(str).itertuples(index=False, name=None):
        row = dict(zip(cols, values, strict=True))
        out[row["event_id"]] = _sha({"row": row, "study": key})
    return out


def _row_hashes(df: pd.DataFrame) -> np.ndarray:
    if df.empty:
        return np.empty(0, dtype=np.uint64)
    return pd.util.hash_pandas_object(df, index=False).to_numpy(dtype=np.uint64)


def event_digests(res: StudyResult) -> dict[str, str]:
    """``event_id -> digest`` of the engine's per-event rows (events, ar, car, estimation)."""
    ids = res.events["event_id"].astype(str).to_numpy()
    tables = (res.events, res.ar, res.car, res.estimation)
    header = _sha([[str(c) for c in t.columns] for t in tables]).encode()
    codes, hashes = [], []
    for k, df in enumerate(tables):
        if df.empty:
            continue
        c = pd.Categorical(df["event_id"].astype(str), categories=ids).codes.astype(np.int64)
        codes.append(c * len(tables) + k)
        hashes.append(_row_hashes(df))
    if not codes:
        return {}
    key = np.concatenate(codes)
    h = np.concatenate(hashes)
    order = np.argsort(key, kind="stable")
    key, h = key[order] // len(tables), h[order]
    bounds = np.searchsorted(key, np.arange(len(ids) + 1))
    out = {}
    for i, eid in enumerate(ids):
        part = h[bounds[i] : bounds[i + 1]]
        out[str(eid)] = hashlib.blake2b(header + part.tobytes(), digest_size=16).hexdigest()
    return out


def tables_digest(res: StudyResult) -> str:
    """Digest of the study-wide tables (``aar``, ``tests``)."""
    h = hashlib.blake2b(digest_size=16)
    for df in (res.aar, res.tests):
        h.update(repr([str(c) for c in df.columns]).encode())
        h.update(_row_hashes(df).tobytes())
    return h.hexdigest()


@dataclass
class EventRecord:
    """What the state remembers of one event."""

    fingerprint: str
    status: str
    stem: str
    reason: str = ""
    digest: str = ""
    computed_run: int = 0
    page: bool = False


@dataclass
class StudyState:
    """The state of one study's output folder after a completed run."""

    study: str
    run: int = 0
    study_key: str = ""
    render_key: str = ""
    events_sha256: str = ""
    tables_digest: str = ""
    html: bool = False
    formats: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    last_run: dict[str, Any] = field(default_factory=dict)
    last_change: str | None = None
    events: dict[str, EventRecord] = field(default_factory=dict)

    def ids_with_status(self, *statuses: str) -> list[str]:
        return [e for e, r in self.events.items() if r.status in statuses]

    def to_json(self) -> str:
        data = asdict(self)
        data["format"] = STATE_FORMAT
        data["events"] = {e: asdict(r) for e, r in self.events.items()}
        return json.dumps(data, indent=1, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> StudyState:
        data = json.loads(text)
        if data.pop("format", None) != STATE_FORMAT:
            raise ValueError(f"unknown state format (expected {STATE_FORMAT})")
        events = {str(e): EventRecord(**r) for e, r in data.pop("events").items()}
        return cls(**data, events=events)


def read_state(folder: Path) -> StudyState | None:
    """The state in ``folder``; ``None`` when absent or unreadable (then a full run)."""
    path = folder / STATE_NAME
    try:
        return StudyState.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError) as exc:
        logger.warning("%s is unreadable (%s); recomputing the whole study", path, exc)
        return None


def write_state(folder: Path, state: StudyState) -> Path:
    """Write the state atomically (temporary file, fsync, rename)."""
    return write_text(folder / STATE_NAME, state.to_json())
