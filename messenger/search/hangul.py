"""Hangul helpers: initial-consonant (초성) matching and keyboard-layout repair (2-set / 두벌식).

- ``initials_match(query, name)``: ``ㄱㄷㅎ`` matches 김대호, ``김ㄷ`` matches 김대호, case-insensitive
  substring otherwise.
- ``en_to_ko("dkssud") == "안녕"`` (typed with the English layout while meaning Korean) and
  ``ko_to_en("ㅗ디ㅣㅐ") == "hello"`` (the other way round).
"""

from __future__ import annotations

import unicodedata

CHO = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
JUNG = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
JONG = " ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"  # index 0 = no final consonant
SBASE, SCOUNT = 0xAC00, 11172

# 두벌식 keys → compatibility jamo (shifted keys give the tense consonants and ㅒ/ㅖ).
KEY_TO_JAMO = {
    "q": "ㅂ", "w": "ㅈ", "e": "ㄷ", "r": "ㄱ", "t": "ㅅ", "y": "ㅛ", "u": "ㅕ", "i": "ㅑ", "o": "ㅐ", "p": "ㅔ",
    "a": "ㅁ", "s": "ㄴ", "d": "ㅇ", "f": "ㄹ", "g": "ㅎ", "h": "ㅗ", "j": "ㅓ", "k": "ㅏ", "l": "ㅣ",
    "z": "ㅋ", "x": "ㅌ", "c": "ㅊ", "v": "ㅍ", "b": "ㅠ", "n": "ㅜ", "m": "ㅡ",
    "Q": "ㅃ", "W": "ㅉ", "E": "ㄸ", "R": "ㄲ", "T": "ㅆ", "O": "ㅒ", "P": "ㅖ",
}
JAMO_TO_KEY = {v: k for k, v in KEY_TO_JAMO.items()}
# Compound vowels and final-consonant clusters, typed as two keys.
VOWEL_PAIRS = {("ㅗ", "ㅏ"): "ㅘ", ("ㅗ", "ㅐ"): "ㅙ", ("ㅗ", "ㅣ"): "ㅚ", ("ㅜ", "ㅓ"): "ㅝ",
               ("ㅜ", "ㅔ"): "ㅞ", ("ㅜ", "ㅣ"): "ㅟ", ("ㅡ", "ㅣ"): "ㅢ"}
FINAL_PAIRS = {("ㄱ", "ㅅ"): "ㄳ", ("ㄴ", "ㅈ"): "ㄵ", ("ㄴ", "ㅎ"): "ㄶ", ("ㄹ", "ㄱ"): "ㄺ", ("ㄹ", "ㅁ"): "ㄻ",
               ("ㄹ", "ㅂ"): "ㄼ", ("ㄹ", "ㅅ"): "ㄽ", ("ㄹ", "ㅌ"): "ㄾ", ("ㄹ", "ㅍ"): "ㄿ", ("ㄹ", "ㅎ"): "ㅀ",
               ("ㅂ", "ㅅ"): "ㅄ"}
SPLIT_VOWEL = {v: k for k, v in VOWEL_PAIRS.items()}
SPLIT_FINAL = {v: k for k, v in FINAL_PAIRS.items()}


def _is_syllable(ch: str) -> bool:
    return 0 <= ord(ch) - SBASE < SCOUNT


def initial_of(ch: str) -> str:
    """The initial consonant of a Hangul syllable (the character itself otherwise)."""
    if _is_syllable(ch):
        return CHO[(ord(ch) - SBASE) // 588]
    return ch


def is_consonant(ch: str) -> bool:
    return ch in CHO


def _prepare(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold().replace(" ", "")


def initials_match(query: str, name: str) -> bool:
    """True when ``query`` occurs in ``name``, where a lone consonant in the query matches any syllable
    starting with it (``ㄱㄷㅎ`` ⊂ 김대호, ``김ㄷ`` ⊂ 김대호). Spaces are ignored."""
    q, n = _prepare(query), _prepare(name)
    if not q:
        return False
    if not any(is_consonant(c) for c in q):
        return q in n
    for start in range(len(n) - len(q) + 1):
        if all(qc == nc or (is_consonant(qc) and initial_of(nc) == qc) for qc, nc in zip(q, n[start:], strict=False)):
            return True
    return False


def _compose(cho: str, jung: str, jong: str = " ") -> str:
    return chr(SBASE + (CHO.index(cho) * 21 + JUNG.index(jung)) * 28 + JONG.index(jong))


def compose_jamo(jamo: list[str]) -> str:
    """Assemble a sequence of compatibility jamo (as typed, key by key) into syllables."""
    out: list[str] = []
    cho = jung = jong = ""

    def flush() -> None:
        nonlocal cho, jung, jong
        if cho and jung:
            out.append(_compose(cho, jung, jong or " "))
        else:
            out.append(cho + jung + jong)
        cho = jung = jong = ""

    for j in jamo:
        if j in JUNG:
            if cho and jung and jong:  # the final consonant moves to the next syllable
                if jong in SPLIT_FINAL:
                    keep, move = SPLIT_FINAL[jong]
                    jong = keep
                else:
                    move, jong = jong, ""
                flush()
                cho, jung = move, j
            elif jung and (jung, j) in VOWEL_PAIRS and not jong:
                jung = VOWEL_PAIRS[(jung, j)]
            elif cho and not jung:
                jung = j
            else:
                flush()
                jung = j
        elif j != " " and (j in CHO or j in JONG):
            if cho and jung and not jong and j in JONG:
                jong = j
            elif cho and jung and jong and (jong, j) in FINAL_PAIRS:
                jong = FINAL_PAIRS[(jong, j)]
            else:
                flush()
                cho = j
        else:
            flush()
            out.append(j)
    flush()
    return "".join(out)


def en_to_ko(text: str) -> str | None:
    """Re-read Latin letters typed on the 2-set layout as Hangul (``dkssud`` → ``안녕``); None when
    ``text`` has no Latin letter to convert."""
    if not any(c.isascii() and c.isalpha() for c in text):
        return None
    jamo = [KEY_TO_JAMO.get(c, KEY_TO_JAMO.get(c.lower(), c)) if c.isascii() and c.isalpha() else c for c in text]
    return compose_jamo(jamo)


def ko_to_en(text: str) -> str | None:
    """The keys that type ``text`` on the 2-set layout (``ㅗ디ㅣㅐ`` → ``hello``); None without Hangul."""
    keys: list[str] = []
    found = False
    for ch in unicodedata.normalize("NFC", text):
        if _is_syllable(ch):
            found = True
            index = ord(ch) - SBASE
            parts = [CHO[index // 588], JUNG[(index % 588) // 28], JONG[index % 28]]
            for part in parts:
                if part == " ":
                    continue
                for piece in SPLIT_VOWEL.get(part) or SPLIT_FINAL.get(part) or (part,):
                    keys.append(JAMO_TO_KEY[piece])
        elif ch in JAMO_TO_KEY or ch in SPLIT_VOWEL or ch in SPLIT_FINAL:
            found = True
            for piece in SPLIT_VOWEL.get(ch) or SPLIT_FINAL.get(ch) or (ch,):
                keys.append(JAMO_TO_KEY[piece])
        else:
            keys.append(ch)
    return "".join(keys) if found else None


def layout_alternatives(query: str) -> list[str]:
    """The query re-read on the other keyboard layout (at most one alternative, differing from it)."""
    alt = en_to_ko(query) if query.isascii() else ko_to_en(query)
    if alt and alt != query and (not query.isascii() or any(_is_syllable(c) for c in alt)):
        return [alt]
    return []
