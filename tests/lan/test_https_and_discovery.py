"""Local-CA HTTPS, mDNS discovery on loopback, QR code, diagnostics bundle."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests
import socketio

from messenger.lan import certs
from messenger.lan.diagnostics import write_bundle
from messenger.lan.discovery import Advertiser, check_address_change
from messenger.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]


def _login(base: str, ca: Path, username: str) -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would override verify
    s.verify = str(ca)
    r = s.post(f"{base}/api/register", json={"username": username, "password": "correct-horse-1"})
    assert r.status_code == 201, r.text
    r = s.post(f"{base}/api/login", json={"username": username, "password": "correct-horse-1"})
    assert r.status_code == 200
    s.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return s


async def _websocket_round_trip(url: str, ca: Path, cookie: str) -> tuple[str, dict[str, Any]]:
    """Connect over WSS trusting only ``ca``, ask for an ack, disconnect: (transport, ack).

    python-socketio's asyncio client, not its threaded one: the threaded client reads and writes one
    TLS socket from two threads at once, which Python's ssl does not allow; now and then the write
    went nowhere and the ack never came (python-engineio issue 461; seen twice in CI here)."""
    context = ssl.create_default_context(cafile=str(ca))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as http:
        client = socketio.AsyncClient(http_session=http, reconnection=False)
        await client.connect(url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=10)
        try:
            return client.transport(), await client.call("set_presence", {"presence": "online"}, timeout=10)
        finally:
            await client.disconnect()


def test_https_with_local_ca_http_redirects_and_websocket(start_server: Any) -> None:
    server = start_server(HTTPS_MODE="local-ca", HTTPS_PORT=0)
    runner = server.runner
    ca = certs.cert_paths(runner.settings.data_dir).ca_cert
    assert ca.exists()
    assert runner.scheme == "https" and server.url.startswith("https://127.0.0.1:")
    # A client that trusts only the generated CA connects without warnings...
    r = requests.get(server.url + "/api/health", verify=str(ca), timeout=5)
    assert r.json()["status"] == "ok"
    # ...and one that does not trust it is refused.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(server.url + "/api/health", timeout=5)
    # Plain HTTP redirects to HTTPS, except the set-up pages phones need before trusting the CA.
    http = f"http://127.0.0.1:{runner.port}"
    r = requests.get(http + "/api/rooms?x=1", allow_redirects=False, timeout=5)
    assert r.status_code == 308 and r.headers["Location"] == f"https://127.0.0.1:{runner.https_port}/api/rooms?x=1"
    page = requests.get(http + "/setup/certificate", headers={"Accept-Language": "ko"}, timeout=5)
    assert page.status_code == 200 and "인증서" in page.text and "iOS" in page.text
    assert "Android" in requests.get(http + "/setup/certificate", headers={"Accept-Language": "en"}, timeout=5).text
    assert requests.get(http + "/setup/ca.crt", timeout=5).content == ca.read_bytes()
    # WebSocket over TLS, trusting only the CA.
    session = _login(server.url, ca, "kim")
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    transport, ack = asyncio.run(_websocket_round_trip(server.url, ca, cookie))
    assert transport == "websocket"
    assert ack["ok"] is True and ack["presence"] == "online"


def test_certificate_covers_names_and_renews_when_addresses_change(tmp_path: Path) -> None:
    paths = certs.ensure_server_cert(tmp_path)
    st = certs.status(tmp_path)
    assert st.exists and not st.needs_renewal and st.days_left >= 390
    assert "127.0.0.1" in st.names and certs.MDNS_HOST in st.names and "localhost" in st.names
    before = paths.server_cert.read_bytes()
    assert certs.status(tmp_path, extra_ips=["10.9.8.7"]).needs_renewal
    certs.ensure_server_cert(tmp_path, extra_ips=["10.9.8.7"])
    assert paths.server_cert.read_bytes() != before
    assert "10.9.8.7" in certs.status(tmp_path, extra_ips=["10.9.8.7"]).names
    if os.name == "posix":
        assert (paths.ca_key.stat().st_mode & 0o777) == 0o600
        assert (paths.server_key.stat().st_mode & 0o777) == 0o600
    ca_before = paths.ca_cert.read_bytes()
    certs.ensure_server_cert(tmp_path, force=True)
    assert paths.ca_cert.read_bytes() == ca_before  # the CA is made once; phones keep trusting it


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _announce_and_browse(port: int) -> Any:
    """Announce on ``port`` and browse until that announcement is seen (other test runs on this machine
    announce the same service type on loopback at the same time: they are told apart by port)."""
    from zeroconf import ServiceBrowser, ServiceListener, Zeroconf

    adv = Advertiser(port, "https", addresses=["127.0.0.1"], interfaces=["127.0.0.1"])
    adv.start()
    found: list[Any] = []

    class Listener(ServiceListener):
        def add_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            found.append((type_, name))  # runs on zeroconf's loop: look the details up outside it

        def update_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            pass

        def remove_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            pass

    zc = Zeroconf(interfaces=["127.0.0.1"])
    try:
        ServiceBrowser(zc, "_https._tcp.local.", Listener())
        deadline = time.monotonic() + 15
        checked = 0
        while time.monotonic() < deadline:
            while checked < len(found):
                type_, name = found[checked]
                checked += 1
                info = zc.get_service_info(type_, name, timeout=3000)
                if info is not None and info.port == port:
                    return info
            time.sleep(0.05)
        raise AssertionError(f"the mDNS browser did not find the service on port {port} (saw {found})")
    finally:
        zc.close()
        adv.stop()


def test_mdns_browser_on_loopback_finds_the_service() -> None:
    # Run in a plain thread: in this pytest process Playwright's session keeps an asyncio loop
    # "running" on the main thread, and zeroconf would attach to that loop instead of its own
    # (the launcher's main thread has none).
    with ThreadPoolExecutor(1) as pool:
        port = _free_port()
        info = pool.submit(_announce_and_browse, port).result(timeout=60)
    assert info.port == port and info.server == f"{certs.MDNS_HOST}."
    assert info.properties[b"scheme"] == b"https"


def test_qr_code_of_the_server_address(live_server: Any) -> None:
    from PIL import Image

    r = requests.get(live_server.url + "/setup/qr.png", timeout=5)
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
    import io

    image = Image.open(io.BytesIO(r.content))
    assert image.size[0] >= 100


def test_address_change_is_noticed(tmp_path: Path) -> None:
    (tmp_path / "lan.json").write_text(json.dumps({"addresses": ["10.1.2.3"]}))
    changed, before, _now = check_address_change(tmp_path)
    assert changed and before == ["10.1.2.3"]
    changed, _before, _now = check_address_change(tmp_path)
    assert not changed


def test_diagnostics_bundle_never_contains_secrets(tmp_path: Path) -> None:
    secret_key = "sk-" + "A1b2C3d4" * 6
    oidc_secret = "oidc-VERY-secret-value-42"
    env = {
        "OIDC_CLIENT_SECRET": oidc_secret,
        "DATABASE_URL": "sqlite:///" + str(tmp_path / "data" / "messenger.db"),
        "STATE_STORE_REDIS_URL": "redis://:redis-pass-991@127.0.0.1:1/0",
    }
    data = tmp_path / "data"
    (data / "logs").mkdir(parents=True)
    (data / "secret_key").write_text(secret_key)
    (data / "logs" / "messenger.log").write_text(
        f"INFO something happened\nERROR leaked {secret_key} and {oidc_secret} password=hunter2hunter2\n",
        encoding="utf-8")
    settings = load_settings(data, env=env, overrides={"SECRET_KEY": secret_key})
    path = write_bundle(settings, tmp_path / "diag.zip")
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        blob = b"".join(zf.read(n) for n in names).decode("utf-8")
    assert "diagnostics.json" in names and "logs/messenger.log" in names
    for secret in (secret_key, oidc_secret, "redis-pass-991", "hunter2hunter2"):
        assert secret not in blob, secret
    report = json.loads(zipfile.ZipFile(path).read("diagnostics.json"))
    assert report["versions"]["app"] and report["database_check"] in ("ok", "no database yet")
    assert "something happened" in blob
    assert report["services"]["redis"].startswith("down")


def test_https_and_diagnostics_cli(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    env.update(MESSENGER_DATA_DIR=str(tmp_path / "data"), LANG="en_US.UTF-8")  # the CLI's English words
    run = subprocess.run([sys.executable, str(ROOT / "launcher.py"), "https", "enable"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "SHA-256" in run.stdout
    assert ":5000/setup/certificate" in run.stdout and ":5443" in run.stdout  # the defaults
    assert 'HTTPS_MODE = "local-ca"' in (tmp_path / "data" / "settings.toml").read_text()
    # The real port: settings.toml's, or --port (after the command or before it, as for the server).
    with (tmp_path / "data" / "settings.toml").open("a") as f:
        f.write("DEFAULT_PORT = 5123\nHTTPS_PORT = 5124\n")
    launcher = [sys.executable, str(ROOT / "launcher.py")]
    for argv, port in ((["https", "enable"], 5123), (["https", "enable", "--port", "5077"], 5077),
                       (["--port", "5078", "https", "enable"], 5078)):
        run = subprocess.run(launcher + argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        assert f":{port}/setup/certificate" in run.stdout and ":5000" not in run.stdout, run.stdout
        assert "https://" in run.stdout and ":5124" in run.stdout
    bad = subprocess.run(launcher + ["https", "enable", "--port", "70000"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "70000" in bad.stderr
    status = subprocess.run([sys.executable, str(ROOT / "launcher.py"), "https", "status"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert "local-ca" in status.stdout and "days" in status.stdout
    diag = subprocess.run([sys.executable, str(ROOT / "launcher.py"), "diagnostics", "--output", str(tmp_path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert diag.returncode == 0, diag.stderr
    assert zipfile.is_zipfile(diag.stdout.strip())


def test_qr_code_leads_to_the_certificate_page_over_http_when_https_is_on(start_server: Any) -> None:
    from messenger.lan.routes import qr_target

    server = start_server(HTTPS_MODE="local-ca", HTTPS_PORT=0)
    with server.app.test_request_context("/setup/qr.png"):
        target = qr_target(server.svc)
    assert target.startswith("http://") and target.endswith(f":{server.runner.port}/setup/certificate")
    page = requests.get(target.replace(target.split("/")[2].split(":")[0], "127.0.0.1", 1), timeout=5)
    assert page.status_code == 200 and "SHA-256" in page.text  # served over plain HTTP, no redirect
    plain = start_server()
    with plain.app.test_request_context("/setup/qr.png"):
        target = qr_target(plain.svc)
    assert target.endswith(f":{plain.runner.port}") and "/setup/" not in target  # without HTTPS: the address
