"""Build a study's new outputs beside the old ones, then swap them in one step.

A run that changes anything writes into ``.<out>.batch-staging`` next to the
output folder: unchanged event pages are hard-linked from the current folder
(no copy, no re-render), other files the batch does not own are copied, and
the tables, ``run.json``, ``index.html``, the changed pages and finally the
state file are written there. The staging folder then replaces the output
folder:

* on Linux with ``renameat2(RENAME_EXCHANGE)`` (both folders swapped in one
  atomic step; readers never see a missing folder);
* elsewhere, or on a file system without it, with two renames
  (``out -> .<out>.batch-old``, ``staging -> out``).

A process killed at any point (SIGKILL included) leaves the previous folder
and its state as they were, or (between the two renames) a complete staging
folder that :func:`recover` moves into place at the start of the next run.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from eventstudy.batch.state import STATE_NAME
from eventstudy.output import TABLES

logger = logging.getLogger(__name__)

PAUSE_ENV = "EVENTSTUDY_TEST_PAUSE_AFTER"
PAUSE_SECONDS_ENV = "EVENTSTUDY_TEST_PAUSE_SECONDS"
LOG_NAME = "batch-log.jsonl"
#: Top-level names the batch writes itself (never copied from the old folder).
#: Tables of ``intraday_archive`` studies (``eventstudy.batch.archive.INTRADAY_TABLES``).
INTRADAY_TABLES = ("intraday_car", "intraday_ar", "intraday_tests")
OWNED = frozenset(
    {f"{t}.{ext}" for t in (*TABLES, *INTRADAY_TABLES) for ext in ("csv", "parquet")}
    | {"run.json", STATE_NAME}
)
HTML_OWNED = frozenset({"index.html"})


def checkpoint(stage: str) -> None:
    """Test hook: with ``EVENTSTUDY_TEST_PAUSE_AFTER=<stage>``, say so on stderr and sleep.

    Used by the tests to kill a run at a known point; a no-op otherwise.
    """
    if os.environ.get(PAUSE_ENV) == stage:
        # Written straight to stderr (not logged): the kill test waits for this line
        # whatever the logging configuration of the process under test.
        sys.stderr.write(f"eventstudy-batch: paused after {stage}\n")
        sys.stderr.flush()
        time.sleep(float(os.environ.get(PAUSE_SECONDS_ENV, "300")))


def stage_path(out: Path) -> Path:
    return out.parent / f".{out.name}.batch-staging"


def old_path(out: Path) -> Path:
    return out.parent / f".{out.name}.batch-old"


def lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.batch.lock"


def _writable_and_retry(func: object, path: str, _exc: object) -> None:
    """``rmtree`` error handler: a read-only folder of ours (say ``chmod 555 events``)
    is made writable, then the removal is tried again."""
    import stat

    parent = os.path.dirname(path)
    with contextlib.suppress(OSError):
        os.chmod(parent, os.stat(parent).st_mode | stat.S_IRWXU)
    with contextlib.suppress(OSError):
        os.chmod(path, os.lstat(path).st_mode | stat.S_IRWXU)
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        if sys.version_info >= (3, 12):
            shutil.rmtree(path, onexc=_writable_and_retry)
        else:  # pragma: no cover - Python 3.11
            shutil.rmtree(path, onerror=_writable_and_retry)


def _may_override_owners() -> bool:
    """True when this process may rename and delete other users' files (``CAP_FOWNER``;
    without ``/proc``, being root)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) & (1 << 3))
    except (OSError, ValueError):
        pass
    return hasattr(os, "geteuid") and os.geteuid() == 0


def not_a_study_folder(out: Path) -> str | None:
    """Why ``out`` must not be replaced by a study's outputs (``None`` when it may).

    Outputs replace the folder as a whole (:func:`commit`), so
    the current folder or one above it, the file-system root, the home folder
    and a project folder (holding ``.git``) are refused.
    """
    here = Path(os.path.abspath(out))
    cwd = Path(os.getcwd())
    why = None
    if here == Path(here.anchor):
        why = "the root of the file system"
    elif here == cwd or here in cwd.parents:
        why = "the current folder" if here == cwd else "a folder above the current one"
    elif here == Path.home():
        why = "the home folder"
    else:
        try:
            if (here / ".git").exists():
                why = "a project folder (it holds .git)"
        except OSError:  # too long, a loop: the caller's own checks name it
            pass
    if why is None:
        return None
    return (
        f"{out} is {why}; the outputs replace their folder as a whole, so give a "
        f"folder of their own, e.g. {Path(out) / 'study'}"
    )


