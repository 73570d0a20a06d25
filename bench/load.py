#!/usr/bin/env python3
"""Load benchmark: N WebSocket users in rooms of 20 send R messages/s for D seconds, against the
product and, in the same invocation, against the bare stack (bench/bare_server.py).

    python bench/load.py                      # 500 users, 400 msg/s, 20 s, product and bare
    python bench/load.py --users 100 --rate 100 --duration 5 --targets product
    python bench/load.py --idle 1000          # 1,000 idle connected users: server RSS
    python bench/load.py --repeat 3           # three fresh runs of each; medians
    python bench/load.py --sweep              # rising rates until each server falls behind
    python bench/load.py --scenario bigroom   # one room of 1,000: 1, 10, 25 msg/s
    python bench/load.py --scenario storm     # 1,000 connect (200 in flight) into one room, 100 chat meanwhile
    python bench/load.py --scenario storm --storm-room-size 20      # the same storm into rooms of 20
    python bench/load.py --scenario restart --users 1000 --rate 50  # server restart under traffic
    python bench/load.py --scenario scaleout --rates 200,400,800    # 1 node and 2 behind nginx, Redis, PostgreSQL

Reports connections, messages sent/acked, deliveries expected/received, lost and duplicated
deliveries, deliveries/s, end-to-end latency p50/p95/p99 (sender's clock to receiver's clock, same
machine), server CPU seconds and peak RSS, and the product's throughput as a ratio of the bare stack.
Load comes from --procs client processes (python-socketio AsyncClient on uvloop; --read tap, the
default, takes deliveries and acks off the socket's bytes and writes sends straight to it); their own
CPU use is printed too, and the sweep says when a step was limited by the generator, not the server.

Users, sessions and rooms of the product are written straight into a fresh data dir through its
stores before it starts (registering 1,000 users over HTTP costs minutes of Argon2 on a shared CPU).
`--sweep` keeps one server of each kind up and drives both through rising --rates, interleaved; a
rate is "sustained" when every send is acknowledged and every delivery arrives within the drain. After
a target's first failed rate it bisects (--bisect) towards its limit, and it says whether the limit
was found (the server fell behind) or not (the generator ran out first: run again with more --procs or
from a higher --rates).
The scenarios run product and bare stack one after the other in the same invocation and print their
figures side by side; every line starts with the target's name.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-1"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Target:
    name: str
    url: str
    proc: subprocess.Popen[bytes]
    tmp: str
    users: list[dict[str, Any]] = field(default_factory=list)  # {id, room_id, cookie?, auth?}
    room_members: dict[int, list[int]] = field(default_factory=dict)
    port: int = 0
    nodes: list[subprocess.Popen[bytes]] = field(default_factory=list)  # more server processes (scaleout)
    infra: list[int] = field(default_factory=list)  # pids of nginx, Redis, PostgreSQL (scaleout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def close(self) -> None:
        """Stop the server and remove its data."""
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def restart(self) -> tuple[float, float]:
        """Stop the server (SIGTERM: the product tells its sockets and closes them) and start it again on
        the same port and data. Returns (seconds to stop, seconds until it answers again)."""
        t0 = time.monotonic()
        self.stop()
        t1 = time.monotonic()
        if self.name == "product":
            self.proc = _launch_product(self.tmp, self.port)
            _wait_http(self.url + "/api/health", self.proc)
        else:
            self.proc = _launch_bare(self.tmp, self.port)
            _wait_http(self.url + "/socket.io/?EIO=4&transport=polling", self.proc)
        return t1 - t0, time.monotonic() - t1


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def _seed_product(data_dir: str, groups: list[int], out: str, db_url: str = "") -> None:
    """Child process: users, sessions and group rooms straight through the product's stores (no HTTP
    registration: 1,000 Argon2 hashes and logins would take minutes of a shared CPU). ``groups`` are
    room sizes; every user is in exactly one room."""
    import secrets
    from datetime import timedelta

    sys.path.insert(0, str(ROOT))
    from messenger.accounts import store as accounts_store
    from messenger.accounts.passwords import hash_password
    from messenger.accounts.service import SESSION_COOKIE, hash_token
    from messenger.app import create_app, get_services
    from messenger.datadir import load_or_create_secret, prepare_data_dir
    from messenger.rooms import store as rooms_store
    from messenger.storage.db import utcnow

    path = Path(data_dir)
    prepare_data_dir(path)
    from messenger.settings import load_settings

    overrides = {"SECRET_KEY": load_or_create_secret(path)}
    if db_url:
        overrides["DATABASE_URL"] = db_url
    settings = load_settings(path, overrides=overrides)
    svc = get_services(create_app(settings))
    pw_hash = hash_password(PASSWORD)
    users: list[dict[str, Any]] = []
    rooms: dict[int, list[int]] = {}
    expires = utcnow() + timedelta(days=2)
    with svc.db.begin() as conn:
        i = 0
        for g, size in enumerate(groups):
            ids = []
            for _ in range(size):
                uid = accounts_store.create_user(conn, f"u{i:05d}", f"사용자 {i}", pw_hash)
                token = secrets.token_urlsafe(32)
                accounts_store.create_session(conn, hash_token(token), uid, secrets.token_urlsafe(24), expires,
                                              "127.0.0.1", "bench")
                users.append({"id": uid, "cookie": f"{SESSION_COOKIE}={token}"})
                ids.append(uid)
                i += 1
            room_id = rooms_store.create_room(conn, "group", f"팀 {g}", "", None, created_by=ids[0])
            rooms_store.add_members(conn, room_id, ids[:1], role="admin")
            rooms_store.add_members(conn, room_id, ids[1:])
            rooms[room_id] = ids
            for u in users[-size:]:
                u["room_id"] = room_id
    svc.db.dispose()
    Path(out).write_text(json.dumps({"users": users, "rooms": rooms}), encoding="utf-8")


def _launch_product(tmp: str, port: int, extra_env: dict[str, str] | None = None,
                    data: str = "data") -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update({
        "RATE_LIMIT_REGISTER": "1000000/minute", "RATE_LIMIT_LOGIN": "1000000/minute",
        "SOCKET_SEND_MESSAGE_PER_MINUTE": "1000000", "MESSENGER_DATA_DIR": f"{tmp}/{data}",
    })
    env.update(extra_env or {})
    env.pop("DISPLAY", None)
    with open(f"{tmp}/{data}.log", "ab") as log:  # the server's output, beside its data dir
        return subprocess.Popen([sys.executable, str(ROOT / "launcher.py"), "--headless", "--host", "127.0.0.1",
                                 "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def start_product(n_users: int, room_size: int, groups: list[int] | None = None) -> Target:
    """The product on a fresh data dir; ``groups`` (room sizes) overrides rooms of ``room_size``."""
    tmp = tempfile.mkdtemp(prefix="im-bench-")
    if groups is None:
        groups = [min(room_size, n_users - start) for start in range(0, n_users, room_size)]
    t0 = time.monotonic()
    seeder = mp.get_context("spawn").Process(target=_seed_product, args=(f"{tmp}/data", groups, f"{tmp}/seed.json"))
    seeder.start()
    seeder.join()
    if seeder.exitcode != 0:
        raise RuntimeError("seeding the product's database failed")
    seed = json.loads(Path(f"{tmp}/seed.json").read_text(encoding="utf-8"))
    port = free_port()
    proc = _launch_product(tmp, port)
    url = f"http://127.0.0.1:{port}"
    _wait_http(url + "/api/health", proc)
    target = Target("product", url, proc, tmp, port=port)
    target.users = seed["users"]
    target.room_members = {int(k): v for k, v in seed["rooms"].items()}
    print(f"  product: {sum(groups)} users and {len(groups)} rooms set up in "
          f"{time.monotonic() - t0:.1f} s", flush=True)
    return target


def _launch_bare(tmp: str, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(ROOT / "bench" / "bare_server.py"), "--port", str(port),
                             "--db", f"{tmp}/bare.db"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_bare(n_users: int, room_size: int, groups: list[int] | None = None) -> Target:
    tmp = tempfile.mkdtemp(prefix="im-bare-")
    port = free_port()
    proc = _launch_bare(tmp, port)
    url = f"http://127.0.0.1:{port}"
    _wait_http(url + "/socket.io/?EIO=4&transport=polling", proc)
    target = Target("bare", url, proc, tmp, port=port)
    if groups is None:
        groups = [min(room_size, n_users - start) for start in range(0, n_users, room_size)]
    uid = 0
    for g, size in enumerate(groups):
        room_id = g + 1
        for _ in range(size):
            uid += 1
            target.users.append({"id": uid, "room_id": room_id, "auth": {"user_id": uid, "rooms": [room_id]}})
            target.room_members.setdefault(room_id, []).append(uid)
    return target


# ---- client processes ----------------------------------------------------------------------------
_NEW_MESSAGE_PREFIX = b'42["new_message"'
_CLIENT_MSG_ID_B = re.compile(rb'"client_msg_id":\s*"([^"\\]*)"')
_ACK_ID = re.compile(rb"43(\d+)\[")  # a Socket.IO ack on the default namespace: 43<id>[<args>]
_ACK_OK = (b'{"ok": true', b'{"ok":true')
_ACK_NOT_OK = (b'{"ok": false', b'{"ok":false')
_ACK_IDS = 1_000_000  # the direct sends' ack ids start here, clear of python-socketio's own counter


class _FrameTap:
    """Sits in front of aiohttp's WebSocket parser on one connection (the protocol's payload parser):
    every complete, unfragmented, uncompressed text frame whose payload starts with ``prefix`` (or one
    of a tuple of them) goes to ``take(buf, start, end)`` (the payload is ``buf[start:end]``) and is
    gone if that returns True; every other byte goes on to aiohttp's parser unchanged and in order
    (pings, python-socketio's own acks, anything unexpected).

    A frame taken here costs a header parse and a regular expression inside the socket's
    ``data_received``; through aiohttp and python-socketio it costs a queue, a task step in the read
    loop and, without the scenarios' read loop, a packet decode, a ``json.loads`` and a handler task.
    An incomplete frame waits for the rest of its bytes."""

    __slots__ = ("parser", "prefix", "take", "tail")

    def __init__(self, parser: Any, prefix: bytes | tuple[bytes, ...], take: Any) -> None:
        self.parser = parser
        self.prefix = prefix
        self.take = take
        self.tail = b""

    def feed_data(self, data: bytes) -> Any:
        buf = self.tail + data if self.tail else bytes(data)
        n = len(buf)
        pos = kept = 0  # kept: where the bytes not yet handed on start
        out: list[bytes] = []
        while n - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            length, head = b1 & 0x7F, 2
            if length == 126:
                if n - pos < 4:
                    break
                length, head = int.from_bytes(buf[pos + 2:pos + 4], "big"), 4
            elif length == 127:
                if n - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2:pos + 10], "big"), 10
            if b1 & 0x80:  # masked: a server never masks; aiohttp's parser says what it thinks of it
                head += 4
            end = pos + head + length
            if end > n:
                break
            if (b0 == 0x81 and not b1 & 0x80 and buf.startswith(self.prefix, pos + head)
                    and self.take(buf, pos + head, end)):
                if pos > kept:
                    out.append(buf[kept:pos])
                kept = end
            pos = end
        self.tail = buf[pos:]
        if pos > kept:
            out.append(buf[kept:pos])
        if out:
            return self.parser.feed_data(out[0] if len(out) == 1 else b"".join(out))
        return False, b""

    def feed_eof(self) -> None:
        if self.tail:
            self.parser.feed_data(self.tail)
            self.tail = b""
        self.parser.feed_eof()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.parser, name)


def _tap(client: Any, prefix: bytes | tuple[bytes, ...], take: Any) -> bool:
    """Put a _FrameTap in front of a connected python-socketio client's WebSocket parser; False (and
    nothing changed) if the client is not on aiohttp's WebSocket as expected."""
    proto = getattr(getattr(getattr(client.eio, "ws", None), "_conn", None), "protocol", None)
    parser = getattr(proto, "_payload_parser", None)
    if proto is None or parser is None:
        return False
    proto._payload_parser = _FrameTap(parser, prefix, take)
    return True


