"""Steps a user takes in the web client, shared by the browser tests."""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, expect

_counter = itertools.count(1)
PASSWORD = "correct-horse-9"
# A phone-sized touch screen, for ``sign_up(..., contexts=[PHONE, ...])``.
PHONE: dict[str, Any] = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True}


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


def reload(page: Page) -> None:
    """Reload and wait until the app has finished booting (body[data-ready], set after the room list and the
    preferences are in): a room clicked before that could be closed again by the start-up (seen once in CI)."""
    page.reload()
    expect(page.locator("body[data-ready='1']")).to_have_count(1)
    expect(page.get_by_test_id("room-list")).to_be_visible()


def new_page(context: BrowserContext) -> Page:
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())
    return page


@dataclass
class People:
    """People signed up in browser contexts of their own (one page each), in the order they were given."""

    pages: list[Page]
    names: list[str]  # their usernames
    errors: list[str] = field(default_factory=list)  # uncaught script errors on any of the pages

    def close(self) -> None:
        for page in self.pages:
            page.context.close()


def sign_up(browser: Browser, base: str, *people: tuple[str, str | None], contexts: list[dict[str, Any]] | None = None,
            console: str | None = None) -> People:
    """Register each ``(username prefix, display name or None for the username)`` in a new browser context, in this order (the first
    account on a fresh server is its admin). ``contexts`` gives each context's options; ``console`` also
    collects the console messages that contain this text into ``errors``, from before the first page load."""
    options = contexts or [{} for _ in people]
    pages = [new_page(browser.new_context(**opts)) for opts in options]
    crowd = People(pages, [unique(prefix) for prefix, _ in people])
    for page in pages:
        page.on("pageerror", lambda e: crowd.errors.append(str(e)))
        if console:
            page.on("console", lambda m: crowd.errors.append(m.text) if console in m.text else None)
    for page, username, (_, display) in zip(pages, crowd.names, people, strict=True):
        register(page, base, username, display)
    return crowd


def open_direct(page: Page, other_username: str) -> int:
    """Open (or create) the 1:1 room with this person from the new-room dialog; returns its id once it is the
    open room (the composer of a room open before is visible at once, so waiting for it is not enough)."""
    page.get_by_test_id("new-room").click()
    page.locator("#user-search").fill(other_username)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/api/rooms")) as created:
        page.locator(f'[data-testid="user-result"]:has-text("@{other_username}")').click()
    assert created.value.ok, created.value.text()
    room_id = int(created.value.json()["room"]["id"])
    page.wait_for_function("(id) => window.__im.state.currentRoomId === id", arg=room_id)
    expect(page.get_by_test_id("composer-input")).to_be_visible()
    return room_id


def start_direct(a: Page, b: Page, b_username: str, first: str) -> int:
    """A opens the 1:1 room with B and sends ``first``; once A sees it, B opens the room too."""
    room_id = open_direct(a, b_username)
    send(a, first)
    expect(message(a, first)).to_have_count(1)
    open_room(b, room_id)
    return room_id


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