def check_replaceable(out: Path) -> None:
    """Refuse (exit 2, before any work) an output folder that the swap could not
    replace whole, or could only replace by taking it from its owner.

    The new outputs replace ``out`` as a folder, so ``out`` and every folder in it
    must belong to this user: another user's folder cannot be renamed out of a
    sticky parent (``/tmp``), and its files could not be deleted afterwards.
    Other users' *files* inside folders of ours are fine (they are carried over).
    """
    if not hasattr(os, "geteuid") or not out.is_dir() or _may_override_owners():
        return
    from eventstudy.errors import InputError
    from eventstudy.safe_text import printable

    me = os.geteuid()
    for folder, dirs, _files in os.walk(out):
        st = os.lstat(folder)
        if st.st_uid != me:
            raise InputError(
                f"cannot replace the output folder {printable(out)}: "
                f"{printable(folder)} belongs to another user (uid {st.st_uid}), and "
                "eventstudy swaps in its new outputs as a whole folder; give --out a "
                f"new folder of your own (for example {printable(out / 'mine')}) or ask "
                "the owner to hand it over"
            )
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]


def _is_temp(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")


def recover(out: Path) -> str | None:
    """Finish or roll back a swap that a killed run left half done; drop leftovers.

    Call with the study's lock held.
    """
    stage, old = stage_path(out), old_path(out)
    note = None
    if not out.exists():
        if (stage / STATE_NAME).is_file():
            os.rename(stage, out)
            note = "finished the swap of an interrupted run"
        elif old.is_dir():
            os.rename(old, out)
            note = "restored the outputs of the last completed run"
    for leftover in (stage, old):
        _remove(leftover)
    if out.is_dir():
        for folder in (out, out / "events"):
            if folder.is_dir():
                for tmp in folder.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)
    if note:
        logger.warning("%s: %s", out, note)
    return note


def link_or_copy(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Hard-link ``src`` to ``dst`` (copy where links are not possible)."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _plain(entry: Path) -> bool:
    """A regular file or folder, not a symlink, FIFO, socket or device: only those are
    carried into the new outputs (a symlink is never followed, what it points to is
    never copied). Anything else is left behind with a warning."""
    import stat

    try:
        mode = entry.lstat().st_mode
    except OSError:
        return False
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return True
    kind = "symbolic link" if stat.S_ISLNK(mode) else "special file (FIFO, socket or device)"
    logger.warning(
        "left out %s of the output folder: a %s is never followed or copied", entry, kind
    )
    return False


def _ignore_special(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if not _plain(Path(folder) / n)}


def _copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, symlinks=True, ignore=_ignore_special)


def _stage_pages(src: Path, dst: Path, keep: frozenset[str]) -> None:
    dst.mkdir()
    for entry in src.iterdir():
        if not _plain(entry):
            continue
        if entry.is_dir():
            _copy_tree(entry, dst / entry.name)
        elif entry.suffix == ".html":
            if entry.name in keep:
                link_or_copy(entry, dst / entry.name)
        elif not _is_temp(entry.name):
            shutil.copy2(entry, dst / entry.name)


def prepare_stage(out: Path, *, keep_pages: frozenset[str], html: bool) -> Path:
    """A fresh staging folder holding what carries over from ``out``.

    ``keep_pages``: names of ``events/*.html`` pages to keep (hard links);
    with ``html`` other pages and ``index.html`` are left out (they are
    rendered again or belong to removed events). Without ``html`` the HTML
    files are carried over untouched. Tables of formats no longer asked for
    are dropped.
    """
    stage = stage_path(out)
    _remove(stage)
    stage.mkdir(parents=True)
    if not out.is_dir():
        return stage
    for entry in out.iterdir():
        name = entry.name
        if name in OWNED or _is_temp(name) or (html and name in HTML_OWNED):
            continue
        if not _plain(entry):
            continue
        if name == "events" and entry.is_dir():
            if html:
                _stage_pages(entry, stage / name, keep_pages)
            else:
                shutil.copytree(
                    entry, stage / name, copy_function=link_or_copy, ignore=_ignore_special
                )
        elif entry.is_dir():
            _copy_tree(entry, stage / name)
        else:
            shutil.copy2(entry, stage / name)
    return stage


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False when unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    logger.debug("renameat2(RENAME_EXCHANGE) failed: %s", os.strerror(ctypes.get_errno()))
    return False


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGTERM/SIGINT/SIGHUP until the swap is done (POSIX)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    sigs = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def commit(stage: Path, out: Path) -> None:
    """Make the complete staging folder the output folder."""
    old = old_path(out)
    with contextlib.suppress(OSError):  # keep the folder's mode (a shared 1777 stays 1777)
        os.chmod(stage, os.stat(out).st_mode & 0o7777)
    with _signals_deferred():
        if not out.exists():
            os.rename(stage, out)
        elif _exchange(stage, out):
            os.rename(stage, old)  # ``stage`` now holds the previous outputs
        else:
            os.rename(out, old)
            checkpoint("swap")
            os.rename(stage, out)
        _fsync_dir(out.parent)


def cleanup(out: Path) -> None:
    """Remove the previous outputs after a commit (hard-linked pages just lose a link)."""
    try:
        _remove(old_path(out))
    except OSError as exc:
        logger.warning(
            "could not remove the previous outputs %s (%s); the next run tries again",
            old_path(out),
            exc.strerror or exc,
        )


def discard(stage: Path) -> None:
    """Remove a staging folder after a failed run."""
    shutil.rmtree(stage, ignore_errors=True)
