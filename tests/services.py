"""Real services for tests, started on loopback by fixtures and stopped after.

In CI (``CI=true``) a missing service fails the test; on a developer's machine it skips.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing(what: str) -> None:
    """Skip on a developer machine, fail in CI."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI but not available")
    pytest.skip(f"{what} not available")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 15.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


class PostgresCluster:
    """A throwaway PostgreSQL cluster (initdb + pg_ctl as the postgres user when run as root)."""

    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins and not shutil.which("initdb"):
            raise FileNotFoundError("initdb")
        self.bin = Path(bins[-1]).parent if bins else Path(shutil.which("initdb") or "").parent
        self.dir = Path(tempfile.mkdtemp(prefix="im-pg-"))
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, *cmd: str) -> None:
        full = [str(self.bin / cmd[0]), *cmd[1:]]
        if self.as_root:
            full = ["runuser", "-u", "postgres", "--", *full]
        subprocess.run(full, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)

    def start(self) -> None:
        data = self.dir / "data"
        self._run("initdb", "-D", str(data), "-A", "trust", "-U", "app", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
        self._run("pg_ctl", "-D", str(data), "-l", str(self.dir / "server.log"), "-w", "-o", opts, "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
        except Exception:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, db: str) -> str:
        return f"postgresql+psycopg://app@127.0.0.1:{self.port}/{db}"

    def create_database(self, template: str | None = None) -> str:
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"postgresql://app@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            tmpl = f" TEMPLATE {template}" if template else ""
            conn.execute(f"CREATE DATABASE {name}{tmpl}")
        return name


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    try:
        cluster = PostgresCluster()
    except FileNotFoundError:
        missing("PostgreSQL (initdb)")
        raise
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_for_tray(display: str, timeout: float = 15.0) -> None:
    """Until trayer owns the system-tray selection (the launcher checks for a tray before using one)."""
    from Xlib import X
    from Xlib import display as xdisplay

    disp = xdisplay.Display(display)
    try:
        atom = disp.intern_atom("_NET_SYSTEM_TRAY_S0")
        deadline = time.monotonic() + timeout
        while disp.get_selection_owner(atom) == X.NONE:
            if time.monotonic() > deadline:
                raise RuntimeError("trayer did not take the system tray selection")
            time.sleep(0.05)
    finally:
        disp.close()


@contextmanager
def x_display(env: dict[str, str] | None = None) -> Iterator[str]:
    """A private Xvfb display (800x600) without any tray; yields ``":N"``."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "800x600x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as fh:
        display = f":{fh.readline().strip()}"
    try:
        yield display
    finally:
        _stop(xvfb)


@contextmanager
def x_display_with_tray_panel(env: dict[str, str] | None = None) -> Iterator[str]:
    """A private Xvfb display (800x600) with trayer docked at the top right as the system tray; yields
    ``":N"``. ``env`` is trayer's environment (DISPLAY is set)."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "800x600x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as fh:
        display = f":{fh.readline().strip()}"
    trayer = subprocess.Popen(["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel", "--width",
                               "120", "--height", "48", "--SetDockType", "true", "--transparent", "false",
                               "--tint", "0x404040"], env={**(env or os.environ), "DISPLAY": display},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_tray(display)
        yield display
    finally:
        for proc in (trayer, xvfb):
            _stop(proc)


def zenity_window(display: str, title: str, timeout: float = 30) -> tuple[str, str]:
    """The id and the command line of the zenity window with ``title`` (found with xdotool)."""
    env = {**os.environ, "DISPLAY": display}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = subprocess.run(["xdotool", "search", "--name", title], env=env, capture_output=True, text=True)
        for wid in found.stdout.split():
            pid = subprocess.run(["xdotool", "getwindowpid", wid], env=env, capture_output=True, text=True)
            if pid.returncode == 0 and pid.stdout.strip():
                cmdline = Path(f"/proc/{pid.stdout.strip()}/cmdline").read_bytes().decode().split("\0")
                if cmdline and cmdline[0] == "zenity":
                    return wid, "\n".join(cmdline)
        time.sleep(0.2)
    raise AssertionError("no zenity window appeared")


def close_window(display: str, wid: str) -> None:
    """Press Return in window ``wid`` (no window manager under bare Xvfb: focus it directly)."""
    subprocess.run(["xdotool", "windowfocus", "--sync", wid, "key", "Return"],
                   env={**os.environ, "DISPLAY": display}, check=True, timeout=10)
