"""Write a result's tables and ``run.json`` into an output folder, atomically."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from eventstudy.atomic import atomic_path, write_text
from eventstudy.errors import SettingsError

if TYPE_CHECKING:
    from eventstudy.result import StudyResult

TABLES = (
    "events",
    "ar",
    "car",
    "aar",
    "tests",
    "day0_split",
    "bhar",
    "bhar_tests",
    "volatility",
    "bootstrap",
)
#: Written on request (``run --volume``): they need the estimation table.
OPTIONAL_TABLES = ("volume", "volume_tests")
FORMATS = ("html", "csv", "parquet")


def parse_formats(text: str | Iterable[str]) -> tuple[str, ...]:
    """``"html,csv"`` -> ``("html", "csv")``; unknown formats list the valid ones."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out = tuple(dict.fromkeys(i.strip().lower() for i in items if i.strip()))
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        raise SettingsError(
            f"unknown output format {', '.join(bad) or '(none)'}; choose from {', '.join(FORMATS)}"
        )
    return out


#: A text cell that is a plain number (kept as is by :func:`_neutral_text`).
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def _neutral_text(col: Any) -> Any:
    """Text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``,
    tab, CR first) get a leading ``'`` (:mod:`eventstudy.safe_text`); text that is a
    plain number (``-0.5``) and every numeric column are left alone."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from eventstudy.safe_text import FORMULA_START

    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        return col
    risky = pc.match_substring_regex(
        col, "^[" + "".join("\\" + c if c in "+-" else c for c in FORMULA_START) + "]"
    )
    risky = pc.and_(risky, pc.invert(pc.match_substring_regex(col, _NUMBER)))
    if not pc.any(risky).as_py():
        return col
    quoted = pc.binary_join_element_wise(pa.scalar("'", col.type), col, pa.scalar("", col.type))
    return pc.if_else(risky, quoted, col)


def _arrow_table(df: pd.DataFrame) -> Any:
    """The frame as an Arrow table for CSV: categories decoded, dates as ``YYYY-MM-DD``,
    formula-looking text neutralised (:func:`_neutral_text`)."""
    import pyarrow as pa

    table = pa.Table.from_pandas(df, preserve_index=False)
    columns = []
    for col in table.columns:
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        if pa.types.is_timestamp(col.type):
            as_dates = col.cast(pa.date32())
            if as_dates.cast(col.type).equals(col):  # only midnight stamps: write the date
                col = as_dates
        columns.append(_neutral_text(col))
    return pa.table(columns, names=table.column_names)


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``df`` as CSV with Arrow's writer: floats in their shortest form that reads
    back to the same double (round trip exact), missing values empty, text quoted."""
    import pyarrow.csv as pcsv

    pcsv.write_csv(_arrow_table(df), str(path), pcsv.WriteOptions(quoting_style="needed"))


def write_table(df: pd.DataFrame, path: Path, fmt: str) -> Path:
    """Write one table atomically as CSV or Parquet."""
    with atomic_path(path) as tmp:
        if fmt == "csv":
            write_csv(df, tmp)
        else:
            df.to_parquet(tmp, index=False)
    return path


def refuse_file(out: Path) -> None:
    """``--out`` must be a folder (or not exist yet)."""
    if out.exists() and not out.is_dir():
        raise SettingsError(f"--out {out} is a file, not a folder; give a folder for the outputs")


def prepare_out_dir(out_dir: str | os.PathLike[str]) -> Path:
    """Create the output folder, or say clearly why it cannot be used."""
    out = Path(out_dir)
    refuse_file(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"cannot create the output folder {out}: {exc.strerror}") from None
    if not os.access(out, os.W_OK):
        raise SettingsError(f"cannot write into the output folder {out}: permission denied")
    return out


def write_tables(
    res: StudyResult, out_dir: str | os.PathLike[str], formats: Iterable[str] = ("csv",)
) -> list[Path]:
    """Write every table of :data:`TABLES` (CSV and/or Parquet) and ``run.json``."""
    out = prepare_out_dir(out_dir)
    written = []
    for fmt in formats:
        if fmt not in ("csv", "parquet"):
            continue
        for name in TABLES:
            written.append(write_table(getattr(res, name), out / f"{name}.{fmt}", fmt))
        for name, table in res.attachments.get("intraday", {}).items():
            written.append(write_table(table, out / f"intraday_{name}.{fmt}", fmt))
    written.append(write_run_json(res, out / "run.json"))
    return written


def _json_safe(value: object) -> object:
    """NaN/inf -> None so ``run.json`` is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def write_run_json(res: StudyResult, path: Path) -> Path:
    """``run.json``: settings, data source, versions, timings and counts."""
    text = json.dumps(_json_safe(res.meta), indent=2, default=str, allow_nan=False)
    return write_text(path, text + "\n")
