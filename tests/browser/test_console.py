"""The operator console in Chromium: back up -> verify -> restore (the backup's name typed as the
confirmation); a colleague's connected client is told the server is going down, reconnects by itself
and shows the restored state (a room made after the backup is gone, the one before it is there)."""

from __future__ import annotations

from playwright.sync_api import Browser, Dialog, expect

from tests.browser.ui import create_group, new_page, register, unique, wait_connected


def test_console_backup_verify_restore_round_trip(browser: Browser, own_server) -> None:  # type: ignore[no-untyped-def]
    base = own_server.url
    boss_ctx, kim_ctx = browser.new_context(), browser.new_context()
    boss = boss_ctx.new_page()
    kim = new_page(kim_ctx)
    errors: list[str] = []
    for p in (boss, kim):
        p.on("pageerror", lambda e: errors.append(str(e)))
    boss_name, kim_name = unique("op"), unique("ok")
    register(boss, base, boss_name, "운영자")  # the first account (from this PC): the server admin
    register(kim, base, kim_name, "김동료")
    create_group(boss, "백업 전 방", [kim_name])
    room_list = kim.get_by_test_id("room-list")
    expect(room_list).to_contain_text("백업 전 방")

    boss.locator("#admin-open").click()
    boss.get_by_test_id("admin-tab-console").click()
    expect(boss.get_by_test_id("console-status")).to_be_visible()
    boss.get_by_test_id("console-backup").click()
    row = boss.locator('[data-testid="console-backups"] tr[data-backup]')
    expect(row).to_have_count(1)
    name = row.first.get_attribute("data-backup")
    assert name
    row.first.get_by_test_id("console-verify").click()
    expect(boss.get_by_test_id("console-last-verification")).to_contain_text("검사 통과")
    # A damaged backup: the problem in Korean words from the catalog (the answer carries codes)
    boss.get_by_test_id("console-backup").click()
    expect(row).to_have_count(2)
    damaged = next(n for n in (r.get_attribute("data-backup") for r in row.all()) if n != name)
    snapshot = own_server.data_dir / "backups" / damaged / "messenger.db"
    data = bytearray(snapshot.read_bytes())
    data[-1] ^= 0xFF
    snapshot.write_bytes(bytes(data))
    boss.locator(f'[data-testid="console-backups"] tr[data-backup="{damaged}"]').get_by_test_id("console-verify").click()
    expect(boss.locator("#toast")).to_have_text("검사 실패: messenger.db이(가) 손상되었습니다: SHA-256이 목록과 다릅니다.")

    boss.locator("#admin-dialog").evaluate("d => d.close()")
    create_group(boss, "백업 후 방", [kim_name])
    expect(room_list).to_contain_text("백업 후 방")

    boss.locator("#admin-open").click()
    boss.get_by_test_id("admin-tab-console").click()
    asked: list[str] = []

    def confirm(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept(name)

    boss.once("dialog", confirm)
    # The sync API hands events over only inside its own calls: the click can return before the prompt's
    # event is handled (seen under stress-ng), so wait for the dialog itself.
    with boss.expect_event("dialog"):
        boss.locator(f'[data-testid="console-backups"] tr[data-backup="{name}"]').get_by_test_id("console-restore").click()
    assert asked and name in asked[0]

    expect(kim.locator("#offline-banner")).to_be_visible(timeout=15000)  # the server went down ...
    expect(kim.locator("#offline-banner")).to_be_hidden(timeout=60000)  # ... and came back
    wait_connected(kim)
    expect(room_list).not_to_contain_text("백업 후 방", timeout=15000)  # the restored state
    expect(room_list).to_contain_text("백업 전 방")
    assert not errors, errors


def test_console_address_opens_the_console_for_an_admin(browser: Browser, own_server) -> None:  # type: ignore[no-untyped-def]
    """``/console`` is what the tray opens on a left click where its backend has no menu."""
    page = new_page(browser.new_context())
    register(page, own_server.url, unique("oc"), "운영자")
    page.goto(own_server.url + "/console")
    expect(page.get_by_test_id("console-status")).to_be_visible()
    expect(page.get_by_test_id("console-log")).to_contain_text("server listening", timeout=15000)  # the live log
