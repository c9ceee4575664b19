"""The benchmark harness around the PyPI package ``eventstudy==0.1a12`` (the peer).

The validation builds the peer's own venv (``benchmarks/.venv-peer``, needs PyPI
the first time), so it runs only with ``EVENTSTUDY_PEER=1``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

needs_peer = pytest.mark.skipif(
    os.environ.get("EVENTSTUDY_PEER") != "1",
    reason="set EVENTSTUDY_PEER=1 to build the peer venv (network) and run the peer",
)


def test_importing_the_harness_imports_no_eventstudy() -> None:
    """``benchmarks.peer`` must not bring any ``eventstudy`` (ours or the peer) in."""
    code = (
        "import sys; import benchmarks.peer as p; "
        "assert 'eventstudy' not in sys.modules, sys.modules['eventstudy']; "
        "assert not any(m.split('.')[0] in ('statsmodels', 'exchange_calendars') "
        "for m in sys.modules); print(p.RUNNER)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("peer_runner.py")


@pytest.mark.slow
@needs_peer
def test_peer_agrees_with_an_independent_market_model() -> None:
    sys.path.insert(0, str(ROOT))
    from benchmarks import peer

    out = peer.validate(20, seed=3)  # raises if any difference exceeds 1e-8
    assert out["n_computed"] == 20
    assert out["compute_seconds"] > 0 and out["total_seconds"] >= out["compute_seconds"]
    assert out["meta"]["peer_version"] == "0.1a12"
    assert out["meta"]["peer_file"].startswith(str(ROOT / "benchmarks" / ".venv-peer"))
    # The peer's t-stat is not the standard one: SSR/T and no prediction-error term.
    lo, hi = out["t_peer_over_t_standard"]
    assert 1.0 < lo <= hi < 1.2
    assert "eventstudy" not in sys.modules or "site-packages" not in (
        sys.modules["eventstudy"].__file__ or ""
    )
