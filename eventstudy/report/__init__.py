"""HTML reports: ``index.html`` for the study and one page per event.

Layout of a report folder::

    index.html                 the study page
    events/<stem>.html         one page per event (stem: sanitised, collision-free id)
    assets/plotly-<v>.min.js   plotly.js, written once (works offline)
    assets/report.css, .js     the report's own style and scripts

``self_contained=True`` inlines plotly.js, the CSS and the scripts into every
page (a single file to e-mail); ``cdn=True`` loads plotly.js from its CDN
instead of the local copy. Every file is written atomically.

How pages are made (fast at 10,000 events): the result's tables are read once
through the adapter of :mod:`eventstudy.report.views` into a
:class:`~eventstudy.report.book.ReportBook` of per-event arrays (regression
diagnostics, window dates, chart numbers: all vectorised); each event page is
then cheap work by index and one compiled template
(:mod:`eventstudy.report.event_page`), written by forked worker processes when
there are many (:mod:`eventstudy.report.render`). Text results (sentence,
CAR table, facts, day-by-day table, regression tables) are HTML in the page;
each chart is the event's own data plus the report's shared chart bases,
merged by ``report.js``. The study page's events table is compact JSON that
``report.js`` pages, sorts and filters, its first 50 rows also as HTML.

Examples
--------
>>> from eventstudy.report import write_report
>>> write_report(res, "reports/msft")          # doctest: +SKIP
PosixPath('reports/msft/index.html')
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eventstudy.errors import SettingsError

if TYPE_CHECKING:
    from jinja2 import Environment
    from markupsafe import Markup

    from eventstudy.report.book import ReportBook
    from eventstudy.report.event_page import EventPages
    from eventstudy.result import StudyResult

__all__ = ["write_index", "write_report"]

logger = logging.getLogger(__name__)

EVENTS_DIR = "events"
SELF_CONTAINED_WARN = 50
ASSETS_DIR = "assets"
_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


@cache
def _env() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    folder = resources.files("eventstudy.report") / "templates"
    return Environment(
        loader=FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )


@cache
def static_text(name: str) -> str:
    """The text of ``static/<name>`` shipped with the package."""
    return (resources.files("eventstudy.report") / "static" / name).read_text(encoding="utf-8")


@cache
def plotly_bundle() -> tuple[str, str]:
    """``(plotly.js version, minified bundle)`` of the installed plotly package."""
    from plotly.offline import get_plotlyjs, get_plotlyjs_version

    return get_plotlyjs_version(), get_plotlyjs()


def figure_json(spec: Any) -> Markup:
    """Figure JSON that is safe inside ``<script type="application/json">``.

    :class:`~eventstudy.report.numbers.Numbers` and ``Texts`` lists (the bulk
    of a figure) are written with ``repr`` and ``join`` and spliced into the
    JSON of the rest, which alone is escaped (numbers and dates have nothing to
    escape).
    """
    from markupsafe import Markup

    parts: list[str] = []
    text = _dumps(_skeleton(spec, parts))
    for ch, rep in _JSON_ESCAPES.items():
        if ch in text:
            text = text.replace(ch, rep)
    if parts:
        pieces = text.split(_SLOT)
        text = pieces[0] + "".join(
            parts[int(p[: p.index('"')])] + p[p.index('"') + 1 :] for p in pieces[1:]
        )
    return Markup(text)


_SLOT = '"\\u0000'  # how json writes the start of a placeholder string "\x00<k>"


_PLAIN = frozenset({int, float, bool, type(None)})


def _skeleton(node: Any, parts: list[str]) -> Any:
    """``node`` with its Numbers/Texts lists replaced by placeholders; their JSON in ``parts``."""
    kind = type(node)
    if kind is dict:
        return {k: v if type(v) in _PLAIN else _skeleton(v, parts) for k, v in node.items()}
    if kind is list:
        return [v if type(v) in _PLAIN else _skeleton(v, parts) for v in node]
    if kind is str:
        return node.replace("\x00", "\ufffd") if "\x00" in node else node  # unambiguous slots
    numbers, dates = _list_kinds()
    if kind is numbers:
        parts.append(node.json())
        return f"\x00{len(parts) - 1}"
    if kind is dates:
        parts.append('["' + '","'.join(node) + '"]' if node else "[]")
        return f"\x00{len(parts) - 1}"
    if isinstance(node, list | tuple):
        return [_skeleton(v, parts) for v in node]
    return node


_dumps = json.JSONEncoder(separators=(",", ":"), allow_nan=False, ensure_ascii=False).encode


@cache
def _list_kinds() -> tuple[type, type]:
    from eventstudy.report.numbers import Numbers, Texts

    return Numbers, Texts


@dataclass(frozen=True)
class Assets:
    """How a page loads its style, plotly.js and the report script."""

    mode: str  # "local", "inline" or "cdn"
    head: Markup
    scripts: Markup


#: Content-Security-Policy of every page (``{script}``: the mode's script sources).
#: No network, no plugins, no forms, no frames; plotly.js sets inline styles.
CSP = (
    "default-src 'none'; script-src {script}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'none'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'"
)


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@cache
def _inline_hashes() -> str:
    js = static_text("report.js")
    return f"{_sha256(plotly_bundle()[1])} {_sha256(chr(10) + js)}"


def csp_meta(mode: str) -> Markup:
    """The ``<meta http-equiv="Content-Security-Policy">`` tag of a page in ``mode``:
    scripts only from the report's own files (``local``), from the plotly CDN
    (``cdn``), or the two inlined scripts by their SHA-256 (``inline``)."""
    from markupsafe import Markup

    if mode == "inline":
        script = _inline_hashes()
    elif mode == "cdn":
        from urllib.parse import urlsplit

        from plotly.io._utils import plotly_cdn_url

        url = urlsplit(plotly_cdn_url())
        script = f"'self' {url.scheme}://{url.netloc}"
    else:
        script = "'self'"
    return Markup(
        f'<meta http-equiv="Content-Security-Policy" content="{CSP.format(script=script)}">'
    )


def _assets(mode: str, prefix: str) -> Assets:
    from markupsafe import Markup

    bundle = plotly_bundle()[1]
    css, js = static_text("report.css"), static_text("report.js")
    if mode == "inline":
        return Assets(
            mode,
            csp_meta(mode) + Markup(f"<style>\n{css}</style>"),
            Markup(f'<script charset="utf-8">{bundle}</script>\n<script>\n{js}</script>'),
        )
    if mode == "cdn":
        from plotly.io._utils import plotly_cdn_url

        sri = "sha384-" + base64.b64encode(hashlib.sha384(bundle.encode()).digest()).decode()
        plotly_tag = (
            f'<script charset="utf-8" src="{plotly_cdn_url()}" integrity="{sri}" '
            'crossorigin="anonymous"></script>'
        )
    else:
        src = f"{prefix}{ASSETS_DIR}/{plotly_asset()}"
        plotly_tag = f'<script charset="utf-8" src="{src}"></script>'
    return Assets(
        mode,
        csp_meta(mode) + Markup(f'<link rel="stylesheet" href="{prefix}{ASSETS_DIR}/report.css">'),
        Markup(f'{plotly_tag}\n<script src="{prefix}{ASSETS_DIR}/report.js"></script>'),
    )


def plotly_asset() -> str:
    """File name of the local plotly.js copy: ``plotly-<version>.min.js``."""
    return f"plotly-{plotly_bundle()[0]}.min.js"


def _write_assets(out: Path, with_plotly: bool) -> None:
    folder = out / ASSETS_DIR
    for name in ("report.css", "report.js"):
        text = static_text(name)
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            write_file(path, text)
    if with_plotly:
        bundle = plotly_bundle()[1].encode("utf-8")
        path = folder / plotly_asset()
        if not path.exists() or path.stat().st_size != len(bundle):
            write_file(path, bundle)


def _common(res: StudyResult) -> dict[str, Any]:
    from eventstudy import __version__

    versions = res.meta.get("versions") or {}
    return {
        "version": __version__,
        "created": str(res.meta.get("created", "")),
        "plotly_version": plotly_bundle()[0],
        "versions": [(k, v) for k, v in versions.items() if k != "eventstudy-reports"],
    }


def with_footer(context: dict[str, Any]) -> dict[str, Any]:
    """``context`` plus the page footer (versions, plotly.js), rendered once per report."""
    from markupsafe import Markup

    return {**context, "footer": Markup(_env().get_template("_footer.html").render(**context))}


def _render(template: str, context: dict[str, Any]) -> str:
    ctx = with_footer(context)
    ctx["figures"] = [(name, figure_json(spec)) for name, spec in context.get("figures", [])]
    if "events_data" in context:
        ctx["events_json"] = figure_json(context["events_data"])
    return _env().get_template(template).render(**ctx)


def _page_path(events_dir: Path, stem: str) -> Path:
    path = events_dir / f"{stem}.html"
    if path.resolve().parent != events_dir.resolve() or stem in ("", ".", ".."):
        raise ValueError(f"event page name {stem!r} would leave {events_dir}")
    return path


def write_report(
    res: StudyResult,
    out_dir: str | os.PathLike[str],
    *,
    self_contained: bool = False,
    cdn: bool = False,
    event_ids: Iterable[str] | None = None,
    workers: int | None = None,
) -> Path:
    """Write the HTML report of ``res`` into ``out_dir``; return the ``index.html`` path.

    Parameters
    ----------
    res
        A :class:`eventstudy.StudyResult`.
    out_dir
        The report folder (created if needed).
    self_contained
        Inline plotly.js, CSS and scripts into every page (no ``assets/``).
    cdn
        Load plotly.js from its CDN (needs the internet) instead of ``assets/``.
    event_ids
        Write only these events' pages (and any page that is missing); ``None``
        writes every page. The index is always rewritten, and pages of events
        no longer in the study are removed.
    workers
        Processes that render event pages: ``None`` uses every CPU when there
        are more than 200 pages (``eventstudy.report.render.PARALLEL_MIN``),
        ``1`` renders in this process. The pages are the same either way.
    """
    from eventstudy.events import unique_file_stems
    from eventstudy.report.book import book_of
    from eventstudy.report.render import write_pages

    if self_contained and cdn:
        raise SettingsError(
            "choose either a self-contained report (--self-contained) or "
            "plotly.js from its CDN (--cdn), not both"
        )
    t0 = time.perf_counter()
    out = Path(out_dir)
    events_dir = out / EVENTS_DIR
    events_dir.mkdir(parents=True, exist_ok=True)
    mode = "inline" if self_contained else "cdn" if cdn else "local"
    if mode != "inline":
        _write_assets(out, with_plotly=mode == "local")
    book = book_of(res, fresh=True)
    stems = unique_file_stems(book.ids)
    if self_contained and len(stems) > SELF_CONTAINED_WARN:
        logger.warning(
            "self-contained report: %d event pages each carry plotly.js (about "
            "5 MB); the default (one shared assets/ copy) is far smaller",
            len(stems),
        )
    wanted = None
    if event_ids is not None:
        wanted = {str(i) for i in event_ids}
        wanted |= {eid for eid, stem in stems.items() if not (events_dir / f"{stem}.html").exists()}
    targets = [
        (i, _page_path(events_dir, stems[eid]))
        for i, eid in enumerate(book.ids)
        if wanted is None or eid in wanted
    ]
    n_proc = write_pages(event_pages(book, mode), targets, workers) if targets else 0
    _remove_stale(events_dir, set(stems.values()))
    index = write_index(res, out, self_contained=self_contained, cdn=cdn)
    logger.info(
        "report: %d event pages (%d process%s) and index.html in %s (%.2f s)",
        len(targets),
        n_proc,
        "" if n_proc == 1 else "es",
        out,
        time.perf_counter() - t0,
    )
    return index


def event_pages(book: ReportBook, mode: str = "local") -> EventPages:
    """The event-page renderer of ``book`` (computed in full now) for an assets ``mode``."""
    from eventstudy.report.event_page import EventPages

    book.prepare()
    return EventPages(
        book,
        _env().get_template("event.html"),
        with_footer({**_common(book.res), "assets": _assets(mode, "../")}),
        figure_json,
    )


def write_index(
    res: StudyResult,
    out_dir: str | os.PathLike[str],
    *,
    self_contained: bool = False,
    cdn: bool = False,
) -> Path:
    """Write only ``index.html`` (and the assets it needs); return its path.

    :func:`write_report` calls this last; on its own it serves previews and
    tests of the study page. Links to event pages assume :func:`write_report`'s
    file names.
    """
    from eventstudy.events import unique_file_stems
    from eventstudy.report.book import book_of
    from eventstudy.report.pages import study_context

    if self_contained and cdn:
        raise SettingsError(
            "choose either a self-contained report (--self-contained) or "
            "plotly.js from its CDN (--cdn), not both"
        )
    out = Path(out_dir)
    mode = "inline" if self_contained else "cdn" if cdn else "local"
    if mode != "inline":
        _write_assets(out, with_plotly=mode == "local")
    stems = unique_file_stems(book_of(res).ids)
    index = out / "index.html"
    write_file(
        index,
        _render(
            "index.html", {**_common(res), **study_context(res, stems), "assets": _assets(mode, "")}
        ),
    )
    return index


_TMP_SEQ = itertools.count()


def _create(tmp: Path) -> Any:
    """``tmp`` opened for writing, created exclusively (and its folder if need be)."""
    try:
        return open(tmp, "xb")  # closed by the caller's with block
    except FileNotFoundError:
        tmp.parent.mkdir(parents=True, exist_ok=True)
        return open(tmp, "xb")


def write_file(path: Path, data: str | bytes, *, flush: bool = True) -> None:
    """Write a report file atomically (temporary file in the same folder + rename).

    The temporary file is created exclusively (``open(..., "xb")``, never
    through an existing name) with the usual permissions (``0o666`` minus the
    umask), so a report folder can be served or shared as is. ``flush=False``
    skips the ``fsync``: an interrupted run still never leaves a half-written
    page under its name, and 10,000 event pages do not wait for 10,000 disk
    flushes (a page lost to a power cut is rewritten by the next run).
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{next(_TMP_SEQ)}.tmp")
    try:
        with _create(tmp) as fh:
            fh.write(payload)
            if flush:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _remove_stale(events_dir: Path, keep: set[str]) -> None:
    """Delete event pages of events that are no longer in the study."""
    for path in events_dir.glob("*.html"):
        if path.stem not in keep and path.is_file():
            logger.info("report: removing the page of a dropped event: %s", path.name)
            path.unlink()
