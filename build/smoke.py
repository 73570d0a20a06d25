#!/usr/bin/env python3
"""Smoke-test a built Intranet Messenger binary: the artifact itself, as a user would run it.

``python build/smoke.py --binary dist/intranet-messenger-<v>-linux-x86_64 [--database-url URL]
[--json out.json]`` (``build/build.py`` runs it after every build). Needs ``requests``,
``python-socketio`` with ``websocket-client`` and ``psutil`` in the interpreter running it (not in
the binary). Steps, each failing the run when it fails:

1. ``--version`` prints the version from messenger/version.py;
2. start ``--headless`` on a free port with a temporary data dir (``--data-dir``, ``XDG_DATA_HOME``,
   ``TMPDIR`` all below one temporary folder), time launch -> ``/api/health`` 200;
3. register two users; both connect over WebSocket (``transports=["websocket"]``); one sends a
   message to a direct room, the other receives ``new_message`` (with the rooms/messages features;
   otherwise a ``set_presence`` round trip);
4. upload a PNG, send it as a file message, download it and its thumbnail (with the files feature);
5. ``backup`` and ``verify`` through the binary while it serves (with the ops commands);
6. SIGTERM: exit code 0, no child process left, no ``_MEI*`` folder left;
7. start five more times (``--restarts``) on the same data: the message is still there; restart
   times, CPU time up to the first answer and idle resident memory measured (and, with
   ``--source-python``, the same start from source, interleaved, for comparison).

Which features are required is read from the source tree the binary was built from
(``messenger/app.py`` FEATURES, ``messenger/cli.py`` COMMAND_MODULES), never from the binary, so a
feature the build left out fails the test instead of being skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import requests
import socketio

sys.path.insert(0, str(Path(__file__).resolve().parent))
from buildinfo import ROOT, WINDOWS, artifact_size, read_version, source_tuple  # noqa: E402

PASSWORD = "smoke-test-pass-1"
START_TIMEOUT = 60.0
RESTARTS = 5  # restarts on the same data; their medians are the start-up figures
REDIS_SETTINGS = ("STATE_STORE_REDIS_URL", "RATE_LIMIT_STORAGE_URI", "SOCKETIO_MESSAGE_QUEUE")  # passed on by env()


class SmokeFailure(AssertionError):
    pass


def check(cond: Any, what: str) -> None:
    if not cond:
        raise SmokeFailure(what)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def expected_features(root: Path = ROOT) -> dict[str, bool]:
    """What the source tree promises, so the smoke test knows what the binary must do."""
    features = set(source_tuple(root / "messenger" / "app.py", "FEATURES"))
    commands = ""
    for module in source_tuple(root / "messenger" / "cli.py", "COMMAND_MODULES"):
        path = root.joinpath(*module.split(".")).with_suffix(".py")
        if path.is_file():
            commands += path.read_text(encoding="utf-8")
    return {
        "messaging": {"rooms", "messages"} <= features,
        "files": "files" in features and {"rooms", "messages"} <= features,
        "backup": 'add_parser("backup"' in commands and 'add_parser("verify"' in commands,
    }


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    startup_s: float
    cpu_s: float = 0.0
    rss_bytes: int = 0  # the server process's resident memory once idle (measured by stop())
    family_rss_bytes: int = 0  # the same plus the one-file bootloader
    health: dict[str, Any] = field(default_factory=dict)
    children: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


class Smoke:
    def __init__(self, binary: Path, work: Path, database_url: str | None = None,
                 source_python: Path | None = None, restarts: int = RESTARTS) -> None:
        self.restarts = restarts
        self.binary = binary.resolve()
        self.work = work
        self.data = work / "data"
        self.tmp = work / "tmp"  # the bootloader unpacks into $TMPDIR/_MEIxxxx: watched for leftovers
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url
        # the same start-up timed from source (a venv with requirements.txt), to tell what the
        # packaging adds from what the app itself takes
        self.source_cmd = [str(source_python), str(ROOT / "launcher.py")] if source_python else None
        self.results: dict[str, Any] = {"binary": str(self.binary), "steps": []}
        self.features = expected_features()
        self.results["features"] = self.features
        self._runs = 0

    # ---- process handling --------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DISPLAY", "WAYLAND", "MESSENGER_", "XDG_")) and k != "DATABASE_URL"}
        env.update({
            "XDG_DATA_HOME": str(self.work / "xdg-data"),
            "XDG_CONFIG_HOME": str(self.work / "xdg-config"),
            "XDG_CACHE_HOME": str(self.work / "xdg-cache"),
            "TMPDIR": str(self.tmp), "TEMP": str(self.tmp), "TMP": str(self.tmp),
        })
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        return env

    def run_cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.binary), *args], env=self.env(), capture_output=True, text=True,
                              encoding="utf-8", errors="replace", timeout=timeout)

    def start(self, program: list[str] | None = None) -> Server:
        """Start the binary (or ``program``, e.g. ``[python, launcher.py]``) and wait for /api/health."""
        self._runs += 1
        port = free_port()
        log = self.work / f"server-{self._runs}.log"
        cmd = [*(program or [str(self.binary)]), "--headless", "--host", "127.0.0.1", "--port", str(port),
               "--data-dir", str(self.data)]
        flags = subprocess.CREATE_NEW_PROCESS_GROUP if WINDOWS else 0  # type: ignore[attr-defined]  # Windows-only constant
        with open(log, "wb") as out:
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, env=self.env(), stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, creationflags=flags)
        url = f"http://127.0.0.1:{port}/api/health"
        session = requests.Session()
        deadline = t0 + START_TIMEOUT
        while True:
            try:
                r = session.get(url, timeout=1)
                if r.status_code == 200:
                    startup = time.perf_counter() - t0
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None:
                raise SmokeFailure(f"the binary exited with {proc.returncode} before answering:\n"
                                   + log.read_text(errors="replace"))
            if time.perf_counter() > deadline:
                self._kill(proc)
                raise SmokeFailure(f"no /api/health answer within {START_TIMEOUT}s:\n" + log.read_text(errors="replace"))
            time.sleep(0.01)
        body = r.json()
        check(body.get("status") == "ok" and body.get("version") == read_version(),
              f"/api/health answered {body}")
        server = Server(proc, port, log, startup, health=body)
        family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        server.children = [c.pid for c in family[1:]]
        # CPU seconds spent up to the first answer: what the start costs without other load on the machine
        server.cpu_s = sum(sum(p.cpu_times()[:2]) for p in family)
        return server

    def stop(self, server: Server) -> None:
        """SIGTERM (the bootloader passes it on), then check that nothing is left behind."""
        # /api/health answers as soon as the server thread listens; the console's SIGTERM handler is
        # installed only after the start-up lines are printed (mDNS announce, LAN addresses). Stop it
        # when it says it can be stopped, as a person would; a SIGTERM before that kills it outright.
        deadline = time.monotonic() + 30
        ready = catalog_words("cli.press_ctrl_c")  # printed in the system language (Korean first)
        while not any(w in server.output() for w in ready) and time.monotonic() < deadline:
            check(server.proc.poll() is None, f"the binary exited early:\n{server.output()}")
            time.sleep(0.02)
        time.sleep(0.2)
        self.measure_rss(server)
        if WINDOWS:
            server.proc.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]  # Windows-only signal
        else:
            server.proc.send_signal(signal.SIGTERM)
        try:
            code = server.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._kill(server.proc)
            raise SmokeFailure("the binary did not stop within 30 s of SIGTERM:\n" + server.output()) from None
        check(code == 0, f"exit code {code} after SIGTERM:\n{server.output()}")
        stopped = catalog_words("cli.stopped")  # the word of the system language
        check(any(w in server.output() for w in stopped), f"no {' / '.join(stopped)} in the output:\n{server.output()}")
        deadline = time.monotonic() + 5
        alive = [p for p in server.children if _alive(p)]
        while alive and time.monotonic() < deadline:
            time.sleep(0.05)
            alive = [p for p in alive if _alive(p)]
        check(not alive, f"child processes still running after exit: {alive}")
        left = sorted(p.name for p in self.tmp.glob("_MEI*"))
        check(not left, f"temporary folders left behind: {left}")

    def default_setup(self) -> bool:
        """SQLite and no Redis: a start that needs none of the lazily unpacked binaries (psycopg's serve
        PostgreSQL; redis-py imports cryptography)."""
        return not self.database_url and not any(os.environ.get(k, "").startswith("redis") for k in REDIS_SETTINGS)

    def lazy_binaries_unpacked(self) -> list[str] | None:
        """The groups of ``lazy-binaries.json`` (build/hooks/rthook_lazy_binaries.py) unpacked so far in
        the running one file's folder; None when the binary has none."""
        for folder in self.tmp.glob("_MEI*"):
            manifest = folder / "lazy-binaries.json"
            if manifest.is_file():
                groups = json.loads(manifest.read_text(encoding="utf-8"))["groups"]
                return sorted(g for g, entry in groups.items() if all((folder / f).is_file() for f in entry["files"]))
        return None

    def measure_rss(self, server: Server) -> None:
        """Resident memory once idle: the process that runs Python (the one-file bootloader's child; the
        largest of the family, so a short-lived helper such as ldconfig is never taken for it)."""
        family = [psutil.Process(server.proc.pid), *(psutil.Process(p) for p in server.children if _alive(p))]
        rss = [p.memory_info().rss for p in family]
        server.rss_bytes = max(rss)
        server.family_rss_bytes = sum(rss)

    def _kill(self, proc: subprocess.Popen[bytes]) -> None:
        """Last resort: kill the bootloader AND its child (SIGKILL alone would orphan the child)."""
        try:
            family = psutil.Process(proc.pid).children(recursive=True)
        except psutil.Error:
            family = []
        for p in [*family]:
            try:
                p.kill()
            except psutil.Error:
                pass
        proc.kill()
        proc.wait(10)

    def step(self, name: str, **info: Any) -> None:
        self.results["steps"].append({"step": name, **info})
        details = " ".join(f"{k}={v}" for k, v in info.items())
        print(f"smoke: ok  {name} {details}".rstrip(), flush=True)

    # ---- the scenario ------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        self.results["size_bytes"] = artifact_size(self.binary)
        version = self.run_cli("--version", timeout=60)
        check(version.returncode == 0 and read_version() in version.stdout + version.stderr,
              f"--version: {version.returncode} {version.stdout!r} {version.stderr!r}")
        self.step("version", output=version.stdout.strip())

        server = self.start()
        self.results["startup_first_s"] = round(server.startup_s, 3)
        self.results["health"] = server.health
        unpacked = sorted(p.name for p in self.tmp.glob("_MEI*"))
        if not is_onedir(self.binary) and not WINDOWS:
            check(unpacked, f"the one-file binary unpacked nowhere under {self.tmp} (is TMPDIR ignored?)")
        lazy = self.lazy_binaries_unpacked()
        if lazy is not None and self.default_setup():  # one-file Linux build: packed until a feature needs them
            check(not lazy, f"binaries unpacked before any feature used them: {lazy}")
        self.step("health", seconds=round(server.startup_s, 3), children=len(server.children),
                  unpacked=len(unpacked), lazy_unpacked=lazy)
        try:
            room_id, message = self.exchange(server)
            if self.features["files"]:
                self.upload(server, room_id)
                lazy = self.lazy_binaries_unpacked()
                check(lazy is None or "PIL" in lazy, f"the upload's thumbnail came without unpacking Pillow: {lazy}")
            if self.features["backup"]:
                self.backup_and_verify()
        except BaseException:
            print(server.output(), file=sys.stderr)
            self._kill(server.proc)
            raise
        self.stop(server)
        self.step("sigterm", exit=0, children_left=0, mei_left=0)

        restarts: list[float] = []
        from_source: list[float] = []
        cpu: dict[str, list[float]] = {"binary": [], "source": []}
        rss: dict[str, list[int]] = {"binary": [], "source": []}
        for i in range(self.restarts):  # interleaved, so both see the same machine load
            server = self.start()
            restarts.append(server.startup_s)
            cpu["binary"].append(server.cpu_s)
            try:
                if i == 0 and room_id is not None:
                    self.check_history(server, room_id, message)
            except BaseException:
                self._kill(server.proc)
                raise
            self.stop(server)
            rss["binary"].append(server.rss_bytes)
            if self.source_cmd:
                server = self.start(self.source_cmd)
                from_source.append(server.startup_s)
                cpu["source"].append(server.cpu_s)
                self.stop(server)
                rss["source"].append(server.rss_bytes)
        self.results["restarts"] = self.restarts
        self.results["startup_restart_s"] = round(statistics.median(restarts), 3)
        self.results["startup_restart_min_s"] = round(min(restarts), 3)
        self.results["startup_restart_cpu_s"] = round(statistics.median(cpu["binary"]), 3)
        self.results["startup_restart_cpu_all_s"] = [round(x, 3) for x in cpu["binary"]]
        self.results["idle_rss_bytes"] = int(statistics.median(rss["binary"]))
        info: dict[str, Any] = {"seconds": [round(x, 3) for x in restarts], "history_kept": room_id is not None,
                                "cpu_seconds": [round(x, 3) for x in cpu["binary"]],
                                "idle_rss_mb": [round(x / 1e6, 1) for x in rss["binary"]]}
        if from_source:
            self.results["startup_source_s"] = round(statistics.median(from_source), 3)
            self.results["startup_source_min_s"] = round(min(from_source), 3)
            self.results["startup_source_cpu_s"] = round(statistics.median(cpu["source"]), 3)
            self.results["startup_source_cpu_all_s"] = [round(x, 3) for x in cpu["source"]]
            self.results["idle_rss_source_bytes"] = int(statistics.median(rss["source"]))
            info["from_source"] = [round(x, 3) for x in from_source]
            info["from_source_cpu_seconds"] = [round(x, 3) for x in cpu["source"]]
            info["from_source_idle_rss_mb"] = [round(x / 1e6, 1) for x in rss["source"]]
        self.step("restart", **info)
        self.results["loadavg"] = [round(x, 1) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
        self.results["ok"] = True
        return self.results

    def user(self, server: Server, name: str) -> dict[str, Any]:
        http = requests.Session()
        r = http.post(f"{server.url}/api/register",
                      json={"username": name, "password": PASSWORD, "display_name": name.title()}, timeout=10)
        check(r.status_code == 201, f"register {name}: {r.status_code} {r.text}")
        r = http.post(f"{server.url}/api/login", json={"username": name, "password": PASSWORD}, timeout=10)
        check(r.status_code == 200, f"login {name}: {r.status_code} {r.text}")
        http.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return {"http": http, "id": r.json()["user"]["id"], "name": name}

    def socket(self, server: Server, user: dict[str, Any]) -> tuple[socketio.Client, list[tuple[str, Any]]]:
        events: list[tuple[str, Any]] = []
        client = socketio.Client(reconnection=False)
        client.on("*", lambda event, data=None: events.append((event, data)))
        cookie = "; ".join(f"{c.name}={c.value}" for c in user["http"].cookies)
        client.connect(server.url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=10)
        check(client.transport() == "websocket", f"transport is {client.transport()}")
        return client, events

    def exchange(self, server: Server) -> tuple[int | None, str]:
        self.alice, self.bob = self.user(server, "alice"), self.user(server, "bob")
        self.step("register", users=2)
        room_id: int | None = None
        text = f"안녕하세요, smoke {uuid.uuid4().hex[:8]}"
        if self.features["messaging"]:
            r = self.alice["http"].post(f"{server.url}/api/rooms", json={"type": "direct", "user_id": self.bob["id"]},
                                        timeout=10)
            check(r.status_code in (200, 201), f"create room: {r.status_code} {r.text}")
            room_id = int(r.json()["room"]["id"])
        self.sockets = [self.socket(server, self.alice), self.socket(server, self.bob)]
        (a_sock, _), (_, b_events) = self.sockets
        if room_id is None:
            ack = a_sock.call("set_presence", {"presence": "online"}, timeout=10)
            check(ack and ack.get("ok"), f"set_presence ack {ack}")
            self.step("websocket", event="set_presence")
            return None, text
        ack = a_sock.call("send_message", {"room_id": room_id, "content": text, "client_msg_id": uuid.uuid4().hex},
                          timeout=10)
        check(ack and ack.get("ok"), f"send_message ack {ack}")
        got = wait_for(b_events, "new_message", lambda d: d["message"]["content"] == text)
        self.step("websocket", event="send_message", received_by="bob", message_id=got["message"]["id"])
        return room_id, text

    def upload(self, server: Server, room_id: int) -> None:
        png = (ROOT / "assets" / "icon-64.png").read_bytes()
        r = self.alice["http"].post(f"{server.url}/api/upload", data={"room_id": str(room_id)},
                                    files={"file": ("smoke-icon.png", png, "image/png")}, timeout=30)
        check(r.status_code == 200 and r.json().get("upload_token"), f"upload: {r.status_code} {r.text}")
        (a_sock, _), (_, b_events) = self.sockets
        ack = a_sock.call("send_message", {"room_id": room_id, "content": "", "type": "file",
                                           "upload_token": r.json()["upload_token"],
                                           "client_msg_id": uuid.uuid4().hex}, timeout=10)
        check(ack and ack.get("ok"), f"send file message ack {ack}")
        got = wait_for(b_events, "new_message", lambda d: d["message"].get("type") == "file")
        file_info = got["message"]["file"]
        d = self.bob["http"].get(server.url + file_info["url"], timeout=10)
        check(d.status_code == 200 and d.content == png, f"download: {d.status_code}, {len(d.content)} bytes")
        thumb_ok = None
        if file_info.get("thumbnail_url"):
            t = self.bob["http"].get(server.url + file_info["thumbnail_url"], timeout=10)
            thumb_ok = t.status_code == 200 and t.content[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xdb",
                                                                  b"RIFF", b"\xff\xd8\xff\xe1")
            check(thumb_ok, f"thumbnail: {t.status_code} {t.content[:16]!r}")
        self.step("upload", bytes=len(png), downloaded=True, thumbnail=thumb_ok)

    def backup_and_verify(self) -> None:
        t0 = time.perf_counter()
        b = self.run_cli("backup", "--data-dir", str(self.data), "--label", "smoke")
        check(b.returncode == 0, f"backup exit {b.returncode}:\n{b.stdout}\n{b.stderr}")
        lines = [ln.strip() for ln in b.stdout.splitlines() if ln.strip()]
        check(lines, f"backup printed no path:\n{b.stdout}\n{b.stderr}")
        path = Path(lines[-1])
        check(path.exists() and (path / "manifest.json").is_file(), f"backup {path} has no manifest.json")
        v = self.run_cli("verify", "--data-dir", str(self.data), str(path))
        check(v.returncode == 0, f"verify exit {v.returncode}:\n{v.stdout}\n{v.stderr}")
        self.step("backup+verify", seconds=round(time.perf_counter() - t0, 2), backup=path.name)

    def check_history(self, server: Server, room_id: int, text: str) -> None:
        http = requests.Session()
        r = http.post(f"{server.url}/api/login", json={"username": "bob", "password": PASSWORD}, timeout=10)
        check(r.status_code == 200, f"login after restart: {r.status_code} {r.text}")
        r = http.get(f"{server.url}/api/rooms/{room_id}/messages", timeout=10)
        check(r.status_code == 200 and any(m["content"] == text for m in r.json()["messages"]),
              f"message history after restart: {r.status_code} {r.text[:500]}")

    def close_sockets(self) -> None:
        for client, _ in getattr(self, "sockets", []):
            try:
                client.disconnect()
            except Exception:
                pass


def catalog_words(key: str) -> list[str]:
    """The CLI's text for ``key`` in every language (the binary prints the system language's)."""
    return [json.loads((ROOT / "messenger" / "i18n" / "catalogs" / f"{lang}.json").read_text(encoding="utf-8"))[key]
            for lang in ("ko", "en")]


def wait_for(events: list[tuple[str, Any]], name: str, predicate: Any, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event, data in list(events):
            if event == name and predicate(data):
                return data
        time.sleep(0.02)
    raise SmokeFailure(f"no matching {name!r} within {timeout}s; got {[e for e, _ in events]}")


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def is_onedir(binary: Path) -> bool:
    return (binary.parent / "_internal").is_dir()


def run_smoke(binary: Path, database_url: str | None = None, keep: bool = False,
              source_python: Path | None = None, restarts: int = RESTARTS) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="im-smoke-"))
    smoke = Smoke(binary, work, database_url, source_python, restarts)
    try:
        return smoke.run()
    finally:
        smoke.close_sockets()
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"smoke: work folder kept: {work}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True, type=Path)
    parser.add_argument("--database-url", default=None, help="run against this database instead of SQLite")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--source-python", type=Path, default=None,
                        help="also time `PYTHON launcher.py` (a venv with requirements.txt) for comparison")
    parser.add_argument("--restarts", type=int, default=RESTARTS,
                        help=f"restarts on the same data after the scenario (default {RESTARTS}; at least 1)")
    args = parser.parse_args(argv)
    try:
        results = run_smoke(args.binary, args.database_url, args.keep, args.source_python, max(1, args.restarts))
    except SmokeFailure as exc:
        print(f"smoke: FAILED: {exc}", file=sys.stderr, flush=True)
        results = {"ok": False, "error": str(exc)}
        code = 1
    else:
        code = 0
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main())
