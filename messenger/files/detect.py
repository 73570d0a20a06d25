"""What a file really is, from its bytes (never from the client's Content-Type), and safe names.

A small magic-number table covers what an office shares (PDF, Office, archives, media); images
are recognised by Pillow in ``images``. Executables are recognised by their headers too, so a
renamed ``.exe`` is still refused.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from pathlib import Path

NAME_MAX = 200
_WINDOWS_RESERVED = re.compile(r'[<>:"|?*]')
_RESERVED_STEMS = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}

# (offset, magic, mime, kind) — kind "exe" marks executables
_MAGIC: tuple[tuple[int, bytes, str, str], ...] = (
    (0, b"%PDF-", "application/pdf", ""),
    (0, b"MZ", "application/x-msdownload", "exe"),
    (0, b"\x7fELF", "application/x-executable", "exe"),
    (0, b"\xcf\xfa\xed\xfe", "application/x-mach-binary", "exe"),
    (0, b"\xfe\xed\xfa\xcf", "application/x-mach-binary", "exe"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage", "ole"),
    (0, b"PK\x03\x04", "application/zip", "zip"),
    (0, b"PK\x05\x06", "application/zip", "zip"),
    (0, b"\x1f\x8b", "application/gzip", ""),
    (0, b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed", ""),
    (0, b"Rar!\x1a\x07", "application/vnd.rar", ""),
    (0, b"BZh", "application/x-bzip2", ""),
    (0, b"\xfd7zXZ\x00", "application/x-xz", ""),
    (0, b"BM", "image/bmp", ""),
    (0, b"II*\x00", "image/tiff", ""),
    (0, b"MM\x00*", "image/tiff", ""),
    (0, b"ID3", "audio/mpeg", ""),
    (0, b"OggS", "audio/ogg", ""),
    (0, b"fLaC", "audio/flac", ""),
    (0, b"\x1aE\xdf\xa3", "video/webm", ""),
    (4, b"ftypqt", "video/quicktime", ""),
    (4, b"ftyp", "video/mp4", ""),
    (0, b"{\\rtf", "application/rtf", ""),
    (0, b"HWP Document File", "application/x-hwp", ""),
)
_OLE_BY_EXT = {
    "doc": "application/msword", "xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint",
    "hwp": "application/x-hwp", "msg": "application/vnd.ms-outlook",
}
_OOXML = (
    ("word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
)
_ODF = {
    b"application/vnd.oasis.opendocument.text", b"application/vnd.oasis.opendocument.spreadsheet",
    b"application/vnd.oasis.opendocument.presentation",
}
_TEXT_BY_EXT = {"csv": "text/csv", "md": "text/markdown", "json": "application/json", "xml": "application/xml"}


def sanitise_name(raw: str | None) -> str:
    """A display name safe anywhere: no folders, no control characters, at most NAME_MAX characters.

    Korean and other scripts are kept (NFC). ``../../x.png`` becomes ``x.png``.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = _WINDOWS_RESERVED.sub("_", name).strip().strip(".").strip()
    if name.split(".", 1)[0].lower() in _RESERVED_STEMS:
        name = f"_{name}"
    if not name:
        name = "file"
    if len(name) > NAME_MAX:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            name = stem[: NAME_MAX - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:NAME_MAX]
    return name


def extension(name: str) -> str:
    """The lower-case last extension of a sanitised name ('' when none)."""
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def _zip_mime(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            if "mimetype" in names:
                mimetype = zf.read("mimetype")[:100].strip()
                if mimetype in _ODF:
                    return mimetype.decode()
            for prefix, mime in _OOXML:
                if any(n.startswith(prefix) for n in names):
                    return mime
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError):
        pass
    return "application/zip"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # a multi-byte character cut at the end of the sample


def sniff(path: Path, ext: str) -> tuple[str, bool]:
    """(mime, is_executable) from the file's first bytes; ``ext`` only picks between look-alikes."""
    with open(path, "rb") as fh:
        head = fh.read(8192)
    for offset, magic, mime, kind in _MAGIC:
        if head[offset:offset + len(magic)] == magic:
            if kind == "zip":
                return _zip_mime(path), False
            if kind == "ole":
                return _OLE_BY_EXT.get(ext, mime), False
            return mime, kind == "exe"
    if head.startswith(b"#!"):
        return "text/x-script", False
    if _looks_like_text(head):
        return _TEXT_BY_EXT.get(ext, "text/plain"), False
    return "application/octet-stream", False
