"""The Jupyter kernels that run the board pack's notebooks: transport, start, reset, stop.

``audit run`` executes its notebooks in worker processes, each with one kernel it starts on
first use and reuses for every notebook it runs (:func:`worker_kernel`). How the kernel and
the worker talk is chosen here and nowhere else (:func:`kernel_transport`):

* **IPC** (Unix domain sockets) where the platform has it (Linux, macOS and other POSIX
  systems). On a shared analysis server any local user can connect to a TCP port on
  127.0.0.1; Unix sockets in a private (0700) temporary folder are not reachable that way.
* **TCP on the loopback interface (127.0.0.1)** on Windows, because ZeroMQ has no ``ipc``
  transport there (libzmq implements it over Unix domain sockets, which its Windows build
  does not offer), so a kernel asked for IPC could not start. Every message is then signed
  with the random HMAC-SHA256 key of the kernel's connection file, which jupyter_client
  writes readable by the current user only: another local user can reach the port but
  cannot forge or read a message that the kernel would accept (the key never leaves this
  user's files).

The choice is a function of ``sys.platform`` only, so the tests exercise both branches on
one machine by passing the platform (the TCP branch starts real kernels on Linux too).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from audit.errors import ReportError

__all__ = [
    "DEFAULT_KERNEL",
    "LOOPBACK",
    "SETUP_COMMAND",
    "kernel_transport",
    "kernel_manager_class",
    "check_kernel",
    "worker_kernel",
    "reset_kernel",
    "stop_worker_kernels",
    "worker_init",
    "notebook_guard",
    "forward_sigterm",
]

#: The Jupyter kernel the set-up registers (``python -m audit.dev setup``).
DEFAULT_KERNEL = "audit"

#: The address TCP kernels listen on: the loopback interface, never a network card.
LOOPBACK = "127.0.0.1"

#: The command that registers the kernel (one source of truth: ``make venv`` runs it too).
SETUP_COMMAND = "python -m audit.dev setup"

#: Platforms whose ZeroMQ has no ``ipc`` transport.
_NO_IPC = ("win32", "cygwin", "msys")


def kernel_transport(platform: str = sys.platform) -> str:
    """``"ipc"`` where ZeroMQ offers Unix-socket transport, else ``"tcp"`` (Windows).

    ``platform`` is a ``sys.platform`` value; the tests pass ``"win32"`` to cover the
    Windows branch on Linux.
    """
    return "tcp" if platform.startswith(_NO_IPC) else "ipc"


def kernel_manager_class(private_dir: str, transport: str | None = None) -> type:
    """An ``AsyncKernelManager`` subclass whose kernels use ``transport`` (default: this
    platform's :func:`kernel_transport`), write their connection file to
    ``private_dir/kernel.json`` and log to ``private_dir/kernel.log``.

    With IPC the sockets are files under ``private_dir`` (a private folder of its own per
    kernel, so kernels running in parallel never share a socket path); with TCP the kernel
    listens on :data:`LOOPBACK` and the connection file's HMAC key signs every message.
    """
    from jupyter_client.manager import AsyncKernelManager

    chosen = transport or kernel_transport()
    if chosen not in ("ipc", "tcp"):
        raise ValueError(f"unknown kernel transport {chosen!r}: 'ipc' or 'tcp'")

    class AuditKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            kwargs.setdefault("transport", chosen)
            kwargs.setdefault(
                "ip", os.path.join(private_dir, "kernel") if chosen == "ipc" else LOOPBACK
            )
            # The connection file (ports and HMAC key) in the private folder too, not the
            # shared temporary directory: removed with the folder, whatever stops the run.
            kwargs.setdefault("connection_file", os.path.join(private_dir, "kernel.json"))
            super().__init__(**kwargs)

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            # The kernel's own log (e.g. "KeyboardInterrupt caught" at shut-down) is noise
            # for an analyst; cell errors reach us through the messaging protocol instead.
            with open(os.path.join(private_dir, "kernel.log"), "ab") as log:
                kw.setdefault("stdout", log)
                kw.setdefault("stderr", log)
                await super()._async_launch_kernel(kernel_cmd, **kw)

    AuditKernelManager.__name__ = AuditKernelManager.__qualname__ = f"{chosen.upper()}KernelManager"
    return AuditKernelManager


def check_kernel(kernel: str) -> None:
    """Raise :class:`~audit.errors.ReportError` saying how to register ``kernel`` if it is
    not a registered Jupyter kernel."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel)
    except NoSuchKernel:
        raise ReportError(
            f"the Jupyter kernel '{kernel}' is not registered. Run "
            f"'{sys.executable} -m audit.dev setup' (which 'make venv' also runs) and try "
            "again, or pass --kernel NAME"
        ) from None


_WORKER_KERNEL: dict[str, Any] = {}
_FINALIZERS: dict[str, Any] = {}


#: Longest folder the IPC sockets may live in: a Unix socket path holds at most 107 bytes
#: ("<folder>/kernel-<n>", the suffix at most 10 bytes).
_MAX_SOCKET_FOLDER = 96


def _private_folder(prefix: str) -> str:
    """A private (0700) folder for one kernel's connection file and sockets: in the temporary
    folder, or in /tmp when that path is too long for a Unix socket (a deep ``TMPDIR``)."""
    folder = tempfile.mkdtemp(prefix=prefix)
    if os.name == "posix" and len(folder.encode()) > _MAX_SOCKET_FOLDER:
        shutil.rmtree(folder, ignore_errors=True)
        folder = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    return folder


def worker_kernel(kernel: str, cwd: str, transport: str | None = None) -> Any:
    """One kernel per worker process, started on first use and reused for its notebooks.

    The kernel is shut down, and its private folder removed, when the worker process
    exits (a ``multiprocessing`` finaliser), whether the run succeeded, failed or was
    interrupted.
    """
    if kernel in _WORKER_KERNEL:
        return _WORKER_KERNEL[kernel]
    from multiprocessing.util import Finalize

    from jupyter_core.utils import run_sync

    from audit.paths import temp_prefix

    private = _private_folder(temp_prefix("kernel"))
    km = kernel_manager_class(private, transport)(kernel_name=kernel)

    def stop() -> None:
        try:
            if km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)
        finally:
            shutil.rmtree(private, ignore_errors=True)

    try:
        run_sync(km.start_kernel)(cwd=cwd)
    except BaseException:  # interrupted while starting: stop what did start
        stop()
        raise
    _FINALIZERS[kernel] = Finalize(km, stop, exitpriority=10)
    _WORKER_KERNEL[kernel] = km
    return km


