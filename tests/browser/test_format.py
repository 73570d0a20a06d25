"""The light formatter (static/js/format.js), run in the real browser: tokens and the DOM it builds."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page

CASES = [
    ("plain 텍스트", [{"t": "text", "v": "plain 텍스트"}]),
    ("**굵게** 와 *기울임* 과 _밑줄형_", [
        {"t": "bold", "c": [{"t": "text", "v": "굵게"}]}, {"t": "text", "v": " 와 "},
        {"t": "italic", "c": [{"t": "text", "v": "기울임"}]}, {"t": "text", "v": " 과 "},
        {"t": "italic", "c": [{"t": "text", "v": "밑줄형"}]}]),
    ("snake_case_name and 2*3*4", [{"t": "text", "v": "snake_case_name and 2*3*4"}]),
    ("`<b>x</b>` **not `bold`**", [
        {"t": "code", "v": "<b>x</b>"}, {"t": "text", "v": " "},
        {"t": "bold", "c": [{"t": "text", "v": "not "}, {"t": "code", "v": "bold"}]}]),
    ("see https://a.example/p?q=(1). ok", [
        {"t": "text", "v": "see "}, {"t": "link", "v": "https://a.example/p?q=(1)", "href": "https://a.example/p?q=(1)"},
        {"t": "text", "v": ". ok"}]),
    ("(http://x.example/a)", [
        {"t": "text", "v": "("}, {"t": "link", "v": "http://x.example/a", "href": "http://x.example/a"},
        {"t": "text", "v": ")"}]),
    ("hi @김철수 and a@b.c", [
        {"t": "text", "v": "hi "}, {"t": "mention", "v": "김철수"}, {"t": "text", "v": " and a@b.c"}]),
    ("before\n```py\nprint('**no**')\n```\nafter", [
        {"t": "text", "v": "before\n"}, {"t": "codeblock", "v": "print('**no**')", "lang": "py"},
        {"t": "text", "v": "\nafter"}]),
    ("javascript:alert(1) **", [{"t": "text", "v": "javascript:alert(1) **"}]),
]


@pytest.fixture
def fmt_page(page: Page, server) -> Page:  # type: ignore[no-untyped-def]
    page.goto(server.url + "/static/i18n/ko.json")  # same origin, no app code running
    page.evaluate("async () => { window.fmt = await import('/static/js/format.js'); }")
    return page


@pytest.mark.parametrize(("text", "tokens"), CASES)
def test_tokens(fmt_page: Page, text: str, tokens: list) -> None:  # type: ignore[type-arg]
    got = fmt_page.evaluate("(t) => window.fmt.tokenize(t)", text)
    assert got == tokens, json.dumps(got, ensure_ascii=False)


def test_dom_has_no_user_markup(fmt_page: Page) -> None:
    html = fmt_page.evaluate("""() => {
        const div = document.createElement('div');
        div.append(window.fmt.formatText('<img src=x onerror=alert(1)> <script>x</script> **<i>b</i>** https://ok.example/"><svg>'));
        return {tags: [...div.querySelectorAll('*')].map(e => e.tagName), text: div.textContent,
                href: div.querySelector('a') && div.querySelector('a').getAttribute('href'),
                rel: div.querySelector('a') && div.querySelector('a').rel};
    }""")
    assert html["tags"] == ["STRONG", "A"]
    assert html["text"] == '<img src=x onerror=alert(1)> <script>x</script> <i>b</i> https://ok.example/"><svg>'
    assert html["href"] == "https://ok.example/"
    assert "noopener" in html["rel"]


def test_highlight_marks_matches_case_insensitively(fmt_page: Page) -> None:
    got = fmt_page.evaluate("""() => {
        const div = document.createElement('div');
        div.append(window.fmt.highlight('주간회의 Meeting 회의록', ['회의', 'meeting']));
        return [...div.querySelectorAll('mark')].map(m => m.textContent);
    }""")
    assert got == ["회의", "Meeting", "회의"]
