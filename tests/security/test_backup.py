"""What a stolen backup gives away (docs/security.md): the data, never the server's secrets."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def test_a_backup_holds_no_server_secrets(make_settings: Any) -> None:
    from messenger.accounts.service import create_user, login
    from messenger.app import create_app, get_services
    from messenger.ops.backup import create_backup

    settings = make_settings(DATABASE_URL="")
    svc = get_services(create_app(settings))
    create_user(svc, "kim", "long-password-1")
    _row, token, _csrf = login(svc, "kim", "long-password-1", None, None)
    svc.db.dispose()
    data: Path = settings.data_dir
    (data / "settings.toml").write_text('OIDC_CLIENT_SECRET = "oidc-secret-value"\n', encoding="utf-8")
    (data / "tls").mkdir(exist_ok=True)
    (data / "tls" / "ca.key").write_text("PRIVATE KEY", encoding="utf-8")
    path = create_backup(settings)
    names = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
    assert names == ["manifest.json", "manifest.json.sha256", "messenger.db"], names
    everything = b"".join(p.read_bytes() for p in path.rglob("*") if p.is_file())
    for secret in (settings.SECRET_KEY, "oidc-secret-value", "PRIVATE KEY", token, "long-password-1"):
        assert secret.encode() not in everything, secret
