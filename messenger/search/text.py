"""Text normalisation for search: one definition used by the index, the queries and the highlights.

``normalize`` is NFKC + case folding with runs of white space collapsed to one space. The index
stores, per message, one token per character bigram of the normalised text plus one "end" token
for the last character, each encoded as ASCII (``<hex code point>g<hex code point>``), so that any
script (Korean, CJK, Latin, emoji, punctuation) is indexed the same way and a query of ``n`` >= 2
characters is exactly the phrase of its ``n - 1`` bigrams (a phrase match *is* a substring match).
A one-character query is the prefix ``<hex>g*``, which every occurrence of that character produces.
Tokens are partitioned by room (prefix ``<hex room id>r``), so a query only ever reads the postings
of the caller's rooms: its cost follows the matches the caller can see, not the whole server.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Characters that attach to the previous one (combining marks, Hangul medial/final jamo).
_JAMO_ATTACH = ((0x1160, 0x11FF), (0xD7B0, 0xD7FF))


def normalize(text: str) -> str:
    """NFKC, case-folded, white space collapsed and stripped (the indexed form of ``text``)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return _SPACES.sub(" ", folded).strip()


def char_token(ch: str) -> str:
    return f"{ord(ch):x}g"


def doc_tokens(norm: str) -> list[str]:
    """The index tokens of a normalised text: every bigram, then the end token of the last character."""
    if not norm:
        return []
    tokens = [f"{ord(a):x}g{ord(b):x}" for a, b in zip(norm, norm[1:], strict=False)]
    tokens.append(char_token(norm[-1]))
    return tokens


def query_grams(norm_query: str) -> list[str]:
    """The bigram tokens of a normalised query of two or more characters (a phrase, in order)."""
    return [f"{ord(a):x}g{ord(b):x}" for a, b in zip(norm_query, norm_query[1:], strict=False)]


def fts_template(norm_query: str) -> str:
    """An FTS5 MATCH expression, with ``{R}`` standing for a room prefix, that is true exactly when
    ``norm_query`` is a substring of a message of that room (tokens are room-partitioned)."""
    if len(norm_query) == 1:
        return '"{R}' + char_token(norm_query) + '" *'
    return '"' + " ".join("{R}" + g for g in query_grams(norm_query)) + '"'


def room_prefix(room_id: int) -> str:
    """The prefix of every token of a message of ``room_id`` (``<hex room id>r``)."""
    return f"{room_id:x}r"


def _attaches(ch: str) -> bool:
    if unicodedata.combining(ch):
        return True
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _JAMO_ATTACH)


_ODD_SPACE = re.compile(r"\s\s|[^\S ]|^\s|\s$")


def _same_length_fold(text: str) -> str | None:
    """``normalize(text)`` when it maps character i to character i (most text), else None."""
    folded = text.casefold()
    if (len(folded) == len(text) and not _ODD_SPACE.search(text) and unicodedata.is_normalized("NFKC", text)
            and unicodedata.is_normalized("NFKC", folded)):
        return folded
    return None


def normalize_with_map(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Like :func:`normalize`, plus for each normalised character the span of ``text`` it came from."""
    fast = _same_length_fold(text)
    if fast is not None:
        return fast, [(i, i + 1) for i in range(len(text))]
    clusters: list[tuple[int, int]] = []
    for i, ch in enumerate(text):
        if clusters and _attaches(ch):
            clusters[-1] = (clusters[-1][0], i + 1)
        else:
            clusters.append((i, i + 1))
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    for start, end in clusters:
        piece = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text[start:end]).casefold())
        if piece.isspace() or not piece:
            if piece and out and out[-1] != " ":
                out.append(" ")
                spans.append((start, end))
            continue
        for ch in piece:
            out.append(ch)
            spans.append((start, end))
    while out and out[-1] == " ":
        out.pop()
        spans.pop()
    return "".join(out), spans


def highlight_ranges(text: str, norm_query: str, limit: int = 50) -> list[dict[str, int]]:
    """``[{start, end}]`` code-point offsets into ``text`` of every match of ``norm_query``."""
    if not text or not norm_query:
        return []
    fast = _same_length_fold(text)
    if fast is not None:
        if norm_query not in fast:
            return []
        norm, spans = fast, [(i, i + 1) for i in range(len(text))]
    else:
        norm, spans = normalize_with_map(text)
    ranges: list[dict[str, int]] = []
    pos = norm.find(norm_query)
    while pos >= 0 and len(ranges) < limit:
        start = spans[pos][0]
        end = spans[pos + len(norm_query) - 1][1]
        if ranges and start < ranges[-1]["end"]:
            ranges[-1]["end"] = max(ranges[-1]["end"], end)
        else:
            ranges.append({"start": start, "end": end})
        pos = norm.find(norm_query, pos + 1)
    return ranges
