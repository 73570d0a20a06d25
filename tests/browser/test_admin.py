"""Server admin page and session revocation as users see them."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.ui import PASSWORD, login, new_page, register, unique


def test_admin_deactivates_a_user_who_is_sent_to_login_with_an_explanation(browser: Browser, own_server) -> None:  # type: ignore[no-untyped-def]
    base = own_server.url
    ca, cb = browser.new_context(), browser.new_context()
    admin, user = new_page(ca), new_page(cb)
    errors: list[str] = []
    for p in (admin, user):
        p.on("pageerror", lambda e: errors.append(str(e)))
    boss, worker = unique("boss"), unique("worker")
    register(admin, base, boss, "관리자")  # the first account is the server admin
    register(user, base, worker, "직원")
    expect(user.locator("#admin-open")).to_be_hidden()
    admin.locator("#admin-open").click()
    row = admin.locator(f'[data-testid="admin-users"] tr:has-text("@{worker}")')
    expect(row).to_be_visible()
    row.locator("input[type=checkbox]").first.uncheck()  # is_active
    expect(user.get_by_test_id("login-username")).to_be_visible(timeout=10000)
    expect(user.locator("#auth-notice")).to_contain_text("다시 로그인")
    # The audit log shows the deactivation, filterable by action.
    admin.locator("#admin-body .tabs button", has_text="감사 로그").click()
    expect(admin.locator('[data-testid="admin-audit"]')).to_contain_text("user_deactivated")
    admin.locator("#admin-body .filters input").first.fill("login")
    admin.locator("#admin-body .filters button[type=submit]").click()
    expect(admin.locator('[data-testid="admin-audit"]')).not_to_contain_text("user_deactivated")
    assert errors == []
    ca.close()
    cb.close()


def test_password_change_elsewhere_revokes_this_session(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    ca, cb = browser.new_context(), browser.new_context()
    here, there = new_page(ca), new_page(cb)
    name = unique("pw")
    register(here, server.url, name, "비번변경")
    login(there, server.url, name)
    there.locator("#settings-open").click()
    fields = there.locator("#settings-body input[type=password]")
    fields.nth(0).fill(PASSWORD)
    fields.nth(1).fill("a-brand-new-pass-1")
    there.locator("#settings-body button", has_text="비밀번호 변경").click()
    expect(there.locator("#toast")).to_contain_text("비밀번호를 바꿨습니다")
    expect(here.get_by_test_id("login-username")).to_be_visible(timeout=10000)
    expect(here.locator("#auth-notice")).to_contain_text("비밀번호가 바뀌었거나")
    # The session that changed it stays logged in.
    expect(there.get_by_test_id("room-list")).to_be_visible()
    ca.close()
    cb.close()


def test_password_reset_by_admin_then_user_must_choose_a_new_one(browser: Browser, own_server) -> None:  # type: ignore[no-untyped-def]
    base = own_server.url
    ca, cb = browser.new_context(), browser.new_context()
    admin, user = ca.new_page(), new_page(cb)  # the admin's dialogs are handled below
    boss, worker = unique("boss"), unique("worker")
    register(admin, base, boss, "관리자")
    register(user, base, worker, "직원")
    temporary: list[str] = []

    def on_dialog(d) -> None:  # type: ignore[no-untyped-def]
        if d.type == "prompt":
            temporary.append(d.default_value)
        d.accept()

    admin.on("dialog", on_dialog)
    admin.locator("#admin-open").click()
    admin.locator(f'[data-testid="admin-users"] tr:has-text("@{worker}") button', has_text="비밀번호 초기화").click()
    expect(user.get_by_test_id("login-username")).to_be_visible(timeout=10000)
    for _ in range(50):
        if temporary:
            break
        admin.wait_for_timeout(100)
    assert temporary and temporary[0]
    login(user, base, worker, temporary[0])
    expect(user.locator("#settings-dialog")).to_be_visible()
    expect(user.locator("#toast")).to_contain_text("임시 비밀번호")
    fields = user.locator("#settings-body input[type=password]")
    fields.nth(0).fill(temporary[0])
    fields.nth(1).fill(PASSWORD + "-new")
    user.locator("#settings-body button", has_text="비밀번호 변경").click()
    expect(user.locator("#toast")).to_contain_text("비밀번호를 바꿨습니다")
    ca.close()
    cb.close()
