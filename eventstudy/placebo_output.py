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
    rows = []
    rates: dict[tuple[int, int, str], dict[float, float]] = {}
    ci: dict[tuple[int, int, str], tuple[float, float, int]] = {}
    for r in t.to_dict("records"):
        key = (int(r["start"]), int(r["end"]), str(r["statistic"]))
        rates.setdefault(key, {})[float(r["level"])] = float(r["rate"])
        if float(r["level"]) == 0.05:
            ci[key] = (float(r["ci_low"]), float(r["ci_high"]), int(r["trials"]))
    for (a, b, stat), by_level in rates.items():
        lo, hi, n = ci.get((a, b, stat), (float("nan"), float("nan"), 0))
        cells = "".join(f"<td>{100 * v:.1f}%</td>" for _, v in sorted(by_level.items()))
        rows.append(
            f"<tr><td>[{a:+d},{b:+d}]</td><td>{escape(_label(stat))}</td><td>{n}</td>{cells}"
            f"<td>{100 * lo:.1f}% to {100 * hi:.1f}%</td></tr>"
        )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Placebo study</title><style>body{font-family:system-ui,sans-serif;"
        "max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}"
        "td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:right}"
        "td:nth-child(2){text-align:left}</style></head><body>"
        "<h1>How often the tests reject</h1>"
        f"<p>{head}</p><p>A test of the right size rejects at about its level when "
        "nothing happened: the 95% interval (exact binomial) of its 5% rate should "
        "cover 5%. <code>event_t</code> and <code>event_sq</code> are the per-event "
        "t-test and sample-quantile test, pooled over all pseudo-events.</p>"
        "<table><thead><tr><th>Window</th><th>Test</th><th>N</th><th>1%</th><th>5%</th>"
        "<th>10%</th><th>95% CI of the 5% rate</th></tr></thead><tbody>"
        + "\n".join(rows)
        + "</tbody></table></body></html>\n"
    )


def _label(stat: str) -> str:
    """A test's display name with its code (``placebo.csv``'s ``statistic``)."""
    from eventstudy.report.tables import TEST_LABELS

    label = TEST_LABELS.get(stat)
    return f"{label} ({stat})" if label else stat