def stop_worker_kernels() -> None:
    """Shut down this process's kernels now (otherwise done when the process exits)."""
    for kernel in list(_WORKER_KERNEL):
        _WORKER_KERNEL.pop(kernel)
        _FINALIZERS.pop(kernel)()


# --------------------------------------------------------------------------- stopping
#
# Ctrl-C in a terminal sends SIGINT to the whole foreground process group: the audit, its
# worker processes (each stops its notebook) and nothing else (kernels run in a session of
# their own). SIGTERM - a scheduler's time limit, a shutdown - reaches the audit process
# alone. The CLI turns it into audit.errors.Terminated in the main process; the run then
# forwards SIGTERM to its workers (forward_sigterm), whose handler (worker_init) stops the
# notebook being run as Ctrl-C would and refuses any further one. The workers then exit
# normally when the pool shuts down, and their exit shuts down the kernels and removes
# their folders (worker_kernel's finaliser), exactly as after Ctrl-C.

_STATE = {"busy": False, "stopping": False}


def worker_init() -> None:
    """Initialiser of every worker process: SIGTERM stops the notebook it is running."""
    if os.name != "posix":  # pragma: no cover - no forwarded SIGTERM on Windows
        return

    def stop(_signum: int, _frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: never cut the clean-up short
        _STATE["stopping"] = True
        if _STATE["busy"]:
            raise KeyboardInterrupt()
        # idle: nothing to interrupt; the pool's shut-down ends this worker normally

    _STATE.update(busy=False, stopping=False)
    signal.signal(signal.SIGTERM, stop)


@contextmanager
def notebook_guard() -> Iterator[None]:
    """Mark this worker busy with a notebook (so SIGTERM interrupts it); a worker that has
    been told to stop starts no new notebook."""
    if _STATE["stopping"]:
        raise KeyboardInterrupt()
    _STATE["busy"] = True
    try:
        yield
    except KeyboardInterrupt:  # Ctrl-C or a forwarded SIGTERM: run no further notebook
        _STATE["stopping"] = True
        # The interrupted notebook's client tasks see the kernel shut down as the worker
        # exits and log "Kernel died" / "Task exception was never retrieved": noise in the
        # analyst's terminal, since the main process reports the interruption itself.
        logging.disable(logging.CRITICAL)
        raise
    finally:
        _STATE["busy"] = False


def forward_sigterm(pool: Any) -> None:
    """Send SIGTERM to the worker processes of ``pool`` (a ``ProcessPoolExecutor``)."""
    if os.name != "posix":  # pragma: no cover
        return
    processes = getattr(pool, "_processes", None) or {}  # CPython's pid -> Process map
    for process in list(processes.values()):
        if process.is_alive():
            try:
                os.kill(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


def reset_kernel(km: Any) -> None:
    """Forget the previous notebook's variables and figures (imports stay loaded)."""
    kc = km.blocking_client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        kc.execute_interactive(
            "get_ipython().run_line_magic('reset', '-f')\n"
            "import matplotlib.pyplot as _plt; _plt.close('all'); del _plt\n"
            "get_ipython().execution_count = 1",
            store_history=False,
            timeout=60,
            output_hook=lambda _m: None,
        )
    finally:
        kc.stop_channels()
