"""One data dir: where a server already keeps its data wins over where a fresh one would go, and the
other place is named, never silently started empty (platformdirs reads XDG_* at each call)."""

from __future__ import annotations

from pathlib import Path

import pytest

from messenger.datadir import APP_NAME, default_data_dir, other_data_dirs


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    site_root, user_root = tmp_path / "site", tmp_path / "home"
    monkeypatch.setenv("XDG_DATA_DIRS", str(site_root))
    monkeypatch.setenv("XDG_DATA_HOME", str(user_root))
    monkeypatch.delenv("SUDO_USER", raising=False)
    return site_root / APP_NAME, user_root / APP_NAME


def _with_data(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "secret_key").write_text("x" * 64)
    return folder


def test_fresh_machine_uses_the_machine_wide_folder(places: tuple[Path, Path]) -> None:
    site, user = places
    assert default_data_dir() == site and other_data_dirs(site) == []


def test_data_in_the_user_folder_is_used_though_the_site_folder_is_writable(places: tuple[Path, Path]) -> None:
    site, user = places
    _with_data(user)
    assert default_data_dir() == user  # e.g. first run as the user, now as root: not a second, empty one
    assert not (site / "secret_key").exists()


def test_machine_wide_data_wins_and_the_other_folder_is_named(places: tuple[Path, Path]) -> None:
    site, user = places
    _with_data(site)
    _with_data(user)
    assert default_data_dir() == site
    assert other_data_dirs(site) == [user]


def test_machine_wide_data_is_used_even_when_this_user_cannot_write_there(places: tuple[Path, Path],
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    site, user = places
    _with_data(site)
    monkeypatch.setattr("messenger.datadir._writable", lambda folder: False)  # as a user without rights there
    assert default_data_dir() == site  # start-up then names the path and the user (data_dir_unwritable)


def test_unwritable_fresh_site_folder_falls_back_to_the_user_folder(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_DATA_DIRS", str(blocker))  # mkdir below a file fails for root too
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home"))
    assert default_data_dir() == tmp_path / "home" / APP_NAME


def test_sudo_with_the_data_in_the_invoking_users_folder_never_starts_an_empty_one(tmp_path: Path) -> None:
    """``sudo python launcher.py`` by a real user whose server data is in their own folder: the server does
    not start a second, empty data dir in the machine-wide place; it says where the data is, whose it is
    and what to do, and ``--data-dir`` uses that folder. Runs as root with a throwaway user (useradd)."""
    import os
    import pwd
    import shutil
    import subprocess
    import sys
    import uuid

    from tests.services import missing

    if os.geteuid() != 0 or shutil.which("useradd") is None:
        missing("root with useradd (to make a second, real user)")
    root = Path(__file__).resolve().parents[1]
    name = f"imtest{uuid.uuid4().hex[:8]}"
    home = tmp_path / "home-of-user"
    home.mkdir()
    subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", str(home), "--shell", "/usr/sbin/nologin",
                    name], check=True, capture_output=True, timeout=60)
    try:
        user = pwd.getpwnam(name)
        # The user ran the server before (without sudo): the data is in their per-user folder, owned by them.
        theirs = home / ".local" / "share" / APP_NAME
        _with_data(theirs)
        (theirs / "messenger.db").write_bytes(b"")
        for path in [home, *home.rglob("*")]:
            os.chown(path, user.pw_uid, user.pw_gid)
        site_root, root_home = tmp_path / "site", tmp_path / "root-data"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MESSENGER_", "DISPLAY", "WAYLAND"))}
        env.update({"SUDO_USER": name, "XDG_DATA_DIRS": str(site_root), "XDG_DATA_HOME": str(root_home),
                    "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
                    "LANG": "en_US.UTF-8", "MDNS_ENABLED": "false"})
        env.pop("LC_ALL", None)
        run = subprocess.run([sys.executable, str(root / "launcher.py"), "--headless", "--port", "0"], cwd=root,
                             env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 2, run.stdout + run.stderr
        assert str(theirs) in run.stderr and f"owner: {name}" in run.stderr and "--data-dir" in run.stderr, run.stderr
        assert "Traceback" not in run.stderr
        for other in (site_root / APP_NAME, root_home / APP_NAME):  # nothing started at either place
            assert not (other / "secret_key").exists() and not (other / "messenger.db").exists(), other
        # What the message says to do: --data-dir uses the user's folder (a command on it runs).
        made = subprocess.run([sys.executable, str(root / "launcher.py"), "create-user", "kim", "--password-stdin",
                               "--data-dir", str(theirs)], cwd=root, env=env, input="kim-password-1\n",
                              capture_output=True, text=True, timeout=120)
        assert made.returncode == 0, made.stderr
        assert (theirs / "messenger.db").stat().st_size > 0
        assert not (site_root / APP_NAME / "messenger.db").exists()
    finally:
        subprocess.run(["userdel", name], capture_output=True, timeout=60)
