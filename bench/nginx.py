"""A throwaway nginx (Debian's package) on a loopback port in front of product nodes, for
`bench/load.py --scenario scaleout`.

Sticky by client address: ``hash $remote_addr`` over the whole address (``ip_hash`` would hash only the
first three octets of an IPv4 address, and every client of the benchmark is on 127.x.y.z), so the
benchmark gives each user its own loopback source address and nginx keeps each one on one node.
WebSocket upgrades are passed through; no buffering, no access log.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

CONFIG = """\
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
{user}
worker_rlimit_nofile 20000;
events {{ worker_connections 16000; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    upstream messenger {{
        hash $remote_addr;
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://messenger;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_buffering off;
            proxy_read_timeout 3600s;
            proxy_send_timeout 3600s;
        }}
    }}
}}
"""


def binary() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


class Nginx:
    """nginx on ``port`` balancing over ``upstreams`` (loopback ports)."""

    def __init__(self, port: int, upstreams: list[int]) -> None:
        exe = binary()
        if exe is None:
            raise FileNotFoundError("nginx (apt-get install nginx)")
        self.exe = exe
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="im-nginx-"))
        os.chmod(self.dir, 0o755)
        self._write(upstreams)
        self.proc = subprocess.Popen([exe, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait()

    def _write(self, upstreams: list[int]) -> None:
        servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in upstreams)
        user = "user root;" if os.geteuid() == 0 else ""
        (self.dir / "nginx.conf").write_text(CONFIG.format(dir=self.dir, port=self.port, servers=servers, user=user),
                                             encoding="utf-8")

    def _wait(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"nginx exited: {err[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not listen")

    def pids(self) -> list[int]:
        """The master and its worker (server CPU includes the proxy's)."""
        import psutil

        master = psutil.Process(self.proc.pid)
        return [master.pid, *(c.pid for c in master.children())]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)
