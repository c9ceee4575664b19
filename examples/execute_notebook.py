"""Execute the example notebook in place and save it with its outputs.

    python examples/execute_notebook.py [NOTEBOOK] [-o OUTPUT] [--renderer NAME]

Runs every cell with nbclient (kernel ``python3``, working directory: the
notebook's folder, ``examples/``) on the bundled sample prices and writes the
notebook back with its outputs, so that they display outside JupyterLab:

* plotly figures use the renderer named by ``--renderer`` (default
  ``plotly_mimetype+png``), handed to the kernel through the ``PLOTLY_RENDERER``
  environment variable; the notebook itself names no renderer. Each figure
  output then carries ``application/vnd.plotly.v1+json`` (interactive in
  JupyterLab, VS Code, nteract) and a static ``image/png`` (GitHub, nbviewer,
  plain viewers), ``--width`` x ``--height`` at ``--scale`` (default 900 x 500,
  scale 1).
* the study result displays as ``text/html`` (its compact summary with an
  inline SVG chart) plus ``text/plain``.

Needs the ``test`` extra (nbclient, nbformat, ipykernel) and, for the static
images, ``kaleido`` (>= 1) with a Chrome or Chromium it can find (on PATH, e.g.
Debian's ``chromium``, or installed by ``plotly_get_chrome``). With another
renderer, e.g. ``--renderer plotly_mimetype``, neither is needed.

The saved outputs are normalized for a stable diff: absolute paths of this
machine (the notebook folder, the repository) become relative to the notebook
folder, statsmodels' time of day is masked (the date stays), cells carry no
timing metadata and the notebook metadata no Python patch version. Execution
counts and run dates stay. The notebook's own path variables are reset
(``EVENTSTUDY_PRICES``, ``EVENTSTUDY_DATA``, ``EVENTSTUDY_REPORT_DIR`` are
removed from the kernel's environment), so the saved outputs always come from
the bundled prices; the report goes to the notebook's default folder,
``reports/founding-study`` (git-ignored).

If a cell fails, nothing is written and the exit status is 1; if an absolute
path is left in the outputs, the notebook is written and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NOTEBOOK = HERE / "founding_study.ipynb"
KERNEL = "python3"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL}
#: Plotly renderers that need kaleido and Chrome (static images).
IMAGE_RENDERERS = {"png", "jpeg", "jpg", "svg", "pdf", "sphinx_gallery_png"}
#: Environment variables of the notebook that would point its outputs elsewhere.
NOTEBOOK_ENV = ("EVENTSTUDY_PRICES", "EVENTSTUDY_DATA", "EVENTSTUDY_REPORT_DIR")
#: Strings that betray an absolute path of some machine in an output.
ABSOLUTE_MARKERS = ("/work/", "/tmp/", "/root/", "/home/", "/Users/", "C:\\")
#: statsmodels' summary prints the time of day of the call.
STATSMODELS_TIME = re.compile(r"(Time:\s+)\d\d:\d\d:\d\d")

PLOTLY_MIME = "application/vnd.plotly.v1+json"
BINARY_MIMES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")


def kernel_setup(width: int, height: int, scale: float) -> str:
    """Code run silently (no execution count, no output) before the first cell."""
    return (
        "import plotly.io as _pio\n"
        f"for _name in {sorted(IMAGE_RENDERERS)!r}:\n"
        "    try:\n"
        "        _r = _pio.renderers[_name]\n"
        "    except (KeyError, ValueError):\n"
        "        continue\n"
        f"    _r.width, _r.height, _r.scale = {width!r}, {height!r}, {scale!r}\n"
        "del _pio, _name\n"
    )


def needs_kaleido(renderer: str) -> bool:
    return any(part.strip() in IMAGE_RENDERERS for part in renderer.split("+"))


def check_kaleido() -> str | None:
    """Why static images cannot be made here, or None when they can."""
    try:
        import kaleido  # noqa: F401
        import plotly.io as pio
    except ImportError as exc:
        return f"{exc}: install kaleido (pip install kaleido) or pick --renderer plotly_mimetype"
    try:
        pio.to_image(
            {"data": [{"type": "scatter", "y": [0, 1]}]}, format="png", width=100, height=100
        )
    except Exception as exc:
        return (
            f"kaleido cannot export an image ({type(exc).__name__}: {exc}); it needs "
            "Chrome or Chromium: apt install chromium, or run plotly_get_chrome"
        )
    return None


def path_replacements(folder: Path) -> list[tuple[re.Pattern[str], str]]:
    """Absolute spellings of the notebook folder and the repository, and their relative form."""
    bases: dict[str, str] = {}
    for base in (folder, ROOT):
        rel = os.path.relpath(base, folder)
        for spelling in {str(base), str(base.resolve())}:
            bases[spelling] = rel
    out = []
    for spelling in sorted(bases, key=len, reverse=True):  # the longest (innermost) first
        rel = bases[spelling]
        out.append((re.compile(re.escape(spelling + os.sep)), "" if rel == "." else rel + os.sep))
        out.append((re.compile(re.escape(spelling) + r"(?![\w.-])"), rel))
    return out


def scrub_text(text: str, replacements: list[tuple[re.Pattern[str], str]]) -> str:
    for pattern, rel in replacements:
        text = pattern.sub(lambda _m, rel=rel: rel, text)
    return STATSMODELS_TIME.sub(lambda m: m.group(1) + "hh:mm:ss", text)


def scrub_value(value: Any, replacements: list[tuple[re.Pattern[str], str]]) -> Any:
    if isinstance(value, str):
        return scrub_text(value, replacements)
    if isinstance(value, list):
        return [scrub_value(v, replacements) for v in value]
    if isinstance(value, dict):
        return {k: scrub_value(v, replacements) for k, v in value.items()}
    return value


def normalize(nb: Any, folder: Path) -> None:
    """Strip what changes from machine to machine or run to run (see the module docstring)."""
    import nbformat

    replacements = path_replacements(folder)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            if "text" in output:
                output.text = scrub_text(output.text, replacements)
            if "traceback" in output:
                output.traceback = scrub_value(list(output.traceback), replacements)
            for mime, value in list(output.get("data", {}).items()):
                if mime not in BINARY_MIMES:
                    output.data[mime] = nbformat.from_dict(scrub_value(value, replacements))
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.get("language_info", {}).pop("version", None)


def leftover_paths(nb: Any) -> list[str]:
    """Where an absolute path is still in an output (cell index: marker)."""
    found = []
    home = str(Path.home())
    markers = {*ABSOLUTE_MARKERS, str(ROOT), tempfile.gettempdir() + os.sep}
    if len(home) > 1:
        markers.add(home + os.sep)
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            shown = {k: v for k, v in output.items() if k != "data"}
            shown["data"] = {
                k: v for k, v in output.get("data", {}).items() if k not in BINARY_MIMES
            }
            text = json.dumps(shown)
            found += [
                f"cell {index}: {m!r}" for m in sorted(markers) if m.replace("\\", "\\\\") in text
            ]
    return found


def describe(nb: Any) -> str:
    lines = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        kinds = []
        for output in cell.outputs:
            kind = output.output_type
            if kind == "stream":
                kinds.append(f"stream({output.name})")
            else:
                kinds.append(f"{kind}[{', '.join(output.get('data', {}))}]")
        lines.append(f"  cell {index} [{cell.execution_count}]: {'; '.join(kinds) or '-'}")
    return "\n".join(lines)


def execute(
    notebook: Path,
    output: Path,
    *,
    renderer: str,
    width: int,
    height: int,
    scale: float,
    timeout: int,
) -> int:
    import nbclient
    import nbformat
    from nbclient.exceptions import CellExecutionError

    folder = notebook.resolve().parent
    os.environ["PLOTLY_RENDERER"] = renderer  # the kernel inherits this environment
    for name in NOTEBOOK_ENV:
        os.environ.pop(name, None)
    # The kernel imports this source tree even when the package is not installed.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )

    nb = nbformat.read(notebook, as_version=4)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    client = nbclient.NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=KERNEL,
        record_timing=False,
        resources={"metadata": {"path": str(folder)}},
    )
    setup = kernel_setup(width, height, scale)

    async def configure_kernel(notebook: Any) -> None:
        assert client.kc is not None
        reply = await client.kc.execute_interactive(
            setup, silent=True, store_history=False, timeout=timeout
        )
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"kernel setup failed: {reply['content']}")

    client.on_notebook_start = configure_kernel
    print(f"executing {notebook.name} (PLOTLY_RENDERER={renderer}, cwd {folder}) ...")
    try:
        client.execute()
    except CellExecutionError as exc:
        print(f"a cell failed, {output} not written:\n{exc}", file=sys.stderr)
        return 1

    normalize(nb, folder)
    nbformat.validate(nb)
    tmp = output.with_name(f".{output.name}.tmp")
    nbformat.write(nb, tmp)
    os.replace(tmp, output)
    print(f"wrote {output} ({output.stat().st_size / 1e6:.2f} MB)")
    print(describe(nb))
    left = leftover_paths(nb)
    if left:
        print("absolute paths left in the outputs:\n  " + "\n  ".join(left), file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "notebook",
        nargs="?",
        type=Path,
        default=NOTEBOOK,
        help=f"the notebook (default: {NOTEBOOK.relative_to(ROOT)})",
    )
    parser.add_argument(
        "-o", "--output", type=Path, help="where to save the executed notebook (default: in place)"
    )
    parser.add_argument(
        "--renderer",
        default="plotly_mimetype+png",
        help="plotly renderer(s), set as PLOTLY_RENDERER for the kernel (default: %(default)s)",
    )
    parser.add_argument("--width", type=int, default=900, help="static image width (px)")
    parser.add_argument("--height", type=int, default=500, help="static image height (px)")
    parser.add_argument("--scale", type=float, default=1, help="static image scale")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)

    if needs_kaleido(args.renderer) and (problem := check_kaleido()):
        print(f"cannot render {args.renderer}: {problem}", file=sys.stderr)
        return 2
    return execute(
        args.notebook,
        args.output or args.notebook,
        renderer=args.renderer,
        width=args.width,
        height=args.height,
        scale=args.scale,
        timeout=args.timeout,
    )


if __name__ == "__main__":
    sys.exit(main())
