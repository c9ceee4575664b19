"""The placebo matrix of the report and ``placebo.html``: flags and the sign tests' exact size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from eventstudy.placebo import PlaceboResult
from eventstudy.placebo_output import write_placebo
from eventstudy.report.measures import placebo_note
from eventstudy.report.placebo_matrix import discrete_size, placebo_matrix


def _loop_size(stat: str, n: int, alternative: str, level: float = 0.05) -> float:
    """The exact size by enumeration: binomtest / the normal z, one count at a time."""
    total = 0.0
    for w in range(n + 1):
        if stat == "sign_exact":
            p = stats.binomtest(w, n, 0.5, alternative=alternative).pvalue
        else:
            z = (w - n / 2) / np.sqrt(n / 4)
            p = {
                "two-sided": 2 * stats.norm.sf(abs(z)),
                "greater": stats.norm.sf(z),
                "less": stats.norm.cdf(z),
            }[alternative]
        if p < level:
            total += stats.binom.pmf(w, n, 0.5)
    return total


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
@pytest.mark.parametrize("stat", ["sign", "sign_exact"])
@pytest.mark.parametrize("n", [1, 5, 10, 23, 50, 51, 200])
def test_discrete_size_matches_enumeration(stat, n, alternative):
    assert discrete_size(stat, n, alternative) == pytest.approx(
        _loop_size(stat, n, alternative), abs=1e-12
    )


def test_discrete_size_at_fifty_events_is_the_readme_figure():
    assert discrete_size("sign", 50, "two-sided") == pytest.approx(0.0649, abs=5e-5)
    assert discrete_size("sign_exact", 50, "two-sided") == pytest.approx(0.0328, abs=5e-5)
    assert discrete_size("t_cs", 50, "two-sided") is None
    assert discrete_size("sign", 0, "two-sided") is None


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 400), level=st.sampled_from([0.01, 0.05, 0.1]))
def test_exact_sign_test_never_exceeds_its_level(n, level):
    # binomtest's p is exact, so its size can only be at or below the level
    assert discrete_size("sign_exact", n, "two-sided", level) <= level + 1e-12


def _table(rows: list[tuple[str, int, int, float]], trials: int = 1000) -> pd.DataFrame:
    from eventstudy.placebo import _clopper_pearson

    out = []
    for stat, a, b, rate5 in rows:
        for level in (0.01, 0.05, 0.10):
            rate = rate5 * level / 0.05
            out.append(
                {
                    "start": a,
                    "end": b,
                    "statistic": stat,
                    "level": level,
                    "trials": trials,
                    "rejections": round(rate * trials),
                    "rate": round(rate * trials) / trials,
                }
            )
    t = pd.DataFrame(out)
    t["ci_low"], t["ci_high"] = _clopper_pearson(
        t["rejections"].to_numpy(float), t["trials"].to_numpy(float)
    )
    return t.assign(inject=0.0, cluster=False)


META = {"inject": 0.0, "events_per_trial_mean": 50.0, "alternative": "two-sided"}


def test_cells_are_flagged_where_the_interval_excludes_the_size():
    t = _table(
        [
            ("t_cs", 0, 0, 0.05),  # right size
            ("t_cs", -1, 1, 0.09),  # over
            ("patell", 0, 0, 0.02),  # under
            ("patell", -1, 1, 0.062),  # inside 3.6-6.4
            ("sign_exact", 0, 0, 0.033),  # at its exact size 3.28%: not flagged
            ("sign_exact", -1, 1, 0.06),  # above 3.28%: over, although near 5%
            ("sign", 0, 0, 0.065),  # at its exact size 6.49%
            ("event_t", 0, 0, 0.05),
        ]
    )
    m = placebo_matrix(t, META)
    assert m.windows == ["[0,0]", "[-1,+1]"]
    cls = {s: [c.cls for c in cells] for s, _, cells in m.rows}
    assert cls["t_cs"] == ["", "over"]
    assert cls["patell"] == ["under", ""]
    assert cls["sign_exact"] == ["", "over"]
    assert cls["sign"] == ["", "na"]
    assert [s for s, _, _ in m.rows] == ["t_cs", "patell", "sign", "sign_exact", "event_t"]
    labels = {s: lab for s, lab, _ in m.rows}
    assert labels["t_cs"] == "Cross-sectional t" and labels["event_t"].startswith("Per-event t")
    first = m.rows[0][2][0]
    assert first.rate == "5.0%" and first.ci == "3.7-6.5"
    assert "1%: 1.0%" in first.title and "10%: 10.0%" in first.title
    assert set(m.references) == {"sign", "sign_exact"}
    note = placebo_note(m)
    assert "6.49%" in note and "3.28%" in note


def test_power_runs_are_not_flagged_and_say_power():
    t = _table([("t_cs", 0, 0, 0.80), ("patell", 0, 0, 0.01)])
    m = placebo_matrix(t, {**META, "inject": 0.005})
    assert not m.flagged
    assert all(c.cls == "" for _, _, cells in m.rows for c in cells)
    assert "power" in placebo_note(m)


def test_placebo_page_shows_the_matrix_escaped(tmp_path):
    t = _table([("t_cs", 0, 0, 0.09), ("<b>x</b>", 0, 0, 0.05)])
    meta = {
        **META,
        "trials": 1000,
        "seed": 1,
        "cluster": False,
    }
    write_placebo(PlaceboResult(t, meta), tmp_path, "<ev>.csv")
    page = (tmp_path / "placebo.html").read_text(encoding="utf-8")
    assert "id='matrix'" in page and "class='over'" in page
    assert "Cross-sectional t" in page and "9.0%" in page
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<ev>" not in page