def _cpu_wait_s(pids: list[int]) -> float:
    """Seconds the threads of these processes have waited on a run queue for a CPU so far (Linux's
    /proc/<pid>/task/<tid>/schedstat, second field): how much other work, or a worse niceness, kept them
    from running. 0.0 where the system does not say."""
    total = 0
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat", encoding="ascii") as f:
                    total += int(f.read().split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return total / 1e9


READS = ("tap", "loop", "library")  # how the sweep's clients read deliveries (_worker_async)
LOOPS = ("uvloop", "asyncio")  # the sweep's client processes' event loop


def _event_loop_factory(kind: str) -> Any:
    if kind == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return None


def _worker(url: str, users: list[dict[str, Any]], rate: float, duration: float, wid: int,
            conn: Any, go: Any, read: str = "tap", loop: str = "uvloop") -> None:
    with asyncio.Runner(loop_factory=_event_loop_factory(loop)) as runner:
        runner.run(_worker_async(url, users, rate, duration, wid, conn, go, read))


async def _worker_async(url: str, users: list[dict[str, Any]], rate: float, duration: float, wid: int,
                        conn: Any, go: Any, read: str) -> None:
    """Connect ``users``; on ``go`` send ``rate`` msg/s for ``duration`` s spread over them, then drain.

    ``read`` is how deliveries are read: "tap" (the default: _FrameTap takes a ``new_message`` frame's
    client_msg_id, and the ack of a send, off the socket's bytes; a send is one WebSocket frame written
    straight to the socket), "loop" (the scenarios' Engine.IO read loop, _fast_client_class) or
    "library" (python-socketio decodes every frame and calls a handler: the sweep's generator before
    2026-12-07); with "loop" and "library" a send is python-socketio's ``call``. Only the
    client_msg_id and the time of arrival are kept. The process measures itself: CPU and wall time of
    the send period, how late its sends went out against their schedule, and how late its event loop
    woke (a busy or starved generator)."""
    import socketio

    received: list[tuple[str, int, float]] = []
    clients: list[Any] = []
    sessions: list[Any] = []
    failed = 0
    loop = asyncio.get_running_loop()
    now = time.time
    acked: dict[str, float] = {}  # client_msg_id -> seconds to its ack
    ack_fail = [0]
    last_ack = [0.0]  # when the latest ack arrived
    inflight: dict[int, tuple[str, float]] = {}  # direct sends: ack id -> client_msg_id, time sent
    transports: dict[int, Any] = {}  # direct sends: user id -> the socket's transport

    def on_frame(c: Any, frame: str) -> bool:  # read == "loop"
        if frame.startswith('42["new_message"'):
            cm = _CLIENT_MSG_ID.search(frame)
            if cm is not None:
                received.append((cm.group(1), c.bench_uid, now()))
                return True
        return False

    client_class = _fast_client_class(on_frame) if read == "loop" else socketio.AsyncClient

    async def connect(u: dict[str, Any]) -> Any:
        if "local_addr" in u:  # scaleout: one loopback source address per user (nginx is sticky by address)
            import aiohttp

            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(u["local_addr"], 0)))
            sessions.append(session)
            c = client_class(reconnection=False, http_session=session)
        else:
            c = client_class(reconnection=False)
        c.bench_uid = u["id"]
        uid = u["id"]

        async def on_new(data: dict[str, Any]) -> None:  # every frame the tap or the read loop did not take
            msg = data.get("message", {})
            received.append((msg.get("client_msg_id") or "", uid, now()))

        def take(buf: bytes, start: int, end: int) -> bool:
            if buf[start + 1] == 0x32:  # 42["new_message", ...
                cm = _CLIENT_MSG_ID_B.search(buf, start, end)
                if cm is None:
                    return False
                received.append((cm.group(1).decode(), uid, now()))
                return True
            m = _ACK_ID.match(buf, start, end)  # 43<id>[...: the ack of a direct send, or python-socketio's own
            sending = inflight.pop(int(m.group(1)), None) if m else None
            if m is None or sending is None:
                return False
            if buf.startswith(_ACK_OK, m.end()):
                ok = True
            elif buf.startswith(_ACK_NOT_OK, m.end()):
                ok = False
            else:  # another shape of ack: decoded
                try:
                    ok = bool(json.loads(buf[m.end() - 1:end])[0].get("ok"))
                except (ValueError, IndexError, AttributeError):
                    ok = False
            if ok:
                t = last_ack[0] = now()
                acked[sending[0]] = t - sending[1]
            else:
                ack_fail[0] += 1
            return True

        c.on("new_message", on_new)
        kwargs: dict[str, Any] = {"transports": ["websocket"], "wait_timeout": 30}
        if "cookie" in u:
            kwargs["headers"] = {"Cookie": u["cookie"]}
        else:
            kwargs["auth"] = u["auth"]
        await c.connect(url, **kwargs)
        if read == "tap" and _tap(c, (_NEW_MESSAGE_PREFIX, b"43"), take):
            transports[uid] = c.eio.ws._conn.protocol.transport
        return c

    first_error = ""
    for start in range(0, len(users), 50):
        batch = users[start:start + 50]
        results = await asyncio.gather(*(connect(u) for u in batch), return_exceptions=True)
        for r in results:
            if isinstance(r, Exception):
                failed += 1
                first_error = first_error or f"{type(r).__name__}: {r}"
                clients.append(None)
            else:
                clients.append(r)
    conn.send(("connected", len(clients) - failed, failed, first_error))
    await loop.run_in_executor(None, go.wait)

    sent: list[tuple[str, int, int]] = []  # client_msg_id, sender id, room id
    pending: set[asyncio.Task[Any]] = set()
    late = [0.0, 0.0]  # how long after its scheduled time the last send began, and the most any did, s
    last_send = [0.0]  # when the last send began
    ack_ids = iter(range(_ACK_IDS, 2**62))

    async def send(c: Any, u: dict[str, Any], seq: int, due_at: float) -> None:
        t = last_send[0] = now()
        late[0] = t - due_at
        late[1] = max(late[1], late[0])
        cmid = f"w{wid}-{seq}-{t:.6f}"
        sent.append((cmid, u["id"], u["room_id"]))
        try:
            ack = await c.call("send_message", {"room_id": u["room_id"], "content": f"부하 시험 메시지 {seq}",
                                                "client_msg_id": cmid}, timeout=30)
            if ack and ack.get("ok"):
                last_ack[0] = now()
                acked[cmid] = last_ack[0] - t
            else:
                ack_fail[0] += 1
        except Exception:
            ack_fail[0] += 1

    def send_direct(transport: Any, u: dict[str, Any], seq: int, due_at: float) -> None:
        """The Socket.IO event python-socketio's ``call`` would send, as one WebSocket frame written
        to the socket (masked, as a client must, with the key 0: the payload as it is); the tap
        takes its ack."""
        t = last_send[0] = now()
        late[0] = t - due_at
        late[1] = max(late[1], late[0])
        cmid = f"w{wid}-{seq}-{t:.6f}"
        sent.append((cmid, u["id"], u["room_id"]))
        if transport.is_closing():
            ack_fail[0] += 1
            return
        ack_id = next(ack_ids)
        inflight[ack_id] = (cmid, t)
        payload = (f'42{ack_id}["send_message",{{"room_id":{u["room_id"]},"content":"부하 시험 메시지 {seq}",'
                   f'"client_msg_id":"{cmid}"}}]').encode()
        n = len(payload)
        head = bytes((0x81, 0x80 | n)) if n < 126 else bytes((0x81, 0xFE)) + n.to_bytes(2, "big")
        transport.write(head + b"\0\0\0\0" + payload)

    lags: list[float] = []
    ticking = [True]

    async def tick() -> None:  # how late the event loop wakes: > 0 is a busy (or CPU-starved) generator
        while ticking[0]:
            t = loop.time()
            await asyncio.sleep(0.01)
            lags.append(loop.time() - t - 0.01)

    live = [(c, u) for c, u in zip(clients, users, strict=True) if c is not None]
    direct = read == "tap" and all(u["id"] in transports for _c, u in live)
    ticker = asyncio.create_task(tick())
    cpu0, t_start, wait0 = time.process_time(), now(), _cpu_wait_s([os.getpid()])
    seq = 0
    total = round(rate * duration) if live else 0
    if rate > 0 and live:
        interval = 1.0 / rate
        while seq < total:  # every message of the rate is sent, each at its time or as soon after as it can
            due = min(total, int((now() - t_start) / interval) + 1)
            while seq < due:
                c, u = live[seq % len(live)]
                if direct:
                    send_direct(transports[u["id"]], u, seq, t_start + seq * interval)
                else:
                    task = asyncio.create_task(send(c, u, seq, t_start + seq * interval))
                    pending.add(task)
                    task.add_done_callback(pending.discard)
                seq += 1
            await asyncio.sleep(min(interval, 0.005))
    if pending:
        await asyncio.wait(pending, timeout=30)
    deadline = now() + 30
    while inflight and now() < deadline:  # the direct sends' acks (the tap takes them)
        await asyncio.sleep(0.01)
    cpu1, t_sent, wait1 = time.process_time(), now(), _cpu_wait_s([os.getpid()])
    ticking[0] = False
    await ticker
    lags.sort()
    stats = {"cpu_s": cpu1 - cpu0, "wall_s": t_sent - t_start, "wait_s": max(0.0, wait1 - wait0),
             "late_s": late[0], "late_max_s": late[1],
             # how long after the last send the last ack came: the backlog the server had left at the end
             "behind_s": max(0.0, last_ack[0] - last_send[0]) if last_send[0] and last_ack[0] else 0.0,
             "lag_p99_s": lags[int(0.99 * (len(lags) - 1))] if lags else 0.0, "lag_max_s": lags[-1] if lags else 0.0}
    conn.send(("sent", sent, acked, ack_fail[0], t_start, stats))
    await asyncio.sleep(3.0)  # drain late deliveries
    conn.send(("received", received, time.process_time() - cpu0))
    await asyncio.gather(*(c.disconnect() for c in clients if c is not None), return_exceptions=True)
    await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
    conn.send(("cpu", psutil.Process().cpu_times()))


