"""Text from users made safe for a terminal and for spreadsheets.

* :func:`printable`: control characters (C0, DEL, C1; ESC and NUL included,
  and line breaks inside one message) become visible escapes such as ``\\x1b``,
  so input cannot move the cursor, recolour or clear a terminal.
* :func:`neutral_cell`: a text cell that a spreadsheet would read as a formula
  (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a
  leading apostrophe (OWASP's advice on CSV injection); numbers are never
  changed (they are written as numbers, not text).
"""

from __future__ import annotations

import re

__all__ = ["FORMULA_START", "neutral_cell", "printable"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_ALL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group(0))
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def printable(text: object, keep_newlines: bool = False) -> str:
    """``text`` with every control character escaped (``\\n`` kept if asked)."""
    s = str(text)
    pattern = _CONTROL if keep_newlines else _CONTROL_ALL
    return pattern.sub(_escape, s) if pattern.search(s) else s


def neutral_cell(text: str) -> str:
    """``'`` + ``text`` when it would start a spreadsheet formula, else ``text``."""
    return "'" + text if text.startswith(FORMULA_START) else text


def rich_text(text: object) -> str:
    """``text`` for a rich console: control characters escaped, then rich markup."""
    from rich.markup import escape

    return escape(printable(text))
