#!/usr/bin/env python3
"""Web client benchmark on loopback: first-load bytes, time to interactive, and scrolling a room with
10,000 messages (frame gaps while paging the DOM upward).

    python bench/web_load.py                  # 10,000 messages
    python bench/web_load.py --messages 2000

The server runs as `launcher.py --headless` in a subprocess on a temporary data dir seeded through the
product's stores; the browser is Debian's Chromium driven by Playwright. Goals (issue 7): first load
< 400 KB transferred, interactive < 1 s on loopback, no jank scrolling 10,000 messages.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from messenger.accounts.service import create_user  # noqa: E402
from messenger.app import create_app, get_services  # noqa: E402
from messenger.datadir import load_or_create_secret, prepare_data_dir  # noqa: E402
from messenger.messages import store as messages_store  # noqa: E402
from messenger.rooms import store as rooms_store  # noqa: E402
from messenger.settings import load_settings  # noqa: E402
from tests.browser.conftest import ARGS, CHROMIUM  # noqa: E402
from tests.browser.server import ServerProcess  # noqa: E402

PASSWORD = "bench-password-1"
WORDS = ["회의", "보고서", "일정", "확인 부탁드립니다", "공유드립니다", "내일", "오후 3시", "release", "**배포**",
         "`make test`", "https://wiki.intranet.local/page", "감사합니다", "점심", "프로젝트", "LGTM"]


def seed(data_dir: Path, n_messages: int) -> int:
    prepare_data_dir(data_dir)
    settings = load_settings(data_dir, overrides={"SECRET_KEY": load_or_create_secret(data_dir)})
    app = create_app(settings)
    svc = get_services(app)
    rng = random.Random(7)
    a = create_user(svc, "bench", PASSWORD, "벤치")
    b = create_user(svc, "peer", PASSWORD, "동료")
    with svc.db.begin() as conn:
        room_id = rooms_store.create_room(conn, "group", "만 개의 메시지", "", None, created_by=a.id)
        rooms_store.add_members(conn, room_id, [a.id, b.id])
        last = None
        for i in range(n_messages):
            text = f"#{i} " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 12)))
            last = messages_store.insert_message(conn, room_id, rng.choice([a.id, b.id]), "text", text)
        if last:
            rooms_store.touch_room(conn, room_id, last[0], last[1])
    svc.db.dispose()
    return int(room_id)


def load_stats(page: Page, url: str, ready_js: str) -> dict[str, Any]:
    sizes: list[int] = []
    types: dict[str, int] = {}

    def on_finished(request: Any) -> None:
        s = request.sizes()
        n = s["responseBodySize"] + s["responseHeadersSize"]
        sizes.append(n)
        types[request.resource_type] = types.get(request.resource_type, 0) + n

    page.on("requestfinished", on_finished)
    page.goto(url)
    page.wait_for_function(ready_js, timeout=30000)
    tti = page.evaluate("() => window.__im.interactiveAt")
    page.wait_for_load_state("networkidle")
    page.remove_listener("requestfinished", on_finished)
    return {"requests": len(sizes), "bytes": sum(sizes), "tti_ms": tti, "by_type": types}


def scroll_to_top(page: Page, room_id: int, n_messages: int) -> dict[str, Any]:
    page.locator(f'[data-testid="room-item"][data-room-id="{room_id}"]').click()
    t0 = time.perf_counter()
    page.wait_for_selector('[data-testid="message"]')
    first_paint = (time.perf_counter() - t0) * 1000
    page.evaluate("""() => {
        window.__gaps = []; window.__maxDom = 0; let last = performance.now();
        const tick = (t) => { window.__gaps.push(t - last); last = t;
            window.__maxDom = Math.max(window.__maxDom, document.querySelectorAll('.msg').length);
            if (!window.__stop) requestAnimationFrame(tick); };
        requestAnimationFrame(tick);
    }""")
    box = page.get_by_test_id("message-list").bounding_box()
    assert box
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    t0 = time.perf_counter()
    deadline = t0 + 600
    while time.perf_counter() < deadline:
        page.mouse.wheel(0, -1500)
        page.wait_for_timeout(16)
        if page.evaluate("() => document.querySelector('#message-top').textContent") == page.evaluate(
                "() => window.__t('messages.start')"):
            break
    elapsed = time.perf_counter() - t0
    reached = page.evaluate("() => document.querySelector('.msg .text') && document.querySelector('.msg .text').textContent")
    gaps = page.evaluate("() => { window.__stop = true; return window.__gaps.slice(2); }")
    max_dom = page.evaluate("() => window.__maxDom")
    gaps.sort()
    return {
        "first_paint_ms": first_paint, "seconds_to_top": elapsed, "top_text": (reached or "")[:30],
        "frames": len(gaps), "frame_p50_ms": statistics.median(gaps), "frame_p95_ms": gaps[int(len(gaps) * 0.95)],
        "frame_max_ms": gaps[-1], "frames_over_50ms": sum(1 for g in gaps if g > 50), "max_dom_messages": max_dom,
        "messages_held": page.evaluate(f"() => window.__im.state.convs.get({room_id}).list.length"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="im-webbench-"))
    t0 = time.perf_counter()
    room_id = seed(tmp / "data", args.messages)
    print(f"seeded {args.messages:,} messages in {time.perf_counter() - t0:.1f} s")
    server = ServerProcess(tmp / "data")
    server.start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            # 1) The login screen, cold cache.
            ctx = browser.new_context()
            page = ctx.new_page()
            login = load_stats(page, server.url + "/", "() => window.__im && window.__im.interactiveAt")
            # 2) Logged in, cold cache: the main screen with the room list and a connected socket.
            page.request.post(server.url + "/api/login", data={"username": "bench", "password": PASSWORD})
            ctx2 = browser.new_context(storage_state=ctx.storage_state())
            page2 = ctx2.new_page()
            page2.on("pageerror", lambda e: print("pageerror:", e))
            page2.on("console", lambda m: print("console:", m.text) if m.type == "error" else None)
            main_screen = load_stats(page2, server.url + "/", "() => window.__im && window.__im.interactiveAt")
            # 3) Warm reload (HTTP cache).
            warm = load_stats(page2, server.url + "/", "() => window.__im && window.__im.interactiveAt")
            page2.evaluate("async () => { const m = await import('/static/js/i18n.js'); window.__t = m.t; }")
            scroll = scroll_to_top(page2, room_id, args.messages)
            browser.close()
    finally:
        server.stop()
    for name, r in (("login screen (cold)", login), ("main screen (cold)", main_screen), ("main screen (warm)", warm)):
        kinds = ", ".join(f"{k} {v / 1024:.1f}" for k, v in sorted(r["by_type"].items(), key=lambda kv: -kv[1]))
        print(f"{name:22s} {r['requests']:3d} requests  {r['bytes'] / 1024:7.1f} KB  interactive {r['tti_ms']:6.0f} ms  ({kinds} KB)")
    print(f"room with {args.messages:,} messages: first paint {scroll['first_paint_ms']:.0f} ms; scrolled to the first "
          f"message in {scroll['seconds_to_top']:.1f} s ({scroll['messages_held']:,} held, at most "
          f"{scroll['max_dom_messages']} in the DOM); frames p50 {scroll['frame_p50_ms']:.1f} ms, p95 "
          f"{scroll['frame_p95_ms']:.1f} ms, max {scroll['frame_max_ms']:.0f} ms, "
          f"{scroll['frames_over_50ms']} of {scroll['frames']} over 50 ms; top: {scroll['top_text']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
