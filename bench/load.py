#!/usr/bin/env python3
"""Load benchmark: N WebSocket users in rooms of 20 send R messages/s for D seconds, against the
product and, in the same invocation, against the bare stack (bench/bare_server.py).

    python bench/load.py                      # 500 users, 400 msg/s, 20 s, product and bare
    python bench/load.py --users 100 --rate 100 --duration 5 --targets product
    python bench/load.py --idle 1000          # 1,000 idle connected users: server RSS
    python bench/load.py --repeat 3           # three fresh runs of each; medians

Reports connections, messages sent/acked, deliveries expected/received, lost and duplicated
deliveries, deliveries/s, end-to-end latency p50/p95/p99 (sender's clock to receiver's clock, same
machine), server CPU seconds and peak RSS, and the product's throughput as a ratio of the bare stack.
Load comes from --procs client processes (asyncio + python-socketio AsyncClient); their own CPU use
is printed too, so a saturated load generator is visible.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
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

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


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


def start_product(n_users: int, room_size: int) -> Target:
    tmp = tempfile.mkdtemp(prefix="im-bench-")
    port = free_port()
    env = dict(os.environ)
    env.update({
        "RATE_LIMIT_REGISTER": "1000000/minute", "RATE_LIMIT_LOGIN": "1000000/minute",
        "SOCKET_SEND_MESSAGE_PER_MINUTE": "1000000", "MESSENGER_DATA_DIR": f"{tmp}/data",
    })
    env.pop("DISPLAY", None)
    proc = subprocess.Popen([sys.executable, str(ROOT / "launcher.py"), "--headless", "--host", "127.0.0.1",
                             "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    _wait_http(url + "/api/health", proc)
    target = Target("product", url, proc, tmp)

    def make_user(i: int) -> dict[str, Any]:
        s = requests.Session()
        r = s.post(url + "/api/register", json={"username": f"u{i:05d}", "password": PASSWORD,
                                                 "display_name": f"사용자 {i}"}, timeout=60)
        r.raise_for_status()
        r = s.post(url + "/api/login", json={"username": f"u{i:05d}", "password": PASSWORD}, timeout=60)
        r.raise_for_status()
        return {"id": r.json()["user"]["id"], "csrf": r.json()["csrf_token"],
                "cookie": "; ".join(f"{c.name}={c.value}" for c in s.cookies), "session": s}

    t0 = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        users = list(pool.map(make_user, range(n_users)))
    for start in range(0, n_users, room_size):
        group = users[start:start + room_size]
        owner = group[0]
        r = owner["session"].post(url + "/api/rooms", json={"type": "group", "name": f"팀 {start // room_size}",
                                                            "member_ids": [u["id"] for u in group[1:]]},
                                  headers={"X-CSRF-Token": owner["csrf"]}, timeout=30)
        r.raise_for_status()
        room_id = r.json()["room"]["id"]
        target.room_members[room_id] = [u["id"] for u in group]
        for u in group:
            u["room_id"] = room_id
    for u in users:
        u.pop("session")
    target.users = users
    print(f"  product: {n_users} users and {len(target.room_members)} rooms set up in "
          f"{time.monotonic() - t0:.1f} s", flush=True)
    return target


def start_bare(n_users: int, room_size: int) -> Target:
    tmp = tempfile.mkdtemp(prefix="im-bare-")
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "bare_server.py"), "--port", str(port),
                             "--db", f"{tmp}/bare.db"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    _wait_http(url + "/socket.io/?EIO=4&transport=polling", proc)
    target = Target("bare", url, proc, tmp)
    for i in range(n_users):
        room_id = i // room_size + 1
        target.users.append({"id": i + 1, "room_id": room_id, "auth": {"user_id": i + 1, "rooms": [room_id]}})
        target.room_members.setdefault(room_id, []).append(i + 1)
    return target


# ---- client processes ----------------------------------------------------------------------------
def _worker(url: str, users: list[dict[str, Any]], rate: float, duration: float, wid: int,
            conn: Any, go: Any) -> None:
    asyncio.run(_worker_async(url, users, rate, duration, wid, conn, go))


async def _worker_async(url: str, users: list[dict[str, Any]], rate: float, duration: float, wid: int,
                        conn: Any, go: Any) -> None:
    import socketio

    received: list[tuple[str, int, float]] = []
    clients: list[Any] = []
    failed = 0

    async def connect(u: dict[str, Any]) -> Any:
        c = socketio.AsyncClient(reconnection=False)

        async def on_new(data: dict[str, Any]) -> None:
            msg = data.get("message", {})
            received.append((msg.get("client_msg_id") or "", u["id"], time.time()))

        c.on("new_message", on_new)
        kwargs: dict[str, Any] = {"transports": ["websocket"], "wait_timeout": 30}
        if "cookie" in u:
            kwargs["headers"] = {"Cookie": u["cookie"]}
        else:
            kwargs["auth"] = u["auth"]
        await c.connect(url, **kwargs)
        return c

    for start in range(0, len(users), 50):
        batch = users[start:start + 50]
        results = await asyncio.gather(*(connect(u) for u in batch), return_exceptions=True)
        for r in results:
            if isinstance(r, Exception):
                failed += 1
                clients.append(None)
            else:
                clients.append(r)
    conn.send(("connected", len(clients) - failed, failed))
    await asyncio.get_running_loop().run_in_executor(None, go.wait)

    sent: list[tuple[str, int, int]] = []  # client_msg_id, sender id, room id
    acked: dict[str, float] = {}
    ack_fail = 0
    pending: set[asyncio.Task[Any]] = set()

    async def send(c: Any, u: dict[str, Any], seq: int) -> None:
        nonlocal ack_fail
        cmid = f"w{wid}-{seq}-{time.time():.6f}"
        sent.append((cmid, u["id"], u["room_id"]))
        t = time.time()
        try:
            ack = await c.call("send_message", {"room_id": u["room_id"], "content": f"부하 시험 메시지 {seq}",
                                                "client_msg_id": cmid}, timeout=30)
            if ack and ack.get("ok"):
                acked[cmid] = time.time() - t
            else:
                ack_fail += 1
        except Exception:
            ack_fail += 1

    live = [(c, u) for c, u in zip(clients, users, strict=True) if c is not None]
    t_start = time.time()
    seq = 0
    if rate > 0 and live:
        interval = 1.0 / rate
        while True:
            now = time.time()
            if now - t_start >= duration:
                break
            due = int((now - t_start) / interval) + 1
            while seq < due:
                c, u = live[seq % len(live)]
                task = asyncio.create_task(send(c, u, seq))
                pending.add(task)
                task.add_done_callback(pending.discard)
                seq += 1
            await asyncio.sleep(min(interval, 0.005))
    if pending:
        await asyncio.wait(pending, timeout=30)
    conn.send(("sent", sent, acked, ack_fail, t_start))
    await asyncio.get_running_loop().run_in_executor(None, go.wait)  # parent clears go until drain
    await asyncio.sleep(3.0)  # drain late deliveries
    conn.send(("received", received))
    await asyncio.gather(*(c.disconnect() for c in clients if c is not None), return_exceptions=True)
    conn.send(("cpu", psutil.Process().cpu_times()))


def run_load(target: Target, rate: float, duration: float, procs: int, idle: bool = False) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    server = psutil.Process(target.proc.pid)
    cpu0 = sum(server.cpu_times()[:2])
    shares = [target.users[i::procs] for i in range(procs)]
    go = ctx.Event()
    pipes, workers = [], []
    for wid, share in enumerate(shares):
        parent, child = ctx.Pipe()
        p = ctx.Process(target=_worker, args=(target.url, share, 0 if idle else rate / procs, duration, wid,
                                              child, go))
        p.start()
        pipes.append(parent)
        workers.append(p)
    connected = failed = 0
    for pipe in pipes:
        _, ok, bad = pipe.recv()
        connected += ok
        failed += bad
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
    go.set()
    sent: list[tuple[str, int, int]] = []
    acked: dict[str, float] = {}
    ack_fail = 0
    for pipe in pipes:
        _, s, a, f, _t = pipe.recv()
        sent += s
        acked.update(a)
        ack_fail += f
    load1 = server.cpu_times()
    cpu_load1 = load1.user + load1.system
    received: list[tuple[str, int, float]] = []
    for pipe in pipes:
        _, r = pipe.recv()
        received += r
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
        "server_user_s_during_load": round(load1.user - load0.user, 2),
        "server_system_s_during_load": round(load1.system - load0.system, 2),
        "server_peak_rss_mb": round(peak_rss[0] / 1e6, 1), "server_idle_rss_mb": round(idle_rss / 1e6, 1),
        "client_cpu_s": round(client_cpu, 2),
        "max_latency_ms_by_second": [round(max(v) * 1000, 1) for _k, v in sorted(by_second.items())],
    }


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
    args = parser.parse_args()
    rows = []
    n_users = args.idle or args.users
    for _run in range(max(1, args.repeat)):
        for name in [t.strip() for t in args.targets.split(",") if t.strip()]:
            print(f"{name}: starting", flush=True)
            target = (start_product(n_users, args.room_size) if name == "product"
                      else start_bare(n_users, args.room_size))
            try:
                rows.append(run_load(target, args.rate, args.duration, args.procs, idle=bool(args.idle)))
            finally:
                target.stop()
    if args.idle:
        for r in rows:
            print(f"{r['target']}: {r['connections']} idle connections, server RSS {r['server_idle_rss_mb']} MB "
                  f"(peak {r['server_peak_rss_mb']} MB)")
    else:
        report(rows, args)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0 if all(r["lost"] == 0 and r["duplicated"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
