"""The first run: until a server admin exists, registering from another machine needs a one-time
setup code, so whoever opens the URL first cannot claim the server.

The code lives in the ``server_settings`` table (one value for every node of a scale-out), is made
on the first start (or the first remote attempt), is shown in the tray, printed headless and
written to the log, and is removed once an admin exists. From the server PC itself (a loopback
client address; behind ``TRUSTED_PROXIES`` the forwarded address) the first registration works
without it.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets

from sqlalchemy.exc import IntegrityError

from messenger.accounts import store
from messenger.core.context import Services
from messenger.core.errors import ApiError
from messenger.storage import settings_store

log = logging.getLogger("messenger.setup")

SETUP_KEY = "setup_code"
# Easy to read aloud and type: no 0/O, 1/I/L.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_code(value: str) -> str:
    text = "".join(ch for ch in value.upper() if ch.isalnum())
    return f"{text[:4]}-{text[4:]}" if len(text) == CODE_LENGTH else text


def setup_pending(svc: Services) -> bool:
    """True while no active server admin exists."""
    with svc.db.read() as conn:
        return store.count_admins(conn) == 0


def ensure_setup_code(svc: Services) -> str | None:
    """The setup code while no admin exists (made and logged the first time), else None (and any
    old code removed)."""
    try:
        return _ensure_setup_code(svc)
    except IntegrityError:
        # Another server on the same database (scale-out nodes starting at once) made it in the same
        # moment: read theirs.
        return _ensure_setup_code(svc)


def _ensure_setup_code(svc: Services) -> str | None:
    with svc.db.begin() as conn:
        if store.count_admins(conn) > 0:
            if settings_store.get(conn, SETUP_KEY) is not None:
                settings_store.remove(conn, SETUP_KEY)
            return None
        code = settings_store.get(conn, SETUP_KEY)
        if code:
            return code
        code = new_code()
        settings_store.put(conn, SETUP_KEY, code)
    log.info("No server administrator yet. One-time setup code: %s (needed to register the first "
                "account from another PC; open /setup)", code)
    return code


def is_loopback(address: str | None) -> bool:
    if not address:
        return False
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def check_registration(svc: Services, client_ip: str | None, code: str | None) -> bool:
    """Before a registration: True when it is the set-up registration (it makes a server admin),
    False for an ordinary one; ``403 setup_required`` for a remote one without the right code."""
    if not setup_pending(svc):
        return False
    expected = ensure_setup_code(svc)
    if code and expected and hmac.compare_digest(normalise_code(code), expected):
        return True
    if is_loopback(client_ip):
        return False
    if code:
        raise ApiError(403, "setup_code_wrong",
                       "The setup code is wrong. It is shown in the server's tray menu and its log "
                       "(logs/messenger.log in the data folder).")
    raise ApiError(403, "setup_required",
                   "This server has no administrator yet. Enter the one-time setup code shown in the "
                   "server's tray menu or its log (logs/messenger.log in the data folder), or register "
                   "on the server PC itself.")


def finish_setup(svc: Services) -> None:
    """After an admin was made: the code is spent."""
    ensure_setup_code(svc)
