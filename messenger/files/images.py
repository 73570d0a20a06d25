"""Pillow work for uploads: recognise images, their displayed size, and stripped thumbnails.

Only JPEG, PNG, GIF and WebP count as images. The pixel budget refuses decompression bombs before
any pixel data is decoded; a thumbnail respects the EXIF orientation and carries no metadata.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from messenger.core.errors import ApiError, is_storage_full, storage_full

IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
MAX_PIXELS = 50_000_000  # about 7000 x 7000; larger images are refused as possible decompression bombs
THUMB_SIZE = (320, 320)
_ORIENTATION_SWAPS = {5, 6, 7, 8}  # EXIF orientations that swap width and height

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage


@dataclass(frozen=True)
class ImageInfo:
    mime: str
    width: int
    height: int


def _too_large() -> ApiError:
    return ApiError(400, "image_too_large",
                    f"Image has too many pixels (at most {MAX_PIXELS:,}); it may be a decompression bomb", {"max_pixels": MAX_PIXELS})


def _open(path: Path) -> PILImage:
    """Open ``path`` with the pixel budget enforced (errors for bombs, not warnings)."""
    from PIL import Image  # Pillow loads with the first upload, not at start-up (~2.6 MB)

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(path)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_large() from None
    if img.width * img.height > MAX_PIXELS:
        img.close()
        raise _too_large()
    return img


def inspect(path: Path) -> ImageInfo | None:
    """Image type and displayed size (EXIF orientation applied), or None for non-images."""
    from PIL import UnidentifiedImageError  # Pillow loads with the first upload, not at start-up

    try:
        img = _open(path)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
    with img:
        mime = IMAGE_FORMATS.get(img.format or "")
        if mime is None:
            return None
        width, height = img.size
        try:
            orientation = int(img.getexif().get(0x0112, 1))
        except Exception:  # broken EXIF: show the pixels as stored
            orientation = 1
    if orientation in _ORIENTATION_SWAPS:
        width, height = height, width
    return ImageInfo(mime, width, height)


def make_thumbnail(source: Path, target_stem: Path) -> Path:
    """Write a thumbnail next to ``target_stem`` (``.jpg``, or ``.png`` with transparency); return its path.

    Raises ApiError 400 ``invalid_image`` when the pixels cannot be decoded.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError  # Pillow loads with the first upload, not at start-up

    tmp: Path | None = None
    try:
        with _open(source) as img:
            img.seek(0)  # GIF/WebP: the first frame
            if img.format == "JPEG":
                img.draft("RGB", THUMB_SIZE)  # decode at a reduced scale: fast and small for big photos
            img.load()
            frame = ImageOps.exif_transpose(img)
            has_alpha = frame.mode in ("RGBA", "LA", "PA") or (frame.mode == "P" and "transparency" in frame.info)
            frame = frame.convert("RGBA" if has_alpha else "RGB")
            frame.thumbnail(THUMB_SIZE, Image.Resampling.LANCZOS)
            target = target_stem.with_suffix(".png" if has_alpha else ".jpg")
            tmp = target.with_name(target.name + ".tmp")
            # A fresh image saved without exif/icc/info: no metadata reaches the thumbnail.
            clean = Image.new(frame.mode, frame.size)
            clean.paste(frame)
            if has_alpha:
                clean.save(tmp, "PNG", optimize=True)
            else:
                clean.save(tmp, "JPEG", quality=82, optimize=True)
            os.replace(tmp, target)
            return target
    except ApiError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)  # nothing half-written stays behind
        if is_storage_full(exc):
            raise storage_full() from exc
        raise ApiError(400, "invalid_image", "The image could not be decoded") from None
