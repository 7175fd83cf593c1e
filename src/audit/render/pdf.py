"""The board pack as a PDF: A4, numbered pages, tagged for screen readers.

The PDF is printed from the finished ``board-pack.html`` itself, so it carries exactly the
same (suppressed) content: there is no second rendering path that could show a number the
HTML hides. The template's ``@media print`` rules do the layout: A4 pages numbered "Page N
of M", a contents page with page numbers, each section starting a page, and a chart never
split from its heading and caption.

The engine is WeasyPrint (an optional dependency: ``pip install 'audit[pdf]'``), which
needs no browser and no network. It writes a tagged PDF/UA-1 file: headings, lists and
tables are marked up, every chart carries its alt text, and the document language and
title are set, so the PDF meets the same accessibility duty as the HTML. Nothing is
fetched while printing: the pack is self-contained, and a reference to anything outside
it (a file, a web address) stops the PDF with an error rather than dropping content.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
from pathlib import Path
from typing import Any

from audit.errors import ReportError
from audit.render.content import PackContent, RenderOptions

__all__ = [
    "PDF_VARIANT",
    "BROWSER_ROUTE",
    "PdfFile",
    "pango_install_hint",
    "require_pdf_engine",
    "write_pdf",
]

#: Tagged PDF for accessibility (ISO 14289-1).
PDF_VARIANT = "pdf/ua-1"

_INSTALL_HINT = (
    "install it with: pip install 'audit[pdf]' (in a checkout: "
    "python -m pip install -e '.[pdf]' with the project's Python)"
)

#: The no-install route, for every platform: the board pack's own print styles.
BROWSER_ROUTE = (
    "Without it, open board-pack.html in a browser and print it to PDF (Print, "
    "then Save as PDF or Microsoft Print to PDF): its print styles give A4 "
    "pages, page numbers and each chart with its heading."
)


def pango_install_hint(platform: str = sys.platform) -> str:
    """What to install for WeasyPrint's Pango library on ``platform`` (a ``sys.platform``
    value), as WeasyPrint's installation guide gives it."""
    if platform.startswith(("win32", "cygwin", "msys")):
        return (
            "WeasyPrint needs the Pango library, which on Windows comes with the GTK3 "
            "runtime: install it with the GTK for Windows Runtime Environment Installer "
            "(https://github.com/tschoonj/GTK-for-Windows-Runtime-Environment-Installer/"
            "releases, the route WeasyPrint's documentation gives; it asks for "
            "administrator rights), or with MSYS2 (pacman -S mingw-w64-ucrt-x86_64-pango). "
            "If it is installed in a folder WeasyPrint does not search, set "
            "WEASYPRINT_DLL_DIRECTORIES to that folder's bin, e.g. "
            r"set WEASYPRINT_DLL_DIRECTORIES=C:\GTK3\bin"
        )
    if platform == "darwin":
        return "WeasyPrint needs the Pango library: on macOS, brew install pango"
    return (
        "WeasyPrint needs the Pango library: on Debian or Ubuntu, "
        "apt-get install libpango-1.0-0 libpangoft2-1.0-0; on Fedora, dnf install pango; "
        "with conda, conda install -c conda-forge weasyprint"
    )


def _engine() -> Any:
    try:
        # WeasyPrint prints its own advice to standard output when a library is missing;
        # ours (below) names this platform's install step, and stdout may be a CSV.
        with contextlib.redirect_stdout(io.StringIO()):
            import weasyprint
    except ImportError:
        raise ReportError(
            f"PDF output needs WeasyPrint, which is not installed: {_INSTALL_HINT}. {BROWSER_ROUTE}"
        ) from None
    except OSError as exc:  # the Python package is there, its system libraries are not
        raise ReportError(
            f"PDF output cannot start: {pango_install_hint(sys.platform)} ({exc}). {BROWSER_ROUTE}"
        ) from None
    return weasyprint


def require_pdf_engine() -> str:
    """Check that a PDF can be made here; returns the engine's name and version.

    Raises :class:`~audit.errors.ReportError` saying what to install if it cannot, so
    ``audit run --pdf`` can stop before it spends minutes on the notebooks.
    """
    weasyprint = _engine()
    return f"WeasyPrint {weasyprint.__version__}"


def _url_fetcher() -> Any:
    """A fetcher that serves ``data:`` URIs only: the pack must not reach outside itself."""
    from weasyprint import urls

    if hasattr(urls, "URLFetcher"):  # WeasyPrint 67 and later
        return urls.URLFetcher(allowed_protocols=("data",))

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - old API
        if not url.lower().startswith("data:"):
            raise ValueError("only data: URIs are allowed in a board pack")
        return urls.default_url_fetcher(url, *args, **kwargs)

    return fetch


class _Collect(logging.Handler):
    """Keep WeasyPrint's error messages (a resource it could not load, say)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def write_pdf(html_path: str | Path, pdf_path: str | Path | None = None) -> Path:
    """Print the board pack ``html_path`` to an A4, tagged PDF at ``pdf_path``.

    ``pdf_path`` defaults to the HTML file's name with ``.pdf``. The file is written via a
    temporary file and a rename, so it is never half-written. Returns the PDF's path.
    Raises :class:`~audit.errors.ReportError` if WeasyPrint (or the Pango library it uses)
    is missing, if the HTML cannot be read, or if anything in it fails to render.
    """
    source = Path(html_path)
    target = Path(pdf_path) if pdf_path is not None else source.with_suffix(".pdf")
    if not source.is_file():
        raise ReportError(f"cannot make a PDF: {source} does not exist")
    weasyprint = _engine()
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"cannot read {source.name} to make a PDF: {exc}") from None

    logger = logging.getLogger("weasyprint")
    collect = _Collect()
    saved_propagate = logger.propagate
    logger.addHandler(collect)
    logger.propagate = False  # CSS the print engine does not know is not the user's concern
    try:
        document = weasyprint.HTML(
            string=text,
            base_url=source.resolve().parent.as_uri() + "/",
            url_fetcher=_url_fetcher(),
            media_type="print",
        )
        data = document.write_pdf(pdf_variant=PDF_VARIANT)
    except Exception as exc:  # WeasyPrint raises many kinds; all mean "no PDF"
        raise ReportError(
            f"could not print {source.name} to PDF: {type(exc).__name__}: {exc}"
        ) from None
    finally:
        logger.removeHandler(collect)
        logger.propagate = saved_propagate
    if collect.messages:
        shown = "; ".join(m[:200] for m in collect.messages[:3])
        raise ReportError(
            f"{source.name} did not print completely, so no PDF was written "
            f"(the board pack must be self-contained): {shown}"
        )

    from audit.files import atomic_write_bytes

    return atomic_write_bytes(target, data)


class PdfFile:
    """The pack as a PDF, ``<name>.pdf``, printed from the page (written before it), when
    :attr:`~audit.render.content.RenderOptions.pdf` asks for it."""

    label = "PDF"

    def write(self, content: PackContent, folder: Path, options: RenderOptions) -> Path | None:
        """Print the page in ``folder`` to a PDF beside it; ``None`` when not asked for."""
        if not options.pdf:
            return None
        return write_pdf(folder / f"{content.name}.html", folder / f"{content.name}.pdf")