def run_load(target: Target, rate: float, duration: float, procs: int, idle: bool = False,
             read: str = "tap", loop: str = "uvloop") -> dict[str, Any]:
    """One run: ``procs`` client processes connect every user of ``target``, send ``rate`` msg/s for
    ``duration`` s (none when ``idle``) and drain 3 s; ``read`` is how they read deliveries and ``loop``
    their event loop (_worker_async)."""
    ctx = mp.get_context("spawn")
    server = _Procs([target.proc.pid, *(p.pid for p in target.nodes)])
    infra = _Procs(target.infra)
    cpu0 = sum(server.cpu_times()[:2])
    shares = [target.users[i::procs] for i in range(procs)]
    go = ctx.Event()
    pipes, workers = [], []
    for wid, share in enumerate(shares):
        parent, child = ctx.Pipe()
        p = ctx.Process(target=_worker, args=(target.url, share, 0 if idle else rate / procs, duration, wid,
                                              child, go, read, loop))
        p.start()
        pipes.append(parent)
        workers.append(p)
    connected = failed = 0
    for pipe in pipes:
        _, ok, bad, error = pipe.recv()
        connected += ok
        failed += bad
        if error:
            print(f"  {target.name}: {bad} connects failed, e.g. {error}", flush=True)
    peak_rss = [server.memory_info().rss]
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.wait(0.25):
            try:
                peak_rss[0] = max(peak_rss[0], server.memory_info().rss)
            except psutil.Error:
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    idle_rss = server.memory_info().rss
    load0 = server.cpu_times()
    cpu_load0 = load0.user + load0.system
    wall_load0 = time.monotonic()
    server_pids = [target.proc.pid, *(p.pid for p in target.nodes)]
    wait_load0 = _cpu_wait_s(server_pids)
    infra0 = sum(infra.cpu_times()[:2])
    go.set()
    sent: list[tuple[str, int, int]] = []
    acked: dict[str, float] = {}
    ack_fail = 0
    gen: list[dict[str, float]] = []  # each client process's own figures of the send period
    for pipe in pipes:
        _, s, a, f, _t, stats = pipe.recv()
        sent += s
        acked.update(a)
        ack_fail += f
        gen.append(stats)
    load1 = server.cpu_times()
    cpu_load1 = load1.user + load1.system
    wall_load1 = time.monotonic()
    wait_load1 = _cpu_wait_s(server_pids)
    infra1 = sum(infra.cpu_times()[:2])
    received: list[tuple[str, int, float]] = []
    gen_cpu = 0.0  # the client processes' CPU from the first send to the end of the drain
    for pipe in pipes:
        _, r, cpu_s = pipe.recv()
        received += r
        gen_cpu += cpu_s
    client_cpu = 0.0
    for pipe in pipes:
        _, cpu = pipe.recv()
        client_cpu += cpu.user + cpu.system
    for p in workers:
        p.join(30)
    sampling.set()
    cpu1 = sum(server.cpu_times()[:2])

    sender_room = {cmid: (sender, room) for cmid, sender, room in sent}
    counts: dict[tuple[str, int], int] = {}
    latencies: list[float] = []
    by_second: dict[int, list[float]] = {}  # send second -> latencies (where in the run the tail is)
    for cmid, receiver, t in received:
        if cmid not in sender_room:
            continue
        sender, _room = sender_room[cmid]
        if receiver == sender:
            continue
        key = (cmid, receiver)
        counts[key] = counts.get(key, 0) + 1
        if counts[key] == 1:
            sent_at = float(cmid.rsplit("-", 1)[1])
            latencies.append(t - sent_at)
            by_second.setdefault(int(sent_at), []).append(t - sent_at)
    expected = 0
    lost = 0
    for cmid, sender, room in sent:
        if cmid not in acked:
            continue
        for member in target.room_members.get(room, []):
            if member == sender:
                continue
            expected += 1
            if (cmid, member) not in counts:
                lost += 1
    duplicates = sum(c - 1 for c in counts.values() if c > 1)
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    delivered = len(counts)
    return {
        "target": target.name, "connections": connected, "connect_failures": failed,
        "sent": len(sent), "acked": len(acked), "ack_failures": ack_fail,
        "deliveries_expected": expected, "deliveries_received": delivered, "lost": lost,
        "duplicated": duplicates, "deliveries_per_s": delivered / duration if not idle else 0.0,
        "latency_ms": {"p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99)},
        "ack_ms_p99": (sorted(acked.values())[int(0.99 * (len(acked) - 1))] * 1000) if acked else float("nan"),
        "server_cpu_s": round(cpu1 - cpu0, 2), "server_cpu_s_during_load": round(cpu_load1 - cpu_load0, 2),
        "load_s": round(wall_load1 - wall_load0, 2),  # from go to the last ack (longer than --duration when behind)
        "server_user_s_during_load": round(load1.user - load0.user, 2),
        # time the server's threads waited for a CPU (other work on the machine), from go to the last ack
        "server_wait_s_during_load": round(max(0.0, wait_load1 - wait_load0), 2),
        "server_processes": len(server_pids),
        "server_system_s_during_load": round(load1.system - load0.system, 2),
        "server_peak_rss_mb": round(peak_rss[0] / 1e6, 1), "server_idle_rss_mb": round(idle_rss / 1e6, 1),
        "client_cpu_s": round(client_cpu, 2), "infra_cpu_s_during_load": round(infra1 - infra0, 2),
        "max_latency_ms_by_second": [round(max(v) * 1000, 1) for _k, v in sorted(by_second.items())],
        "generator": {
            "read": read, "loop": loop, "procs": procs,
            "cpu_s": round(gen_cpu, 2),  # from the first send to the end of the drain, all processes
            "deliveries_per_cpu_s": round(delivered / gen_cpu) if gen_cpu else 0,
            # the busiest process's CPU share of its send period (one process cannot use more than one core)
            "busy": round(max((g["cpu_s"] / g["wall_s"] for g in gen if g["wall_s"] > 0), default=0.0), 3),
            # the most any process waited for a CPU, as a share of its send period
            "wait": round(max((g["wait_s"] / g["wall_s"] for g in gen if g["wall_s"] > 0), default=0.0), 3),
            # how late the last send went out against its schedule (the rate was not offered in time), and
            # the most any send was (a stall the generator caught up with: a burst)
            "late_s": round(max((g["late_s"] for g in gen), default=0.0), 3),
            "late_max_s": round(max((g["late_max_s"] for g in gen), default=0.0), 3),
            # the last ack after the last send (the latest of the processes): how far behind the server was
            "behind_s": round(max((g["behind_s"] for g in gen), default=0.0), 3),
            "lag_p99_ms": round(1000 * max((g["lag_p99_s"] for g in gen), default=0.0), 1),
            "lag_max_ms": round(1000 * max((g["lag_max_s"] for g in gen), default=0.0), 1),
        },
    }


class _Procs:
    """CPU times and RSS summed over some processes (one server, or the nodes of a scale-out)."""

    def __init__(self, pids: list[int]) -> None:
        self.procs = []
        for pid in pids:
            try:
                self.procs.append(psutil.Process(pid))
            except psutil.Error:
                pass

    def cpu_times(self) -> Any:
        user = system = 0.0
        for p in self.procs:
            try:
                t = p.cpu_times()
            except psutil.Error:
                continue
            user, system = user + t.user, system + t.system
        return _CpuTimes(user, system)

    def memory_info(self) -> Any:
        rss = 0
        for p in self.procs:
            try:
                rss += p.memory_info().rss
            except psutil.Error:
                continue
        return _Rss(rss)


@dataclass
class _CpuTimes:
    user: float
    system: float

    def __getitem__(self, index: slice) -> tuple[float, ...]:
        return (self.user, self.system)[index]


@dataclass
class _Rss:
    rss: int


def _server_wait(r: dict[str, Any]) -> float:
    """The share of a run's load period the server waited for a CPU (per process, for several nodes)."""
    n = r.get("server_processes", 1) or 1
    return r["server_wait_s_during_load"] / (r["load_s"] * n) if r["load_s"] else 0.0


def _cpu_ms_per_message(r: dict[str, Any]) -> float:
    return r["server_cpu_s_during_load"] * 1000 / r["acked"] if r["acked"] else float("nan")


def _median(values: list[float]) -> float:
    """The middle value (the upper one of an even count); NaN for none."""
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else float("nan")


def report(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print()
    print(f"users={args.users} room_size={args.room_size} rate={args.rate}/s duration={args.duration}s "
          f"procs={args.procs} cores={os.cpu_count()}")
    header = ("target", "conn", "sent", "acked", "expected", "received", "lost", "dup", "deliv/s",
              "p50 ms", "p95 ms", "p99 ms", "srv CPU s", "CPU ms/msg", "peak RSS MB", "client CPU s")
    print(" | ".join(header))
    for r in rows:
        lat = r["latency_ms"]
        print(" | ".join(str(x) for x in (
            r["target"], r["connections"], r["sent"], r["acked"], r["deliveries_expected"],
            r["deliveries_received"], r["lost"], r["duplicated"], f"{r['deliveries_per_s']:.0f}",
            f"{lat['p50']:.1f}", f"{lat['p95']:.1f}", f"{lat['p99']:.1f}", r["server_cpu_s_during_load"],
            f"{_cpu_ms_per_message(r):.2f}", r["server_peak_rss_mb"], r["client_cpu_s"])))
    for r in rows:
        g = r["generator"]
        print(f"{r['target']}: load generator ({g['read']}, {g['loop']}) {g['deliveries_per_cpu_s']} deliveries per "
              f"CPU-second, busiest process {g['busy']:.0%} busy and {g['wait']:.0%} waiting for a CPU; server waited "
              f"for a CPU {_server_wait(r):.0%} of the time")
    # Both servers run on one gevent hub, i.e. one core: the messages one server CPU-second carries is
    # the throughput at saturation. (Driving either to saturation on this machine would saturate the
    # load generator first, which shares the same cores.)
    medians = {}
    for name in ("product", "bare"):
        mine = [_cpu_ms_per_message(r) for r in rows if r["target"] == name]
        if mine:
            medians[name] = _median(mine)
            p99 = sorted(r["latency_ms"]["p99"] for r in rows if r["target"] == name)
            print(f"{name}: median {medians[name]:.2f} ms of server CPU per message -> saturates near "
                  f"{1000 / medians[name]:.0f} msg/s on one core; p99 over {len(p99)} run(s): "
                  + ", ".join(f"{x:.0f}" for x in p99) + " ms")
    if len(medians) == 2:
        print(f"product throughput at saturation / bare stack: {medians['bare'] / medians['product']:.0%}")
        # The load generator does the same work against either server (same messages, same deliveries),
        # so its own CPU time is a yardstick for the machine's speed during that run: server CPU per
        # client CPU cancels the drift of a shared VM between runs.
        per_client = {}
        for name in ("product", "bare"):
            per_client[name] = _median([r["server_cpu_s_during_load"] / r["client_cpu_s"] for r in rows
                                        if r["target"] == name and r["client_cpu_s"]])
        print(f"server CPU per load-generator CPU: product {per_client['product']:.2f}, bare {per_client['bare']:.2f}"
              f" -> product / bare, drift-corrected: {per_client['bare'] / per_client['product']:.0%}")


# ---- sweep ---------------------------------------------------------------------------------------
def _sustained(r: dict[str, Any], rate: float, duration: float) -> tuple[str, str]:
    """('yes', '') when every send was acknowledged, the last ack came no later than max(0.5 s, 10% of the
    duration) after the last send (the server kept pace, it did not clear a backlog afterwards), and every
    delivery arrived within the drain, none twice. Or why not: ('no', why) when the server fell behind,
    ('generator-limited', why) when
    the load generator could not send the rate or was itself out of CPU while deliveries went missing,
    ('starved', why) when the server fell behind while waiting for a CPU a quarter of the time or more
    (other work on the machine). The last two say nothing about the server's limit."""
    g = r["generator"]
    srv_busy = r["server_cpu_s_during_load"] / r["load_s"] if r["load_s"] else 0.0
    srv_wait = _server_wait(r)
    # Out of its own CPU (a process near a whole core), or waiting for one it could not get (other work on
    # the machine, or the generator's niceness).
    state = (f"client processes up to {g['busy']:.0%} busy and up to {g['wait']:.0%} waiting for a CPU, "
             f"event loop up to {g['lag_max_ms']:.0f} ms late")
    if g["late_s"] > max(0.25, 0.05 * duration):
        return "generator-limited", f"the last sends went out {g['late_s']:.2f} s behind their schedule; {state}"
    if r["duplicated"]:
        return "no", f"{r['duplicated']} deliveries duplicated"
    missing = r["sent"] - r["acked"]
    behind = g["behind_s"] > max(0.5, 0.1 * duration)  # it did not keep pace: a backlog it cleared only after
    if not missing and not r["lost"] and not behind:
        return "yes", ""
    fell = (f"{missing} unacknowledged, {r['lost']} deliveries lost within the drain, the last ack "
            f"{g['behind_s']:.2f} s after the last send; server {srv_busy:.0%} busy")
    if srv_wait >= 0.25:  # the server's limit is its core, not a core shared with other work
        return "starved", f"{fell} and waiting for a CPU {srv_wait:.0%} of the time (other work on the machine)"
    if srv_busy < 0.9 and (g["busy"] >= 0.9 or g["lag_p99_ms"] >= 50 or g["lag_max_ms"] >= 250):
        return "generator-limited", f"{fell}; {state} (p99 {g['lag_p99_ms']:.0f} ms)"
    return "no", fell


def _cpus(spec: str) -> set[int]:
    return {int(x) for x in spec.split(",") if x.strip()}


def _pin(pid: int, cpus: set[int]) -> None:
    """Every thread of process ``pid`` onto ``cpus`` (sched_setaffinity binds one thread; threads started
    later inherit it from the thread that starts them)."""
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            os.sched_setaffinity(int(task), cpus)
        except ProcessLookupError:
            pass


def sweep(args: argparse.Namespace, names: list[str]) -> list[dict[str, Any]]:
    """Rising rates, product and bare interleaved (alternating which goes first), each on one server
    kept up for the whole sweep; a target leaves the sweep at its first rate it does not sustain.

    With two or more cores the servers are pinned to --server-cpus, and this process and its load
    generator run on --client-cpus (default: every core) at nice --client-nice, so they take from the
    server's core only what the server leaves idle: a server runs out of its core before the generator
    runs out of the rest (unpinned, both shared every core and the generator saturated first)."""
    server_cpus = _cpus(args.server_cpus)
    client_cpus = _cpus(args.client_cpus) or set(os.sched_getaffinity(0))
    pinned = bool(server_cpus) and hasattr(os, "sched_setaffinity")
    if pinned:
        os.sched_setaffinity(0, server_cpus)  # the servers (and their seeding) start from here: they inherit it
    servers = {name: (start_product(args.users, args.room_size) if name == "product"
                      else start_bare(args.users, args.room_size)) for name in names}
    if pinned:
        for t in servers.values():
            _pin(t.proc.pid, server_cpus)
        os.sched_setaffinity(0, client_cpus)  # the client processes run_load spawns inherit both
        os.nice(args.client_nice)
        print(f"pinned: servers on CPU {args.server_cpus}; load generator on CPU "
              f"{','.join(map(str, sorted(client_cpus)))} at nice {os.nice(0)}", flush=True)
    else:
        print("not pinned: servers and load generator share every core", flush=True)
    try:
        return sweep_targets(args, servers)
    finally:
        for t in servers.values():
            t.close()


class _Plan:
    """One target's way through the sweep: up the listed rates until a step is not sustained, then
    ``bisect`` steps halfway between the highest sustained and the lowest failed rate (rounded to 50
    msg/s), so the figure is not quantized at the list's steps. A generator-limited (or starved) step is
    run again up to ``retries`` times before it counts (on a shared machine the generator, or the
    server, is starved for a moment)."""

    def __init__(self, rates: list[float], bisect: int, retries: int) -> None:
        self.rates = rates
        self.bisects = bisect
        self.retries = retries
        self.ok = 0.0  # highest rate sustained
        self.bad: float | None = None  # lowest rate not sustained
        self.bad_kind = ""  # "no" (the server fell behind), "generator-limited" or "starved"
        self.bad_why = ""
        self.again: float | None = None  # a rate to run again (generator-limited)
        self.tried = 0  # runs of that rate so far

    def next(self) -> float | None:
        if self.again is not None:
            return self.again
        if self.bad is None:
            return next((x for x in self.rates if x > self.ok), None)
        mid = round((self.ok + self.bad) / 2 / 50) * 50
        if self.bisects > 0 and self.ok > 0 and self.ok < mid < self.bad:
            return float(mid)
        return None

    def record(self, rate: float, verdict: str, why: str) -> None:
        bisecting = self.bad is not None
        self.tried = self.tried + 1 if self.again == rate else 1
        self.again = None
        if verdict == "yes":
            self.ok = max(self.ok, rate)
        elif verdict in ("generator-limited", "starved") and self.tried <= self.retries:
            self.again = rate
            return
        elif self.bad is None or rate <= self.bad:
            self.bad, self.bad_kind, self.bad_why = rate, verdict, why
        if bisecting:
            self.bisects -= 1


def _settle(target: Target, timeout: float = 15.0) -> None:
    """Until the server is idle (< 10% of a core over half a second): a step the server fell behind in
    leaves it writing to the sockets of the clients that left, which the next step must not pay for."""
    procs = _Procs([target.proc.pid, *(p.pid for p in target.nodes)])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cpu0 = sum(procs.cpu_times()[:2])
        time.sleep(0.5)
        if sum(procs.cpu_times()[:2]) - cpu0 < 0.05:
            return


def sweep_targets(args: argparse.Namespace, servers: dict[str, Target]) -> list[dict[str, Any]]:
    """The sweep over servers that are up (closed by the caller): each round runs every target's next
    rate (_Plan), alternating which target goes first; prints each target's highest sustained rate,
    whether its limit was found (the server fell behind) or not (the load generator ran out first, or
    the top of --rates was sustained), and how to go on."""
    rates = sorted({float(x) for x in args.rates.split(",") if x.strip()})
    names = list(servers)
    plans = {name: _Plan(rates, args.bisect, args.retries) for name in names}
    rows: list[dict[str, Any]] = []
    print(f"load generator: {args.procs} client processes, deliveries read by '{args.read}' on {args.client_loop}",
          flush=True)
    print("rate | target | sent | acked | lost | dup | deliv/s | p50 | p99 ms | behind s | srv CPU s | srv busy | srv wait | "
          "gen CPU s | gen busy | gen wait | gen lag p99 ms | deliv per gen CPU-s | sustained", flush=True)
    step = 0
    while True:
        order = names if step % 2 == 0 else list(reversed(names))
        todo = [(name, rate) for name in order if (rate := plans[name].next()) is not None]
        if not todo:
            break
        step += 1
        for name, rate in todo:
            _settle(servers[name])
            r = run_load(servers[name], rate, args.duration, args.procs, read=args.read, loop=args.client_loop)
            verdict, why = _sustained(r, rate, args.duration)
            plans[name].record(rate, verdict, why)
            r.update(rate=rate, sustained=verdict, why=why, target=name)
            rows.append(r)
            lat, g = r["latency_ms"], r["generator"]
            infra = f" (+ nginx/Redis/PostgreSQL {r['infra_cpu_s_during_load']})" if servers[name].infra else ""
            print(f"{rate:.0f} | {name} | {r['sent']} | {r['acked']} | {r['lost']} | {r['duplicated']} | "
                  f"{r['deliveries_per_s']:.0f} | {lat['p50']:.1f} | {lat['p99']:.1f} | {g['behind_s']:.2f} | "
                  f"{r['server_cpu_s_during_load']}{infra} | {r['server_cpu_s_during_load'] / r['load_s']:.0%} | "
                  f"{_server_wait(r):.0%} | "
                  f"{g['cpu_s']} | {g['busy']:.0%} | {g['wait']:.0%} | {g['lag_p99_ms']:.0f} | "
                  f"{g['deliveries_per_cpu_s']} | "
                  f"{verdict}{': ' + why if why else ''}", flush=True)
    print()
    best: dict[str, dict[str, Any]] = {}
    for name in names:
        plan = plans[name]
        ok = [r for r in rows if r["target"] == name and r["sustained"] == "yes"]
        top_row = max(ok, key=lambda r: r["rate"], default=None)
        fast_rate = max((r["rate"] for r in ok if r["latency_ms"]["p99"] < 100), default=0.0)
        found = plan.bad_kind == "no"
        best[name] = {"rate": plan.ok, "deliveries_per_s": top_row["deliveries_per_s"] if top_row else 0.0,
                      "found": found}
        if found:
            limit = f"limit found: not sustained at {plan.bad:.0f} msg/s ({plan.bad_why})"
        elif plan.bad is not None:
            who = "the load generator was the limit" if plan.bad_kind == "generator-limited" else \
                "the server was starved of CPU by other work"
            limit = (f"limit NOT found: at {plan.bad:.0f} msg/s {who} ({plan.bad_why}); "
                     f"the server sustains at least {plan.ok:.0f} msg/s")
        else:
            limit = f"limit NOT found: {plan.ok:.0f} msg/s is the top of --rates"
        print(f"{name}: highest sustained {plan.ok:.0f} msg/s ({best[name]['deliveries_per_s']:.0f} deliveries/s); "
              f"highest with p99 < 100 ms: {fast_rate:.0f} msg/s; {limit}", flush=True)
        if not found and plan.ok:
            higher = [x for x in rates if x > plan.ok][:4] or [plan.ok * 1.2, plan.ok * 1.4, plan.ok * 1.6]
            which = f"--targets {name} " if name in ("product", "bare") else ""
            print(f"  {name}: to go on: {which}--rates {','.join(f'{x:.0f}' for x in [plan.ok, *higher])}"
                  + (f" with more client processes (--procs {args.procs + 1}), the generator on its own core "
                     "(--client-cpus 1 --client-nice 0) or a quieter machine" if plan.bad is not None else ""))
    waited = [r for r in rows if _server_wait(r) >= 0.1]
    if waited:  # a quiet machine shows none: then each server had its core to itself
        print(f"{len(waited)} of {len(rows)} steps had the server waiting for a CPU 10% of the time or more "
              "(other work on the machine): their figures are the machine's as much as the server's")
    gen = [r["generator"]["deliveries_per_cpu_s"] for r in rows if r["generator"]["deliveries_per_cpu_s"]]
    if gen:
        print(f"load generator: {_median([float(x) for x in gen]):.0f} deliveries per generator CPU-second "
              f"(median of {len(gen)} steps; {min(gen)}-{max(gen)})")
    if "product" in best and "bare" in best and best["bare"]["deliveries_per_s"]:
        ratio = best["product"]["deliveries_per_s"] / best["bare"]["deliveries_per_s"]
        if best["product"]["found"] and best["bare"]["found"]:
            bound = ""
        elif best["bare"]["found"]:
            bound = "at least "  # the product's own limit is higher than its figure
        elif best["product"]["found"]:
            bound = "at most "  # the bare stack's limit is higher than its figure
        else:
            bound = "undetermined (neither limit found), lower figures: "
        print(f"product / bare, highest sustained delivery rate: {bound}{ratio:.0%}")
        both = [rate for rate in sorted({r["rate"] for r in rows})
                if {r["target"] for r in rows if r["rate"] == rate} >= {"product", "bare"}]
        for rate in both:  # CPU per message where both ran: the ratio the limit follows once the server is the limit
            cpu = {r["target"]: r["server_cpu_s_during_load"] / max(1, r["acked"]) * 1000
                   for r in rows if r["rate"] == rate}
            print(f"server CPU per message at {rate:.0f} msg/s: product {cpu['product']:.3f} ms, bare {cpu['bare']:.3f} ms "
                  f"(bare / product {cpu['bare'] / cpu['product']:.0%})")
    return rows


# ---- scenarios: big room, connect storm, restart -------------------------------------------------
_NEW_MESSAGE = re.compile(r'42\["new_message",\s*\{"message":\s*\{"id":\s*(\d+)')
_CLIENT_MSG_ID = re.compile(r'"client_msg_id":\s*"([^"\\]*)"')


def _fast_client_class(on_frame: Any) -> Any:
    """python-socketio's AsyncClient whose Engine.IO read loop hands each text frame to
    ``on_frame(client, frame)`` first; a frame it returns True for is done (not decoded further).

    The scenarios' clients measure only ``new_message`` (its id and client_msg_id) and count
    ``presence_batch`` updates. Decoding every frame the library's way costs a task per frame (the
    read loop's ``wait_for`` and the Engine.IO ``message`` handler), a Socket.IO packet decode and a
    full ``json.loads``; in a room of 1,000 that is the load generator's limit, not the server's.
    Everything else (connect, acks, pings, disconnects) goes the library's way.
    """
    import engineio
    import socketio
    from engineio import base_client as eio_base
    from engineio import packet as eio_packet

    class FastEio(engineio.AsyncClient):  # type: ignore[misc]
        owner: Any = None

        async def _read_loop_websocket(self) -> None:
            while self.state == "connected" and self.write_loop_task:
                try:
                    async with asyncio.timeout(self.ping_interval + self.ping_timeout):
                        p = await self.ws.receive()
                    if not isinstance(p.data, (str, bytes)):
                        await self.queue.put(None)
                        break
                    data = p.data
                except Exception:  # timeout, closed, broken: as the library does
                    await self.queue.put(None)
                    break
                if isinstance(data, str) and on_frame(self.owner, data):
                    continue
                try:
                    pkt = eio_packet.Packet(encoded_packet=data)
                except Exception:
                    await self.queue.put(None)
                    break
                await self._receive_packet(pkt)
            if self.write_loop_task:  # the library's own ending of the loop
                await self.write_loop_task
            if self.state == "connected":
                await self._trigger_event("disconnect", self.reason.TRANSPORT_ERROR, run_async=False)
                try:
                    eio_base.connected_clients.remove(self)
                except ValueError:
                    pass
                await self._reset()

    class FastClient(socketio.AsyncClient):  # type: ignore[misc]
        def _engineio_client_class(self) -> Any:
            return FastEio

        def __init__(self, *a: Any, **kw: Any) -> None:
            super().__init__(*a, **kw)
            self.eio.owner = self

    return FastClient
def _scenario_worker(url: str, users: list[dict[str, Any]], wid: int, conn: Any, fixed_delay: bool) -> None:
    asyncio.run(_scenario_async(url, users, wid, conn, fixed_delay))


async def _scenario_async(url: str, users: list[dict[str, Any]], wid: int, conn: Any, fixed_delay: bool) -> None:
    """A client process that obeys commands from the parent: (tag, command, args).

    Clients reconnect the way the web client does (messenger/web/static/js/socket.js): after the server
    closed the connection, a first attempt after a random 0.5–5 s; failed attempts back off 0.5 s × 2^n
    up to 4 s with ±50% jitter. After every reconnect a client catches up with ``after_id`` (HTTP for
    the product, the bare stack's ``history`` event) from the newest message it holds. With
    ``fixed_delay`` the first attempt comes exactly 1 s after the disconnect (the web client before
    it had jitter), for comparison.
    """
    import random

    import aiohttp

    loop = asyncio.get_running_loop()
    bare = "cookie" not in users[0] if users else False
    received: list[tuple[str, int, float, int]] = []  # cmid, receiver, time, 1 = live / 2 = catch-up
    seen: dict[int, set[int]] = {}  # receiver -> message ids (catch-up overlaps live delivery)
    presence_events = [0]
    presence_updates = [0]
    errors: dict[str, int] = {}  # connect errors by text
    state: dict[int, dict[str, Any]] = {u["id"]: {"u": u, "c": None, "last": 0, "connected_at": None,
                                                 "caught_up_at": None, "disconnects": 0, "retry": False}
                                        for u in users}
    # One HTTP session for all clients of this process (cookies go in headers, per user); no limit on
    # its connection pool: every WebSocket holds one of its connections.
    http = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar(), connector=aiohttp.TCPConnector(limit=0))
    reply_lock = asyncio.Lock()

    def note(uid: int, msg: dict[str, Any], via: int) -> None:
        mid = int(msg.get("id") or 0)
        ids = seen.setdefault(uid, set())
        if mid in ids and via == 2:
            return
        ids.add(mid)
        st = state[uid]
        st["last"] = max(st["last"], mid)
        received.append((msg.get("client_msg_id") or "", uid, time.time(), via))

    def on_frame(c: Any, frame: str) -> bool:
        """The measured events without the library's decoding (see _fast_client_class)."""
        if frame.startswith('42["new_message"'):
            m, cm = _NEW_MESSAGE.match(frame), _CLIENT_MSG_ID.search(frame)
            if m is None or cm is None:
                return False  # not the shape expected: decoded the library's way
            note(c.bench_uid, {"id": int(m.group(1)), "client_msg_id": cm.group(1)}, 1)
            return True
        if frame.startswith('42["presence_batch"'):
            presence_events[0] += 1
            if '"updates"' in frame:  # one object per update
                presence_updates[0] += frame.count('"user_id"')
            else:  # grouped by state: {online:[ids], away:[ids], offline:[ids], details:[...]}
                data = json.loads(frame[2:])[1]
                presence_updates[0] += sum(len(data.get(k) or []) for k in ("online", "away", "offline"))
            return True
        return False

    client_class = _fast_client_class(on_frame)

    async def catch_up(st: dict[str, Any], after: int) -> None:
        """Everything after ``after``: the newest message held when the connection dropped (live messages
        that arrive meanwhile on the new connection must not move the starting point past the gap)."""
        u = st["u"]
        while True:
            if bare:
                ack = await st["c"].call("history", {"room_id": u["room_id"], "after_id": after}, timeout=30)
                msgs = sorted(ack.get("messages", []), key=lambda m: m["id"])
                more = len(msgs) >= 500
            else:
                async with http.get(f"{url}/api/rooms/{u['room_id']}/messages",
                                    params={"after_id": after, "limit": 100},
                                    headers={"Cookie": u["cookie"]}) as resp:
                    body = await resp.json()
                msgs = sorted(body.get("messages", []), key=lambda m: m["id"])
                more = bool(body.get("has_more"))
            for m in msgs:
                note(u["id"], m, 2)
            if not more or not msgs:
                return
            after = int(msgs[-1]["id"])

    async def connect_once(st: dict[str, Any]) -> bool:
        u = st["u"]
        # The cookie goes in the WebSocket request's own headers: engine.io would move a Cookie header
        # given to connect() into the shared HTTP session's cookie jar, shared by every user.
        extra = {"headers": {"Cookie": u["cookie"]}} if "cookie" in u else {}
        c = client_class(reconnection=False, http_session=http, websocket_extra_options=extra)
        c.bench_uid = u["id"]

        async def on_new(data: dict[str, Any]) -> None:
            note(u["id"], data.get("message", {}), 1)

        async def on_presence(data: dict[str, Any]) -> None:  # one event per user and change
            presence_events[0] += 1
            presence_updates[0] += 1

        async def on_presence_batch(data: dict[str, Any]) -> None:  # coalesced: many changes per event
            presence_events[0] += 1
            presence_updates[0] += len(data.get("updates", []))

        async def on_disconnect(*_: Any) -> None:
            if st["c"] is c:
                st["c"] = None
                st["disconnects"] += 1
                if st["retry"]:
                    st["caught_up_at"] = None
                    asyncio.ensure_future(reconnect(st))

        c.on("new_message", on_new)
        c.on("presence", on_presence)
        c.on("presence_batch", on_presence_batch)
        c.on("disconnect", on_disconnect)
        kwargs: dict[str, Any] = {"transports": ["websocket"], "wait_timeout": 30}
        if "auth" in u:
            kwargs["auth"] = u["auth"]
        try:
            await c.connect(url, **kwargs)
        except Exception as exc:
            errors[repr(exc)[:200]] = errors.get(repr(exc)[:200], 0) + 1
            return False
        st["c"] = c
        st["connected_at"] = time.time()
        return True

    async def reconnect(st: dict[str, Any]) -> None:
        after = st["last"]
        await asyncio.sleep(1.0 if fixed_delay else random.uniform(0.5, 5.0))
        attempt = 0
        while not await connect_once(st):
            await asyncio.sleep(min(4.0, 0.5 * 2 ** attempt) * random.uniform(0.5, 1.5))
            attempt += 1
        try:
            await catch_up(st, after)
            st["caught_up_at"] = time.time()
        except Exception:
            st["caught_up_at"] = None

    async def connect_all(ids: list[int], concurrency: int, retry: bool) -> dict[str, Any]:
        sem = asyncio.Semaphore(max(1, concurrency))
        t0 = time.time()
        failed = 0

        async def one(uid: int) -> None:
            nonlocal failed
            st = state[uid]
            st["retry"] = retry
            async with sem:
                if not await connect_once(st):
                    failed += 1

        await asyncio.gather(*(one(uid) for uid in ids))
        done = [state[uid]["connected_at"] for uid in ids if state[uid]["c"] is not None]
        return {"n": len(ids), "t0": t0, "last": max(done, default=t0), "connected": len(done), "failed": failed,
                "errors": dict(errors)}

    async def chat(ids: list[int], rate: float, duration: float) -> dict[str, Any]:
        sent: list[tuple[str, int, int]] = []
        acked: dict[str, float] = {}
        skipped = 0
        pending: set[asyncio.Task[Any]] = set()

        async def send(st: dict[str, Any], seq: int) -> None:
            u = st["u"]
            c = st["c"]
            cmid = f"w{wid}-{seq}-{time.time():.6f}"
            sent.append((cmid, u["id"], u["room_id"]))
            t = time.time()
            try:
                ack = await c.call("send_message", {"room_id": u["room_id"], "content": f"부하 시험 메시지 {seq}",
                                                    "client_msg_id": cmid}, timeout=30)
                if ack and ack.get("ok"):
                    acked[cmid] = time.time() - t
            except Exception:
                pass

        t_start = time.time()
        seq = 0
        if rate > 0 and ids:
            interval = 1.0 / rate
            while time.time() - t_start < duration:
                due = int((time.time() - t_start) / interval) + 1
                while seq < due:
                    st = state[ids[seq % len(ids)]]
                    seq += 1
                    if st["c"] is None or not st["c"].connected:
                        skipped += 1
                        continue
                    task = asyncio.create_task(send(st, seq))
                    pending.add(task)
                    task.add_done_callback(pending.discard)
                await asyncio.sleep(min(interval, 0.005))
        if pending:
            await asyncio.wait(pending, timeout=30)
        return {"sent": sent, "acked": acked, "skipped": skipped}

    async def caught_up(timeout: float) -> dict[str, Any]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if all(st["c"] is not None and (st["caught_up_at"] or not st["disconnects"]) for st in state.values()):
                break
            await asyncio.sleep(0.1)
        return {"caught_up": [st["caught_up_at"] for st in state.values() if st["disconnects"]],
                "reconnected": [st["connected_at"] for st in state.values() if st["disconnects"]],
                "missing": sum(1 for st in state.values() if st["c"] is None
                               or (st["disconnects"] and not st["caught_up_at"]))}

    async def run(tag: str, coro: Any) -> None:
        result = await coro
        async with reply_lock:
            conn.send((tag, result))

    tasks: set[asyncio.Task[Any]] = set()
    while True:
        tag, cmd, params = await loop.run_in_executor(None, conn.recv)
        if cmd == "connect":
            coro: Any = connect_all(params["ids"], params["concurrency"], params.get("retry", False))
        elif cmd == "chat":
            coro = chat(params["ids"], params["rate"], params["duration"])
        elif cmd == "caught_up":
            coro = caught_up(params["timeout"])
        elif cmd == "collect":
            await asyncio.sleep(params.get("drain", 3.0))
            conn.send((tag, {"received": received, "presence": (presence_events[0], presence_updates[0])}))
            received.clear()
            presence_events[0] = presence_updates[0] = 0
            continue
        elif cmd == "quit":
            for st in state.values():
                st["retry"] = False
            await asyncio.gather(*(st["c"].disconnect() for st in state.values() if st["c"] is not None),
                                 return_exceptions=True)
            await http.close()
            conn.send((tag, {"cpu": tuple(psutil.Process().cpu_times())[:2]}))
            return
        else:
            raise ValueError(cmd)
        task = asyncio.create_task(run(tag, coro))
        tasks.add(task)
        task.add_done_callback(tasks.discard)


class Clients:
    """The scenario's client processes; every user lives in exactly one of them."""

    def __init__(self, target: Target, procs: int, fixed_delay: bool = False,
                 apart: set[int] | None = None) -> None:
        """Users split over ``procs`` processes; the users in ``apart`` get a process of their own."""
        ctx = mp.get_context("spawn")
        self.target = target
        rest = [u for u in target.users if u["id"] not in (apart or set())]
        self.shares = [rest[i::procs] for i in range(procs)]
        if apart:
            self.shares.insert(0, [u for u in target.users if u["id"] in apart])
        self.owner = {u["id"]: i for i, share in enumerate(self.shares) for u in share}
        self.pipes: list[Any] = []
        self.procs: list[Any] = []
        self.inbox: list[list[tuple[str, Any]]] = [[] for _ in self.shares]
        self.server = psutil.Process(target.proc.pid)
        self._n = 0
        for wid, share in enumerate(self.shares):
            parent, child = ctx.Pipe()
            p = ctx.Process(target=_scenario_worker, args=(target.url, share, wid, child, fixed_delay))
            p.start()
            self.pipes.append(parent)
            self.procs.append(p)

    def send(self, cmd: str, params_for: Any) -> str:
        """Send ``cmd`` to every worker; ``params_for(wid, ids_of_worker)`` gives its parameters."""
        self._n += 1
        tag = f"{cmd}-{self._n}"
        for wid, pipe in enumerate(self.pipes):
            pipe.send((tag, cmd, params_for(wid, [u["id"] for u in self.shares[wid]])))
        return tag

    def wait(self, tag: str) -> list[Any]:
        out = []
        for wid, pipe in enumerate(self.pipes):
            box = self.inbox[wid]
            found = next((m for m in box if m[0] == tag), None)
            while found is None:
                msg = pipe.recv()
                if msg[0] == tag:
                    found = msg
                else:
                    box.append(msg)
            if found in box:
                box.remove(found)
            out.append(found[1])
        return out

    def call(self, cmd: str, params_for: Any) -> list[Any]:
        return self.wait(self.send(cmd, params_for))

    def server_cpu(self) -> float:
        try:
            t = psutil.Process(self.target.proc.pid).cpu_times()
            return float(t.user + t.system)
        except psutil.Error:
            return 0.0

    def close(self) -> float:
        cpu = sum(r["cpu"][0] + r["cpu"][1] for r in self.call("quit", lambda w, ids: {}))
        for p in self.procs:
            p.join(30)
        return cpu


def _deliveries(target: Target, sent: list[tuple[str, int, int]], acked: dict[str, float],
                received: list[tuple[str, int, float, int]]) -> dict[str, Any]:
    """Expected deliveries of the acknowledged messages to every other member: lost, duplicated (live),
    latency of live deliveries, deliveries that came by catch-up."""
    sender_room = {cmid: (s, r) for cmid, s, r in sent}
    live: dict[tuple[str, int], int] = {}
    caught: set[tuple[str, int]] = set()
    lat: list[float] = []
    for cmid, receiver, t, via in received:
        if cmid not in sender_room or receiver == sender_room[cmid][0]:
            continue
        key = (cmid, receiver)
        if via == 2:
            caught.add(key)
            continue
        live[key] = live.get(key, 0) + 1
        if live[key] == 1:
            lat.append(t - float(cmid.rsplit("-", 1)[1]))
    expected = lost = 0
    for cmid, s, room in sent:
        if cmid not in acked:
            continue
        for member in target.room_members.get(room, []):
            if member != s:
                expected += 1
                if (cmid, member) not in live and (cmid, member) not in caught:
                    lost += 1
    lat.sort()

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")

    return {"sent": len(sent), "acked": len(acked), "expected": expected, "live": len(live),
            "caught_up": len(caught - set(live)), "lost": lost,
            "duplicated": sum(c - 1 for c in live.values() if c > 1),
            "p50": pct(0.5), "p99": pct(0.99), "max": lat[-1] * 1000 if lat else float("nan")}


def _merge_chat(results: list[dict[str, Any]]) -> tuple[list[tuple[str, int, int]], dict[str, float]]:
    sent: list[tuple[str, int, int]] = []
    acked: dict[str, float] = {}
    for r in results:
        sent += [tuple(x) for x in r["sent"]]  # type: ignore[misc]
        acked.update(r["acked"])
    return sent, acked


def _collect(clients: Clients, drain: float = 3.0) -> tuple[list[tuple[str, int, float, int]], tuple[int, int]]:
    """Deliveries since the last collect, and presence (events, user updates they carried)."""
    received: list[tuple[str, int, float, int]] = []
    events = updates = 0
    for r in clients.call("collect", lambda w, ids: {"drain": drain}):
        received += [tuple(x) for x in r["received"]]  # type: ignore[misc]
        events += r["presence"][0]
        updates += r["presence"][1]
    return received, (events, updates)


def scenario_bigroom(target: Target, args: argparse.Namespace) -> dict[str, Any]:
    """One room of ``--big`` members, all connected; then each rate of ``--big-rates`` for --duration s."""
    clients = Clients(target, args.procs)
    out: dict[str, Any] = {"target": target.name, "steps": []}
    try:
        c = clients.call("connect", lambda w, ids: {"ids": ids, "concurrency": 100})
        out["connected"] = sum(r["connected"] for r in c)
        _collect(clients, drain=1.0)
        for rate in [float(x) for x in args.big_rates.split(",")]:
            cpu0, t0 = clients.server_cpu(), time.monotonic()
            res = clients.call("chat", lambda w, ids, rate=rate: {"ids": ids, "rate": rate / args.procs,
                                                                  "duration": args.duration})
            cpu1, t1 = clients.server_cpu(), time.monotonic()
            sent, acked = _merge_chat(res)
            received, _ = _collect(clients)
            d = _deliveries(target, sent, acked, received)
            d.update(rate=rate, server_cpu_pct=round(100 * (cpu1 - cpu0) / (t1 - t0)),
                     deliveries_per_s=round(d["live"] / args.duration))
            out["steps"].append(d)
            print(f"  {target.name}: {rate:g} msg/s into the room of {len(target.users)}: "
                  f"{d['live']}/{d['expected']} delivered, lost {d['lost']}, dup {d['duplicated']}, "
                  f"p50 {d['p50']:.0f} ms, p99 {d['p99']:.0f} ms, server CPU {d['server_cpu_pct']}%", flush=True)
    finally:
        out["client_cpu_s"] = round(clients.close(), 1)
        print(f"  {target.name}: load generator CPU over the run {out['client_cpu_s']} s", flush=True)
    return out


def scenario_storm(target: Target, args: argparse.Namespace, n_background: int) -> dict[str, Any]:
    """Background users (the first ``n_background``, rooms of 20) chat at --background-rate; the rest
    connect at once (--concurrency in flight) into their room(s)."""
    bg = {u["id"] for u in target.users[:n_background]}
    # The background chatters (whose latency is the figure) get a process of their own, so the storm
    # clients' event loops (and the presence they receive) do not delay their sends and deliveries.
    clients = Clients(target, args.procs, apart=bg)
    out: dict[str, Any] = {"target": target.name}

    def chat(duration: float) -> Any:
        return lambda w, ids: {"ids": [i for i in ids if i in bg], "duration": duration,
                               "rate": args.background_rate * sum(1 for i in ids if i in bg) / max(1, len(bg))}

    try:
        clients.call("connect", lambda w, ids: {"ids": [i for i in ids if i in bg], "concurrency": 50})
        _collect(clients, drain=0.5)
        # background alone first: its CPU rate is subtracted from the storm's
        warm = 3.0
        cpu0, t0 = clients.server_cpu(), time.monotonic()
        clients.call("chat", chat(warm))
        bg_cpu_rate = (clients.server_cpu() - cpu0) / (time.monotonic() - t0)
        _collect(clients, drain=0.5)
        cpu0, t0 = clients.server_cpu(), time.monotonic()
        chat_tag = clients.send("chat", chat(args.duration))
        storm = [r for r in clients.call("connect", lambda w, ids: {
            "ids": [i for i in ids if i not in bg], "concurrency": max(1, args.concurrency // args.procs)})
            if r["n"]]
        t_storm = max(r["last"] for r in storm) - min(r["t0"] for r in storm)
        cpu_storm = clients.server_cpu() - cpu0
        storm_wall = time.monotonic() - t0
        sent, acked = _merge_chat(clients.wait(chat_tag))
        received, presence = _collect(clients)
        d = _deliveries(target, sent, acked, received)
        n = len(target.users) - n_background
        errors = sorted({e for r in storm for e in r["errors"]})
        if errors:
            print(f"  {target.name}: connect errors: {errors[:3]}")
        out.update(
            storm_clients=n, connected=sum(r["connected"] for r in storm), failed=sum(r["failed"] for r in storm),
            all_connected_s=round(t_storm, 2),
            cpu_per_connect_ms=round(1000 * max(0.0, cpu_storm - bg_cpu_rate * storm_wall) / n, 2),
            presence_events=presence, background=d)
        print(f"  {target.name}: {out['connected']}/{n} connected in {t_storm:.2f} s "
              f"({out['failed']} failed), server CPU per connect {out['cpu_per_connect_ms']} ms, "
              f"presence: {presence[0]} events carrying {presence[1]} updates; background chat during the storm: "
              f"p99 {d['p99']:.0f} ms (max {d['max']:.0f}), lost {d['lost']}", flush=True)
    finally:
        out["client_cpu_s"] = round(clients.close(), 1)
        print(f"  {target.name}: load generator CPU over the run {out['client_cpu_s']} s", flush=True)
    return out


def scenario_restart(target: Target, args: argparse.Namespace) -> dict[str, Any]:
    """Everyone connected, --rate msg/s flowing; after 5 s the server restarts; clients come back as
    the web client does and catch up; every acknowledged message must reach every other member."""
    clients = Clients(target, args.procs, fixed_delay=args.reconnect == "fixed")
    out: dict[str, Any] = {"target": target.name, "reconnect": args.reconnect}
    try:
        clients.call("connect", lambda w, ids: {"ids": ids, "concurrency": 100, "retry": True})
        _collect(clients, drain=0.5)
        chat_tag = clients.send("chat", lambda w, ids: {"ids": ids, "rate": args.rate / args.procs,
                                                         "duration": args.duration})
        time.sleep(min(5.0, args.duration / 3))
        t_stop = time.time()
        stop_s, start_s = target.restart()
        clients.server = psutil.Process(target.proc.pid)
        t_ready = time.time()
        sent, acked = _merge_chat(clients.wait(chat_tag))
        back = clients.call("caught_up", lambda w, ids: {"timeout": 60})
        received, _ = _collect(clients)
        d = _deliveries(target, sent, acked, received)
        caught = [t for r in back for t in r["caught_up"] if t]
        recon = [t for r in back for t in r["reconnected"] if t]
        missing = sum(r["missing"] for r in back)
        out.update(stop_s=round(stop_s, 2), start_s=round(start_s, 2), clients=len(target.users),
                   reconnected=len(recon), not_back=missing,
                   all_back_s=round(max(recon) - t_stop, 2) if recon else None,
                   all_caught_up_s=round(max(caught) - t_stop, 2) if caught else None,
                   caught_up_after_ready_s=round(max(caught) - t_ready, 2) if caught else None,
                   messages=d)
        print(f"  {target.name}: server stopped in {stop_s:.1f} s, answered again {start_s:.1f} s later; "
              f"{len(recon)} clients reconnected, {missing} not back; all back {out['all_back_s']} s and "
              f"all caught up {out['all_caught_up_s']} s after the stop began; messages: {d['acked']} acked of "
              f"{d['sent']}, {d['live']} live + {d['caught_up']} by catch-up of {d['expected']} expected, "
              f"lost {d['lost']}, dup {d['duplicated']}", flush=True)
    finally:
        out["client_cpu_s"] = round(clients.close(), 1)
    return out


def scenario_scaleout(args: argparse.Namespace) -> list[dict[str, Any]]:
    """One product node and two, behind nginx (sticky by client address), on one PostgreSQL database,
    swept through --rates interleaved: "1 node" (no Redis), "1 node + Redis" (the Socket.IO queue,
    shared state and rate limits in Redis, as a scale-out node runs), "2 nodes + Redis". Every service
    is started here on loopback (PostgreSQL and Redis with the tests' helpers) and stopped after."""
    sys.path.insert(0, str(ROOT))
    from bench.nginx import Nginx
    from tests.admin.redis_server import redis_server
    from tests.services import postgres_cluster

    rows: list[dict[str, Any]] = []
    with postgres_cluster() as pg, redis_server() as redis:
        db_url = pg.url(pg.create_database())
        tmp = tempfile.mkdtemp(prefix="im-scale-")
        groups = [min(args.room_size, args.users - s) for s in range(0, args.users, args.room_size)]
        t0 = time.monotonic()
        seeder = mp.get_context("spawn").Process(target=_seed_product,
                                                 args=(f"{tmp}/data", groups, f"{tmp}/seed.json", db_url))
        seeder.start()
        seeder.join()
        if seeder.exitcode != 0:
            raise RuntimeError("seeding the product's database failed")
        seed = json.loads(Path(f"{tmp}/seed.json").read_text(encoding="utf-8"))
        print(f"  {sum(groups)} users and {len(groups)} rooms set up in PostgreSQL in {time.monotonic() - t0:.1f} s",
              flush=True)
        secret = Path(f"{tmp}/data/secret_key").read_text(encoding="utf-8")
        redis_env = {"SOCKETIO_MESSAGE_QUEUE": redis.url, "STATE_STORE_REDIS_URL": redis.url,
                     "RATE_LIMIT_STORAGE_URI": redis.url}
        configs = {"1 node": (1, {}), "1 node + Redis": (1, redis_env), "2 nodes + Redis": (2, redis_env)}
        servers: dict[str, Target] = {}
        proxies: list[Any] = []
        n_dir = 0
        try:
            for name, (n_nodes, extra) in configs.items():
                env = {"DATABASE_URL": db_url, "TRUSTED_PROXIES": "1", **extra}
                procs, ports = [], []
                for _ in range(n_nodes):
                    n_dir += 1
                    data = f"node{n_dir}"
                    Path(f"{tmp}/{data}").mkdir()
                    Path(f"{tmp}/{data}/secret_key").write_text(secret, encoding="utf-8")  # one signing key
                    port = free_port()
                    procs.append(_launch_product(tmp, port, env, data))
                    ports.append(port)
                for proc, port in zip(procs, ports, strict=True):
                    _wait_http(f"http://127.0.0.1:{port}/api/health", proc)
                proxy = Nginx(free_port(), ports)
                proxies.append(proxy)
                infra = proxy.pids()
                if extra and redis.proc is not None:
                    infra.append(redis.proc.pid)
                target = Target(name, f"http://127.0.0.1:{proxy.port}", procs[0], tmp, nodes=procs[1:], infra=infra)
                target.users = [{**u, "local_addr": f"127.1.{i // 250}.{i % 250 + 1}"}
                                for i, u in enumerate(seed["users"])]
                target.room_members = {int(k): v for k, v in seed["rooms"].items()}
                servers[name] = target
            print(f"  PostgreSQL {db_url.rsplit('@', 1)[-1]}, Redis {redis.url}, nginx (hash $remote_addr) "
                  f"on {', '.join(t.url for t in servers.values())}", flush=True)
            rows = sweep_targets(args, servers)
        finally:
            for t in servers.values():
                for proc in [t.proc, *t.nodes]:
                    if proc.poll() is None:
                        proc.send_signal(signal.SIGTERM)
                for proc in [t.proc, *t.nodes]:
                    try:
                        proc.wait(20)
                    except subprocess.TimeoutExpired:
                        proc.kill()
            for proxy in proxies:
                proxy.stop()
            if os.environ.get("BENCH_KEEP"):
                print(f"  kept {tmp}")
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    return rows


def scenarios(args: argparse.Namespace, names: list[str]) -> list[dict[str, Any]]:
    rows = []
    for _run in range(max(1, args.repeat)):
        for name in names:
            start = start_product if name == "product" else start_bare
            print(f"{name}: {args.scenario}", flush=True)
            if args.scenario == "bigroom":
                target = start(args.big, args.big, [args.big])
                runner = lambda t: scenario_bigroom(t, args)  # noqa: E731
            elif args.scenario == "storm":
                n_bg = args.background
                size = min(args.storm_room_size, args.big)
                groups = [20] * (n_bg // 20) + [size] * (args.big // size)
                target = start(sum(groups), args.room_size, groups)
                runner = lambda t, n_bg=n_bg: scenario_storm(t, args, n_bg)  # noqa: E731
            else:
                target = start(args.users, args.room_size)
                runner = lambda t: scenario_restart(t, args)  # noqa: E731
            try:
                rows.append(runner(target))
            finally:
                target.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--room-size", type=int, default=20)
    parser.add_argument("--rate", type=float, default=400.0, help="messages per second, all users together")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--procs", type=int, default=2, help="client processes")
    parser.add_argument("--targets", default="product,bare")
    parser.add_argument("--idle", type=int, default=0, help="connect this many idle users and report RSS")
    parser.add_argument("--repeat", type=int, default=1, help="runs per target (fresh server each); medians reported")
    parser.add_argument("--json", help="write the results to this file too")
    parser.add_argument("--sweep", action="store_true", help="rising --rates, product and bare interleaved")
    parser.add_argument("--rates", default="200,400,600,800,1000,1200,1600,2000,2400,2800,3200,4000",
                        help="msg/s steps of --sweep")
    parser.add_argument("--bisect", type=int, default=2,
                        help="sweep: steps halfway between a target's highest sustained and lowest failed rate")
    parser.add_argument("--retries", type=int, default=1,
                        help="sweep: runs again of a step the load generator limited, before it counts")
    parser.add_argument("--read", choices=READS, default="tap",
                        help="sweep and plain run: how the clients read deliveries (tap: off the socket's bytes; "
                             "loop: the scenarios' read loop; library: python-socketio's decoding, before 2026-12-07)")
    parser.add_argument("--client-loop", choices=LOOPS, default="uvloop",
                        help="sweep and plain run: the client processes' event loop (asyncio: before 2026-12-07)")
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    two = len(cpus) >= 2
    parser.add_argument("--server-cpus", default=str(cpus[0]) if two else "",
                        help="sweep: pin the servers to these CPUs (default: the first, with >= 2 cores; empty: not pinned)")
    parser.add_argument("--client-cpus", default="",
                        help="sweep: the load generator's CPUs (default: every core; e.g. 1 for the other one only)")
    parser.add_argument("--client-nice", type=int, default=19,
                        help="sweep with pinned servers: the load generator's niceness (it yields the servers' core)")
    parser.add_argument("--scenario", choices=("bigroom", "storm", "restart", "scaleout"),
                        help="scaleout: one node and two behind nginx, with Redis and PostgreSQL, over --rates")
    parser.add_argument("--big", type=int, default=1000, help="bigroom/storm: clients in the big room(s)")
    parser.add_argument("--big-rates", default="1,10,25", help="bigroom: msg/s steps into the room")
    parser.add_argument("--storm-room-size", type=int, default=1000, help="storm: room size of the storm clients")
    parser.add_argument("--background", type=int, default=100, help="storm: clients chatting in rooms of 20")
    parser.add_argument("--background-rate", type=float, default=20.0, help="storm: their msg/s")
    parser.add_argument("--concurrency", type=int, default=200, help="storm: connects in flight")
    parser.add_argument("--reconnect", choices=("jitter", "fixed"), default="jitter",
                        help="restart: first attempt after a random 0.5-5 s (web client) or exactly 1 s (before)")
    args = parser.parse_args()
    # SIGTERM (kill, or a job stopped from outside) ends the run through the finally blocks that stop the
    # servers and remove their data, as Ctrl-C does (a background job ignores SIGINT).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    names = [t.strip() for t in args.targets.split(",") if t.strip()]
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}, {os.cpu_count()} cores", flush=True)
    if args.scenario == "scaleout":
        rows = scenario_scaleout(args)
    elif args.sweep:
        rows = sweep(args, names)
    elif args.scenario:
        rows = scenarios(args, names)
        print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        if args.json:
            Path(args.json).write_text(json.dumps(rows, indent=2, ensure_ascii=False), encoding="utf-8")
        return 0
    else:
        rows = []
        n_users = args.idle or args.users
        for _run in range(max(1, args.repeat)):
            for name in names:
                print(f"{name}: starting", flush=True)
                target = (start_product(n_users, args.room_size) if name == "product"
                          else start_bare(n_users, args.room_size))
                try:
                    rows.append(run_load(target, args.rate, args.duration, args.procs, idle=bool(args.idle),
                                         read=args.read, loop=args.client_loop))
                finally:
                    target.close()
        if args.idle:
            for r in rows:
                print(f"{r['target']}: {r['connections']} idle connections, server RSS {r['server_idle_rss_mb']} MB "
                      f"(peak {r['server_peak_rss_mb']} MB)")
        else:
            report(rows, args)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0 if all(r["lost"] == 0 and r["duplicated"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
