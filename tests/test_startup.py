"""Start-up stays light: ``import eventstudy`` and ``eventstudy --help`` load no
pandas, numpy, scipy or exchange_calendars (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

HEAVY = ("pandas", "numpy", "scipy", "exchange_calendars", "statsmodels", "plotly", "yfinance")


def _loaded(code: str) -> list[str]:
    probe = (
        f"import sys\n{code}\nimport json\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_eventstudy_loads_nothing_heavy():
    assert _loaded("import eventstudy") == []


def test_cli_help_loads_nothing_heavy():
    code = (
        "import contextlib, io\nfrom eventstudy.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main(['--help'])\n    except SystemExit:\n        pass"
    )
    assert _loaded(code) == []
    for command in ("run", "batch", "fetch", "validate"):
        sub = code.replace("['--help']", f"['{command}', '--help']")
        assert _loaded(sub) == [], command


def test_lazy_names_still_resolve():
    import eventstudy

    assert eventstudy.EventStudy.__name__ == "EventStudy"
    assert issubclass(eventstudy.InputError, eventstudy.EventStudyError)
    assert set(eventstudy.__all__) <= set(dir(eventstudy))
