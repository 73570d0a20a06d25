"""Steps a user takes in the web client, shared by the browser tests."""

from __future__ import annotations

import itertools
import os
import re

from playwright.sync_api import BrowserContext, Page, expect

_counter = itertools.count(1)
PASSWORD = "correct-horse-9"


def unique(prefix: str) -> str:
    return f"{prefix}{os.getpid() % 1000}x{next(_counter)}"


def register(page: Page, base: str, username: str, display_name: str | None = None) -> None:
    page.goto(base + "/")
    page.get_by_test_id("register-open").click()
    page.get_by_test_id("register-username").fill(username)
    page.get_by_test_id("register-display-name").fill(display_name or username)
    page.get_by_test_id("register-password").fill(PASSWORD)
    page.get_by_test_id("register-submit").click()
    expect(page.get_by_test_id("room-list")).to_be_visible()
    wait_connected(page)


def login(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(base + "/")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("room-list")).to_be_visible()
    wait_connected(page)


def wait_connected(page: Page) -> None:
    page.wait_for_function("() => window.__im && window.__im.state.connected === true")


def new_page(context: BrowserContext) -> Page:
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())
    return page


def open_direct(page: Page, other_username: str) -> int:
    page.get_by_test_id("new-room").click()
    page.locator("#user-search").fill(other_username)
    page.locator(f'[data-testid="user-result"]:has-text("@{other_username}")').click()
    expect(page.get_by_test_id("composer-input")).to_be_visible()
    return int(page.evaluate("() => window.__im.state.currentRoomId"))


def open_room(page: Page, room_id: int) -> None:
    page.locator(f'[data-testid="room-item"][data-room-id="{room_id}"]').click()
    expect(page.get_by_test_id("composer-input")).to_be_visible()


def send(page: Page, text: str) -> None:
    box = page.get_by_test_id("composer-input")
    box.fill(text)
    box.press("Enter")


def edit(page: Page, old_text: str, new_text: str) -> None:
    """Edit one's own message from its hover menu."""
    target = message(page, old_text)
    # Only a message the server has numbered can be edited: a pending one is re-drawn when its id arrives.
    expect(target).to_have_attribute("data-message-id", re.compile(r"^\d+$"))
    target.hover()
    target.locator('[data-act="edit"]').click()
    box = page.locator(".edit-box")
    expect(box).to_be_focused()
    box.fill(new_text)
    box.press("Enter")


def settle(page: Page) -> None:
    """Wait until every finite CSS transition and animation on the page has finished (before a screenshot)."""
    page.evaluate("""() => Promise.all(document.getAnimations()
        .filter((a) => a.effect && a.effect.getComputedTiming().endTime !== Infinity)
        .map((a) => a.finished.catch(() => null)))""")


def message(page: Page, text: str):  # type: ignore[no-untyped-def]
    return page.locator('[data-testid="message"]', has_text=text)


def create_group(page: Page, name: str, usernames: list[str]) -> int:
    """Make a group room with these people from the new-room dialog; returns its id (it opens)."""
    page.get_by_test_id("new-room").click()
    page.locator('input[name="type"][value="group"]').check()
    page.locator('input[name="name"]').fill(name)
    for user in usernames:
        page.locator("#user-search").fill(user)
        page.locator(f'[data-testid="user-result"]:has-text("@{user}")').click()
    page.locator("#new-room-create").click()
    expect(page.locator("#room-name")).to_have_text(name)
    expect(page.get_by_test_id("composer-input")).to_be_visible()
    return int(page.evaluate("() => window.__im.state.currentRoomId"))
