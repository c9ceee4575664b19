"""File-system errors turned into one clear sentence and an exit code.

Exit codes: 2 for a path the user can fix (too long, not a folder, no
permission, read-only, a symlink loop, a FIFO or device where a file belongs),
74 (``EX_IOERR``) for faults of the machine (disk full, quota, I/O error).
"""

from __future__ import annotations

import errno

__all__ = ["EXIT_IO", "describe"]

EXIT_IO = 74

_FIX = {
    errno.ENAMETOOLONG: ("the path is too long for the file system", "give a shorter path", 2),
    errno.EACCES: (
        "permission denied",
        "choose a folder you can write to or fix its permissions",
        2,
    ),
    errno.EPERM: ("operation not permitted", "choose a folder you own", 2),
    errno.EROFS: ("the file system is read-only", "choose a writable folder", 2),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "fix the path", 2),
    errno.EISDIR: (
        "it is a folder where a file belongs",
        "move the folder away or fix the path",
        2,
    ),
    errno.ELOOP: ("the path is a loop of symbolic links", "remove the link", 2),
    errno.ENOENT: ("a folder on the path does not exist", "create it or fix the path", 2),
    errno.EEXIST: ("something else already exists there", "move it away", 2),
    errno.ENOSPC: (
        "the disk is full",
        "free some space and rerun; earlier outputs are intact",
        EXIT_IO,
    ),
    errno.EDQUOT: ("the disk quota is exceeded", "free some space and rerun", EXIT_IO),
    errno.EIO: ("an input/output error", "check the disk", EXIT_IO),
}


def _short(path: object, most: int = 240) -> str:
    text = str(path)
    return text if len(text) <= most else f"{text[: most // 2]}...{text[-most // 2 :]}"


def describe(exc: OSError) -> tuple[str, int]:
    """``("cannot write PATH: the disk is full; free some space ...", 74)``."""
    from eventstudy.safe_text import printable

    path = _short(exc.filename) if exc.filename is not None else ""
    what, fix, code = _FIX.get(
        exc.errno or -1, (exc.strerror or type(exc).__name__, "check the path", 2)
    )
    where = f" {printable(path)}" if path else ""
    if exc.filename2:
        where += f" -> {printable(_short(exc.filename2))}"
    return f"file system error at{where}: {what}; {fix}", code
