"""Set-up of a working copy, the same with or without ``make``: ``python -m audit.dev``.

``make venv`` (and so ``make report`` and ``make test``) creates ``.venv``, installs the
project into it and then runs ``.venv/bin/python -m audit.dev setup``; on Windows, or
anywhere without ``make``, the README's route runs the same command with the
environment's own Python (``.venv\\Scripts\\python -m audit.dev setup``). One entry point,
so the two routes cannot drift apart.

Why a module run with ``python -m`` rather than an ``audit setup`` subcommand: the kernel
must be registered for *the interpreter that will run the notebooks*, and
``<that python> -m audit.dev`` names it explicitly, where a console script found on
``PATH`` might belong to another environment; and set-up is a developer's step, kept out
of the analyst's ``audit --help``.

Commands::

    python -m audit.dev setup       register the Jupyter kernel "audit" for this Python;
                                    report whether the PDF engine can start (never fails
                                    for the PDF: it is optional)
    python -m audit.dev check-pdf   exit 0 if --pdf can work here, else 1 with this
                                    platform's install step (``make report`` uses it)

Exit codes: 0 done; 1 the PDF engine is missing (``check-pdf`` only); 2 the kernel could
not be registered for this interpreter.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["KERNEL_NAME", "KERNEL_DISPLAY_NAME", "register_kernel", "pdf_engine_status", "main"]

#: The kernel the notebooks run on (``audit run --kernel`` defaults to it).
KERNEL_NAME = "audit"
#: The name JupyterLab shows for it.
KERNEL_DISPLAY_NAME = "audit (Python 3)"


def register_kernel(
    name: str = KERNEL_NAME, display_name: str = KERNEL_DISPLAY_NAME, prefix: str | None = None
) -> Path:
    """Register the Jupyter kernel ``name`` for this interpreter under ``prefix`` (default
    ``sys.prefix``, as ``python -m ipykernel install --sys-prefix`` does), and check that
    Jupyter now resolves ``name`` to this interpreter. Returns the kernel spec's folder.

    Raises :class:`~audit.errors.ReportError` when another kernel of the same name (a
    per-user one, say) would be used instead.
    """
    from ipykernel.kernelspec import install
    from jupyter_client.kernelspec import KernelSpecManager

    from audit.errors import ReportError

    folder = Path(
        install(
            kernel_name=name,
            display_name=display_name,
            prefix=prefix if prefix is not None else sys.prefix,
        )
    )
    if prefix is not None:
        return folder
    spec = KernelSpecManager().get_kernel_spec(name)
    used = spec.argv[0] if spec.argv else ""
    if not _same_file(used, sys.executable):
        raise ReportError(
            f"the kernel '{name}' was registered in {folder}, but Jupyter will use another "
            f"kernel of that name, in {spec.resource_dir}, which runs {used}. Remove that one "
            f"('{sys.executable} -m jupyter kernelspec remove {name}' lists and removes "
            "kernels) and run this set-up again, or pass --kernel NAME to audit run."
        )
    return folder


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def pdf_engine_status() -> tuple[bool, str]:
    """``(True, "WeasyPrint 70.0")`` when ``--pdf`` can work here, else ``(False, what to
    install on this platform)``."""
    from audit.errors import ReportError
    from audit.render.pdf import require_pdf_engine

    try:
        return True, require_pdf_engine()
    except ReportError as exc:
        return False, str(exc)


def _setup(_args: argparse.Namespace) -> int:
    from audit.errors import ReportError

    try:
        folder = register_kernel()
    except ReportError as exc:
        print(f"audit set-up: {exc}", file=sys.stderr)
        return 2
    print(
        f"registered the Jupyter kernel '{KERNEL_NAME}' ({KERNEL_DISPLAY_NAME}) for "
        f"{sys.executable} in {folder}"
    )
    ok, detail = pdf_engine_status()
    if ok:
        print(f"PDF engine: {detail} (audit run --pdf works here)")
    else:
        print(
            f"PDF engine: not available, so audit run --pdf will stop at once; the board "
            f"pack is still written as HTML and Excel. {detail}"
        )
    return 0


def _check_pdf(_args: argparse.Namespace) -> int:
    ok, detail = pdf_engine_status()
    if ok:
        print(f"PDF engine: {detail}", file=sys.stderr)
        return 0
    print(
        f"note: no PDF engine, so the board pack is HTML and Excel only. {detail}", file=sys.stderr
    )
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m audit.dev COMMAND``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m audit.dev",
        description="Set up a working copy of audit: the steps 'make venv' runs after "
        "installing the project, for any platform.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sub.add_parser(
        "setup",
        help="register the Jupyter kernel 'audit' for this Python and report on the PDF engine",
    ).set_defaults(handler=_setup)
    sub.add_parser(
        "check-pdf", help="exit 0 if audit run --pdf can work here, else 1 with the install step"
    ).set_defaults(handler=_check_pdf)
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
