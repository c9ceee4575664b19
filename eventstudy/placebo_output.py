"""Files of a placebo run: ``placebo.csv``, ``placebo.json`` and ``placebo.html``.

Written atomically (temporary file, then rename); every text in the page is
escaped.
"""

from __future__ import annotations

import json
from pathlib import Path

from markupsafe import escape

from eventstudy.atomic import atomic_path
from eventstudy.output import prepare_out_dir, write_table
from eventstudy.placebo import PlaceboResult


def write_placebo(result: PlaceboResult, out_dir: str | Path, events_source: str) -> list[Path]:
    """Write the table, the run's settings and seed, and a one-page summary."""
    out = prepare_out_dir(out_dir)
    written = [write_table(result.table, out / "placebo.csv", "csv")]
    meta = {**result.meta, "events_source": events_source}
    with atomic_path(out / "placebo.json") as tmp:
        Path(tmp).write_text(json.dumps(meta, indent=2, default=str) + "\n", encoding="utf-8")
    written.append(out / "placebo.json")
    with atomic_path(out / "placebo.html") as tmp:
        Path(tmp).write_text(_page(result, events_source), encoding="utf-8")
    written.append(out / "placebo.html")
    return written


def _page(result: PlaceboResult, events_source: str) -> str:
    m = result.meta
    t = result.table
    what = (
        f"power against a day-0 abnormal return of {100 * m['inject']:+.2f}%"
        if m["inject"]
        else "size (no abnormal return was added)"
    )
    head = (
        f"{m['trials']} trials of pseudo-events drawn from {escape(events_source)} "
        f"(seed {m['seed']}{', all on one day per trial' if m['cluster'] else ''}; "
        f"{m['events_per_trial_mean']:.1f} events per trial on average): {what}."
    )
    from eventstudy.report.measures import placebo_note
    from eventstudy.report.placebo_matrix import placebo_matrix
    from eventstudy.report.tables import Record, records

    matrix = placebo_matrix(t, m)
    head_cells = "".join(f"<th>{escape(w)}</th>" for w in matrix.windows)
    matrix_rows = []
    for stat, label, cells in matrix.rows:
        tds = "".join(
            f"<td class='{escape(c.cls)}' title='{escape(c.title)}'><b>{escape(c.rate)}</b>"
            f"<br><small>{escape(c.ci)}</small></td>"
            for c in cells
        )
        matrix_rows.append(
            f"<tr><th>{escape(label)}<br><small>{escape(stat)}</small></th>{tds}</tr>"
        )
    groups: dict[tuple[int, int, str], list[Record]] = {}
    for r in records(t):
        groups.setdefault((int(r["start"]), int(r["end"]), str(r["statistic"])), []).append(r)
    rows = []
    for (a, b, code), by_level in groups.items():
        by_level.sort(key=lambda r: float(r["level"]))
        level_cells = "".join(f"<td>{100 * float(r['rate']):.1f}%</td>" for r in by_level)
        five = next((r for r in by_level if float(r["level"]) == 0.05), by_level[0])
        rows.append(
            f"<tr><td>[{a:+d},{b:+d}]</td><td>{escape(_label(code))}</td>"
            f"<td>{int(five['trials'])}</td>{level_cells}"
            f"<td>{100 * five['ci_low']:.1f}% to {100 * five['ci_high']:.1f}%</td></tr>"
        )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Placebo study</title><style>body{font-family:system-ui,sans-serif;"
        "max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}"
        "td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:right}"
        "th small,td small{color:#555;font-weight:normal}"
        "tbody th,thead th:first-child{text-align:left}"
        "#levels th:nth-child(2){text-align:left}"
        "td:nth-child(2){text-align:left}.over{background:#f9d9d6}.under{background:#dce8f7}"
        "</style></head><body>"
        "<h1>How often the tests reject</h1>"
        f"<p>{head}</p><p>{escape(placebo_note(matrix))} The last two rows pool the "
        "per-event t-test and sample-quantile test over all pseudo-events.</p>"
        f"<table id='matrix'><thead><tr><th>Test</th>{head_cells}</tr></thead><tbody>"
        + "\n".join(matrix_rows)
        + "</tbody></table><h2>Every level</h2>"
        "<table id='levels'><thead><tr><th>Window</th><th>Test</th><th>N</th><th>1%</th>"
        "<th>5%</th><th>10%</th><th>95% CI of the 5% rate</th></tr></thead><tbody>"
        + "\n".join(rows)
        + "</tbody></table></body></html>\n"
    )


def _label(stat: str) -> str:
    """A test's display name with its code (``placebo.csv``'s ``statistic``)."""
    from eventstudy.report.placebo_matrix import label

    name = label(stat)
    return f"{name} ({stat})" if name != stat else stat
