"""Jupyter kernels for ``audit run``: started once per worker process and reused.

Kernels listen on Unix sockets (IPC) in a private temporary folder rather than TCP ports,
so no other local user of a shared analysis server can connect to them.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

from audit.errors import ReportError

__all__ = ["DEFAULT_KERNEL", "check_kernel", "worker_kernel", "reset_kernel"]

#: The Jupyter kernel the set-up registers (``python -m ipykernel install --sys-prefix --name audit``).
DEFAULT_KERNEL = "audit"


def check_kernel(kernel: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel)
    except NoSuchKernel:
        raise ReportError(
            f"the Jupyter kernel '{kernel}' is not registered. Run 'make venv' (or "
            f"'{sys.executable} -m ipykernel install --sys-prefix --name {kernel}') "
            "and try again, or pass --kernel NAME") from None


def _ipc_kernel_manager(socket_dir: str):
    """A kernel manager whose kernels listen on Unix sockets (IPC) instead of TCP ports.

    On a shared analysis server any local user can connect to a TCP kernel port; Unix
    sockets in a private (0700) temporary folder are not reachable that way. Each kernel
    gets its own folder, so kernels running in parallel never share a socket path.
    """
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", os.path.join(socket_dir, "kernel"))
            super().__init__(**kwargs)

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            # The kernel's own log (e.g. "KeyboardInterrupt caught" at shut-down) is noise
            # for an analyst; cell errors reach us through the messaging protocol instead.
            with open(os.path.join(socket_dir, "kernel.log"), "ab") as log:
                kw.setdefault("stdout", log)
                kw.setdefault("stderr", log)
                await super()._async_launch_kernel(kernel_cmd, **kw)

    return IPCKernelManager


_WORKER_KERNEL: dict = {}


def worker_kernel(kernel: str, cwd: str):
    """One kernel per worker process, started on first use and reused for its notebooks."""
    if kernel in _WORKER_KERNEL:
        return _WORKER_KERNEL[kernel]
    from multiprocessing.util import Finalize

    from jupyter_core.utils import run_sync

    sockets = tempfile.mkdtemp(prefix="audit-kernel-")
    km = _ipc_kernel_manager(sockets)(kernel_name=kernel)
    run_sync(km.start_kernel)(cwd=cwd)

    def stop() -> None:
        try:
            run_sync(km.shutdown_kernel)(now=True)
        finally:
            shutil.rmtree(sockets, ignore_errors=True)

    Finalize(km, stop, exitpriority=10)
    _WORKER_KERNEL[kernel] = km
    return km


def reset_kernel(km) -> None:
    """Forget the previous notebook's variables and figures (imports stay loaded)."""
    kc = km.blocking_client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        kc.execute_interactive("get_ipython().run_line_magic('reset', '-f')\n"
                               "import matplotlib.pyplot as _plt; _plt.close('all'); del _plt\n"
                               "get_ipython().execution_count = 1",
                               store_history=False, timeout=60, output_hook=lambda _m: None)
    finally:
        kc.stop_channels()


