"""audit.run.kernels: the transport is chosen in one place, and both choices start real kernels.

The Windows branch (TCP on 127.0.0.1, messages signed with the connection file's key) is
exercised here on Linux by passing its platform name: ZeroMQ offers TCP everywhere, so the
kernel that branch builds really starts, runs code and is reset and stopped. What cannot
be run here is ZeroMQ's refusal of IPC on Windows itself, which is why that branch exists.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from jupyter_core.utils import run_sync

from audit.errors import ReportError
from audit.run import kernels
from audit.run.kernels import (
    LOOPBACK,
    check_kernel,
    kernel_manager_class,
    kernel_transport,
    reset_kernel,
    stop_worker_kernels,
    worker_kernel,
)


@pytest.mark.parametrize(("platform", "expected"), [
    ("linux", "ipc"), ("darwin", "ipc"), ("freebsd14", "ipc"),
    ("win32", "tcp"), ("cygwin", "tcp"), ("msys", "tcp"),
])
def test_transport_per_platform(platform, expected):
    assert kernel_transport(platform) == expected


def test_the_default_is_this_platform():
    assert kernel_transport() == kernel_transport(sys.platform) == (
        "tcp" if sys.platform == "win32" else "ipc")


def test_an_unknown_transport_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown kernel transport"):
        kernel_manager_class(str(tmp_path), "udp")


def _run(km, code: str) -> dict:
    """Execute ``code`` on ``km``'s kernel and return its user expressions' results."""
    kc = km.blocking_client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        reply = kc.execute_interactive(code, user_expressions={"x": "x"}, timeout=60,
                                       output_hook=lambda _m: None)
        return reply["content"]["user_expressions"]
    finally:
        kc.stop_channels()


@pytest.mark.parametrize("platform", ["win32", "linux"])
def test_each_branch_starts_a_working_kernel(platform, tmp_path):
    transport = kernel_transport(platform)
    km = kernel_manager_class(str(tmp_path), transport)(kernel_name="audit")
    run_sync(km.start_kernel)(cwd=str(tmp_path))
    try:
        assert km.connection_file == str(tmp_path / "kernel.json")  # in the private folder
        info = json.loads(Path(km.connection_file).read_text(encoding="utf-8"))
        assert info["transport"] == transport
        if transport == "tcp":
            assert info["ip"] == LOOPBACK == "127.0.0.1"  # loopback, never a network card
            assert all(info[f"{c}_port"] > 0 for c in ("shell", "iopub", "stdin", "control",
                                                        "hb"))
        else:
            assert info["ip"] == os.path.join(str(tmp_path), "kernel")
        # every message is signed with the connection file's random key
        assert info["signature_scheme"] == "hmac-sha256" and len(info["key"]) >= 32
        assert info["key"].encode() == km.session.key
        if os.name == "posix":  # the key is readable by this user only
            mode = stat.S_IMODE(Path(km.connection_file).stat().st_mode)
            assert mode & 0o077 == 0
        assert _run(km, "x = 6 * 7")["x"]["data"]["text/plain"] == "42"
        reset_kernel(km)
        assert _run(km, "pass")["x"]["status"] == "error"  # the reset forgot x
    finally:
        run_sync(km.shutdown_kernel)(now=True)
    assert (tmp_path / "kernel.log").is_file()  # kernel chatter kept out of the terminal


def test_worker_kernel_uses_the_patched_platform_choice(monkeypatch):
    """worker_kernel asks kernel_transport at call time, so patching the platform check
    (as a Windows machine would answer it) gives a TCP kernel; stopping removes its folder."""
    # a short folder: under a deep one (pytest-xdist's popen-gw0/...) the kernel's folder
    # goes to /tmp instead, for the socket path's length (_private_folder)
    import tempfile

    tmp_path = Path(tempfile.mkdtemp(prefix="k", dir="/tmp" if os.name == "posix" else None))
    real = kernel_transport
    monkeypatch.setattr(kernels, "kernel_transport", lambda platform=sys.platform: real("win32"))
    monkeypatch.setattr(kernels.tempfile, "tempdir", str(tmp_path))
    # a kernel an earlier test of this process left to be reused would be returned instead
    kernels.stop_worker_kernels()
    km = worker_kernel("audit", str(tmp_path))
    try:
        assert worker_kernel("audit", str(tmp_path)) is km  # reused by the same worker
        assert km.transport == "tcp" and km.ip == LOOPBACK
        private = [p for p in tmp_path.iterdir() if p.name.startswith("audit-kernel-")]
        assert [p.name.split("-")[2] for p in private] == [str(os.getpid())]
        assert _run(km, "x = 1")["x"]["data"]["text/plain"] == "1"
    finally:
        stop_worker_kernels()
    assert not km.has_kernel
    assert [p for p in tmp_path.iterdir() if p.name.startswith("audit-kernel-")] == []
    tmp_path.rmdir()  # empty: nothing else was left in it


def test_an_unregistered_kernel_names_the_setup_command():
    with pytest.raises(ReportError) as caught:
        check_kernel("no-such-kernel-here")
    assert "-m audit.dev setup" in str(caught.value)
    check_kernel("audit")  # registered by the set-up
