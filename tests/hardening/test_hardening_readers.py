"""Fuzzed price files and batch configs: a result or one clear message (exit 2)."""

from __future__ import annotations

import shutil

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventstudy.cli import main
from tests.conftest import ROOT, SAMPLE_PRICES

FUZZ = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
cell = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=12),
    st.sampled_from(["nan", "inf", "-inf", "1e308", "-0", "=1+1", "9999-12-31", "0000-00-00"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@FUZZ
@given(st.lists(st.lists(cell, min_size=2, max_size=3), min_size=1, max_size=6))
def test_fuzzed_price_rows_give_a_result_or_exit_2(tmp_path, rows):
    folder = tmp_path / "p"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    good = (SAMPLE_PRICES / "MSFT.csv").read_text().splitlines()
    lines = good[:200] + [",".join('"' + c.replace('"', '""') + '"' for c in r) for r in rows]
    (folder / "MSFT.csv").write_text("\n".join(lines) + "\n" + "\n".join(good[200:]) + "\n")
    shutil.copy(SAMPLE_PRICES / "GSPC.csv", folder / "GSPC.csv")
    ev = tmp_path / "e.csv"
    ev.write_text("event_id,ticker,date,timing,benchmark\ne,MSFT,2025-09-11,after_close,^GSPC\n")
    r = CliRunner().invoke(
        main,
        [
            "run",
            str(ev),
            "--prices",
            str(folder),
            "-q",
            "--format",
            "csv",
            "--out",
            str(tmp_path / "o"),
        ],
        catch_exceptions=False,
    )
    assert r.exit_code in (0, 1, 2), r.output
    assert "unexpected" not in r.output.replace("unexpected end of data", "")
    assert "Traceback" not in r.output
    if r.exit_code == 0:
        assert (tmp_path / "o" / "car.csv").exists()


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "model",
                "event_window",
                "car_windows",
                "min_estimation",
                "formats",
                "benchmark",
                "return_type",
                "estimation_window",
                "bogus",
            ]
        ),
        st.one_of(
            st.integers(-(2**70), 2**70).map(str),
            st.text(max_size=10).map(lambda s: '"' + s.replace("\\", "").replace('"', "") + '"'),
            st.just("[0, 1]"),
            st.just("[[0, 0], [-1, 1]]"),
            st.just("true"),
            st.just("{}"),
            st.just("[1e400, 2]"),
        ),
        max_size=4,
    )
)
def test_fuzzed_batch_configs_give_a_result_or_exit_2(tmp_path, keys):
    body = "\n".join(f"{k} = {v}" for k, v in keys.items())
    f = tmp_path / "b.toml"
    f.write_text(
        f'[studies.a]\nevents = "{ROOT / "events.csv"}"\noutput = "{tmp_path / "o"}"\n'
        f'prices = "{SAMPLE_PRICES}"\n{body}\n'
    )
    for extra in (["--dry-run"], []):
        r = CliRunner().invoke(main, ["batch", str(f), *extra], catch_exceptions=False)
        assert r.exit_code in (0, 1, 2), r.output
        assert "unexpected" not in r.output.replace("unexpected end of data", "")
        assert "Traceback" not in r.output
