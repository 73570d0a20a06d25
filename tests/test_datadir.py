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
