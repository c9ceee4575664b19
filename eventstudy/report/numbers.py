"""The data lists of the charts, and how event pages carry them cheaply.

A chart's numbers are rounded to a few decimals before they reach the page
(``vals``), so each is exactly ``k / 10**digits`` for an integer ``k``. Pages
carry ``{"_n": [k, ...], "_d": digits}`` and ``report.js`` divides back:
``k / 10**d`` is one correctly rounded division in Python, numpy and
JavaScript alike, so the browser gets the very doubles Python rounded to,
and writing integers is several times cheaper than writing floats.

* :class:`Numbers`: one such list (``None`` where missing); a notebook gets a
  plain list from :func:`plain`.
* :class:`Fixed`: the same for a whole ``(N, L)`` array of every event at
  once (rounded once, vectorised); ``row(i)`` is event ``i``'s
  :class:`Numbers`.
* :class:`Texts`: strings with nothing to escape (dates, colours), written
  with one ``join``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

EXACT = 2.0**52  # |k| below this: k and k / 10**d are exact


class Numbers:
    """Decimal numbers as integers ``ints`` over ``10**digits`` (``None``: missing)."""

    __slots__ = ("digits", "ints")

    def __init__(self, ints: list[Any], digits: int = 0) -> None:
        self.ints = ints
        self.digits = digits

    def tolist(self) -> list[Any]:
        if not self.digits:
            return list(self.ints)
        p = 10.0**self.digits
        return [None if k is None else k / p for k in self.ints]

    def json(self) -> str:
        text = repr(self.ints)
        if "None" in text:
            text = text.replace("None", "null")
        return text if not self.digits else f'{{"_n":{text},"_d":{self.digits}}}'

    def __iter__(self) -> Iterator[Any]:
        return iter(self.tolist())

    def __len__(self) -> int:
        return len(self.ints)

    def __getitem__(self, k: int) -> Any:
        v = self.ints[k]
        return v if v is None or not self.digits else v / 10.0**self.digits

    def __eq__(self, other: object) -> bool:
        return self.tolist() == (other.tolist() if isinstance(other, Numbers) else other)

    def __hash__(self) -> int:  # pragma: no cover - unhashable like a list
        raise TypeError("unhashable type: 'Numbers'")

    def __repr__(self) -> str:
        return f"Numbers({self.tolist()!r})"


class Texts(list[str]):
    """Strings that need no escaping in JSON or HTML (``YYYY-MM-DD``, ``#2e75b6``)."""

    __slots__ = ()


def _as_ints(values: np.ndarray, digits: int) -> tuple[np.ndarray, np.ndarray]:
    """``(k, ok)``: ``k = rint(values * 10**digits)`` where finite and exact."""
    scaled = values * 10.0**digits
    ok = np.isfinite(scaled) & (np.abs(np.where(np.isfinite(scaled), scaled, 0.0)) < EXACT)
    return np.rint(np.where(ok, scaled, 0.0)).astype(np.int64), ok


@dataclass(frozen=True)
class Fixed:
    """``values`` of many rows rounded to ``digits`` decimals, as integers (vectorised)."""

    ints: np.ndarray
    ok: np.ndarray
    digits: int
    full: np.ndarray  # (N,): row i has no missing value

    @classmethod
    def of(cls, values: np.ndarray, digits: int) -> Fixed:
        ints, ok = _as_ints(np.asarray(values, dtype=float), digits)
        return cls(ints, ok, digits, np.asarray(ok.all(axis=-1) if ok.ndim > 1 else ok))

    def row(self, i: int, cols: Any = None) -> Numbers:
        """Row ``i`` (its columns ``cols`` if given) as :class:`Numbers`."""
        ints, ok = (
            (self.ints[i], self.ok[i]) if cols is None else (self.ints[i, cols], self.ok[i, cols])
        )
        out: list[Any] = ints.tolist()
        if not self.full[i] and not ok.all():
            out = [k if good else None for k, good in zip(out, ok.tolist(), strict=True)]
        return Numbers(out, self.digits)


def vals(x: Any, scale: float = 1.0, digits: int = 6) -> Numbers:
    """Numbers for a chart: scaled, rounded to ``digits`` decimals, ``None`` where missing.

    The values are ``numpy.round(x * scale, digits)``: the same doubles.
    """
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        arr = np.array([_float(v) for v in x], dtype=float)
    arr = arr.reshape(1, -1)
    return Fixed.of(arr * scale if scale != 1.0 else arr, digits).row(0)


def _float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def plain(node: Any) -> Any:
    """``node`` with every :class:`Numbers` and :class:`Texts` as a plain list (for plotly)."""
    if isinstance(node, dict):
        return {k: plain(v) for k, v in node.items()}
    if isinstance(node, Numbers):
        return node.tolist()
    if isinstance(node, list | tuple):
        return [plain(v) for v in node]
    return node
