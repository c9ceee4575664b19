"""The example notebook runs headless, top to bottom, on the shared price files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import PRICES, ROOT

NOTEBOOK = ROOT / "examples" / "founding_study.ipynb"

pytestmark = pytest.mark.slow


def test_founding_study_notebook_executes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    if not (PRICES / "MSFT.csv").exists():
        pytest.skip(f"real price files absent: {PRICES} (a fresh clone without ../shared)")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel", reason="the notebook test needs ipykernel")
    out = tmp_path / "report"
    monkeypatch.setenv("EVENTSTUDY_REPORT_DIR", str(out))
    monkeypatch.setenv("EVENTSTUDY_DATA", str(PRICES.parent))
    # The kernel imports this source tree even when the package is not installed.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs
                   if o.get("output_type") == "execute_result")
    assert "<svg" in html and "Event study of 10 events" in html
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "Durbin-Watson" in text
    assert (out / "index.html").exists()
    assert len(list((out / "events").glob("*.html"))) == 10
