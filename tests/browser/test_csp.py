"""The page's Content-Security-Policy lets the client reach this server only (#18 item 9): its own
WebSocket works under every name of the server, a WebSocket to any other host is blocked."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.browser.ui import new_page, register, unique

# Resolves with the first thing that happens to a WebSocket: opened, blocked by the CSP, or failed.
PROBE = """(url) => new Promise((resolve) => {
  document.addEventListener('securitypolicyviolation',
    (e) => { if (e.blockedURI.startsWith(url.split('/socket.io')[0])) resolve('blocked:' + e.violatedDirective); });
  let ws;
  try { ws = new WebSocket(url); } catch (e) { resolve('threw:' + e.name); return; }
  ws.onopen = () => { ws.close(); resolve('open'); };
  ws.onerror = () => setTimeout(() => resolve('error'), 0);
})"""


def test_websockets_reach_this_server_under_any_name_and_nothing_else(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    port = server.url.rsplit(":", 1)[1]
    ctx = browser.new_context()
    page = new_page(ctx)
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    register(page, server.url, unique("csp"))  # the client's own socket connects under the policy
    assert violations == []
    for base in (f"http://127.0.0.1:{port}", f"http://localhost:{port}"):
        page.goto(base + "/")
        own = page.evaluate(PROBE, f"ws://{base.split('//')[1]}/socket.io/?EIO=4&transport=websocket")
        assert own == "open", (base, own)
        for other in (f"ws://127.0.0.2:{port}", "ws://192.0.2.1:5000", "wss://attacker.example"):
            result = page.evaluate(PROBE, f"{other}/socket.io/?EIO=4&transport=websocket")
            assert result.startswith("blocked:connect-src"), (base, other, result)
    ctx.close()
