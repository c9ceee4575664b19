"""The example notebook runs headless on the bundled prices, and is committed executed.

``examples/founding_study.ipynb`` is saved with its outputs by
``python examples/execute_notebook.py``; these tests execute a copy of it (the
tracked file is never modified) and check that the committed outputs display
outside JupyterLab.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE_PRICES

NOTEBOOK = ROOT / "examples" / "founding_study.ipynb"
PLOTLY = "application/vnd.plotly.v1+json"
#: A plotly output displays without JavaScript through one of these.
FALLBACKS = ("image/png", "image/svg+xml", "text/html")
BINARY = ("image/png", "image/jpeg")
ABSOLUTE = ("/work/", "/tmp/", "/root/", "/home/", "/Users/", str(ROOT))


def code_outputs(nb) -> list:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


@pytest.mark.slow
def test_founding_study_notebook_executes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel", reason="the notebook test needs ipykernel")
    assert (SAMPLE_PRICES / "MSFT.csv").exists()
    tracked = NOTEBOOK.read_bytes()
    copy = tmp_path / NOTEBOOK.name
    shutil.copyfile(NOTEBOOK, copy)
    out = tmp_path / "report"
    monkeypatch.setenv("EVENTSTUDY_REPORT_DIR", str(out))
    monkeypatch.delenv("EVENTSTUDY_PRICES", raising=False)  # the bundled examples/prices
    monkeypatch.delenv("EVENTSTUDY_DATA", raising=False)
    # No kaleido or Chrome needed: the interactive plotly JSON only.
    monkeypatch.setenv("PLOTLY_RENDERER", "plotly_mimetype")
    # The kernel imports this source tree even when the package is not installed.
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    )
    nb = nbformat.read(copy, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    # cwd examples/: the notebook's relative paths (prices/, ../events.csv) resolve there.
    client = nbclient.NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    nbformat.write(nb, copy)  # kept in tmp_path for inspection
    assert NOTEBOOK.read_bytes() == tracked, "the tracked notebook was modified"

    outputs = code_outputs(nb)
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, errors[0].get("traceback") if errors else None
    html = "".join(
        o.get("data", {}).get("text/html", "")
        for o in outputs
        if o.get("output_type") == "execute_result"
    )
    assert "<svg" in html and "Event study of 10 events" in html
    assert sum(PLOTLY in o.get("data", {}) for o in outputs) == 2
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "Durbin-Watson" in text
    assert (out / "index.html").exists()
    assert len(list((out / "events").glob("*.html"))) == 10


def test_committed_notebook_has_outputs_that_display_anywhere():
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    missing = [
        c.source.splitlines()[0] for c in code if c.execution_count is None or not c.get("outputs")
    ]
    assert not missing, f"cells without outputs (run examples/execute_notebook.py): {missing}"
    outputs = code_outputs(nb)
    assert not [o for o in outputs if o.output_type == "error"]

    plotly = [o for o in outputs if PLOTLY in o.get("data", {})]
    assert len(plotly) == 2  # res.plot_car() and res.plot_event(event_id)
    bare = [sorted(o.data) for o in plotly if not any(m in o.data for m in FALLBACKS)]
    assert not bare, f"plotly outputs without a static or HTML fallback: {bare}"

    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "<svg" in html and "Event study of 10 events" in html
    assert all("text/plain" in o.data for o in outputs if "text/html" in o.get("data", {}))

    # No path of the machine that executed it (binary images are base64, skipped).
    shown = [
        {**o, "data": {k: v for k, v in o.get("data", {}).items() if k not in BINARY}}
        for o in outputs
    ]
    text = json.dumps([shown, [c.source for c in nb.cells], nb.metadata])
    leaks = [m for m in ABSOLUTE if m in text]
    assert not leaks, f"absolute paths in the committed notebook: {leaks}"
