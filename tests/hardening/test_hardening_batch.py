"""Hostile batch configs: deep nesting, huge files and windows exit 2 with a message."""

from __future__ import annotations

from click.testing import CliRunner

from eventstudy.cli import main
from tests.conftest import ROOT, SAMPLE_PRICES


def _batch(path, *extra):
    r = CliRunner().invoke(main, ["batch", str(path), *extra], catch_exceptions=False)
    assert "Traceback" not in r.output and "error: unexpected" not in r.output, r.output
    return r


def test_deeply_nested_toml_exits_2(tmp_path):
    f = tmp_path / "deep.toml"
    f.write_text("x = " + "[" * 20000 + "]" * 20000 + "\n")
    for extra in ((), ("--dry-run",)):
        r = _batch(f, *extra)
        assert r.exit_code == 2 and "nests too deeply" in r.output


def test_a_huge_config_file_exits_2_before_parsing(tmp_path):
    f = tmp_path / "big.toml"
    f.write_text("# " + "a" * 2_000_000 + "\n")
    r = _batch(f)
    assert r.exit_code == 2 and "EVENTSTUDY_LIMIT_CONFIG_FILE_BYTES" in r.output


def test_windows_near_2_63_are_refused_also_in_dry_run(tmp_path):
    f = tmp_path / "w.toml"
    f.write_text(
        f'[studies.a]\nevents = "{ROOT / "events.csv"}"\noutput = "{tmp_path / "o"}"\n'
        f'prices = "{SAMPLE_PRICES}"\nevent_window = [0, 9223372036854775807]\n'
        "car_windows = [[0, 0]]\n"
    )
    for extra in ((), ("--dry-run",)):
        r = _batch(f, *extra)
        assert r.exit_code == 2 and "line 5" in r.output and "sessions from day 0" in r.output


def test_an_output_path_too_long_is_a_clear_study_error(tmp_path):
    f = tmp_path / "long.toml"
    f.write_text(
        f'[studies.a]\nevents = "{ROOT / "events.csv"}"\noutput = "{tmp_path / ("x" * 300)}"\n'
        f'prices = "{SAMPLE_PRICES}"\n'
    )
    r = _batch(f)
    assert r.exit_code == 2 and "too long" in r.output
