"""Images: decoded with a cap on pixels, scaled to the provider's limit, re-encoded bare.

Pillow is imported here, and this module only when an image is attached.
Re-encoding from the pixels alone leaves every piece of metadata behind:
EXIF (the camera, the time, the GPS position), XMP, ICC profiles, PNG text
chunks. The EXIF orientation is applied first, so a phone photo stays upright.
"""

from __future__ import annotations

import io
import logging
import warnings
from typing import TYPE_CHECKING

from deskchat.i18n import _, number

from .errors import BrokenImageError, ImageTooLargeError
from .models import Attachment, Limits

if TYPE_CHECKING:
    from PIL import Image as PILImage

__all__ = ["read_image"]

log = logging.getLogger("deskchat.attach")

# The decoders DeskChat lets Pillow use: the formats people attach. Fewer
# decoders, fewer ways for a hostile file in.
FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP")


def read_image(data: bytes, name: str, size: int, limits: Limits) -> Attachment:
    """``data`` (a whole image file) as an attachment within ``limits``.

    Raises:
        ImageTooLargeError: it decodes to more than ``limits.max_pixels`` pixels.
        BrokenImageError: it is truncated, damaged or in no format DeskChat reads.
    """
    from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

    # Pillow's own guard, below ours: it warns above MAX_IMAGE_PIXELS and refuses
    # above twice that; the warning is made an error below.
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=FORMATS) as opened:
                _check_pixels(opened.size, name, limits)
                if opened.format == "JPEG":
                    _draft(opened, limits.image_side)
                opened.seek(0)
                opened.load()
                upright = ImageOps.exif_transpose(opened)
                encoded, mime, width, height = _encode(upright, opened.format or "", limits)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_large(name, limits) from exc
        except ImageTooLargeError:
            raise
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            log.info("image %s refused: %s", name, exc)
            raise BrokenImageError(
                _(
                    "“{name}” is damaged or cut short, or in an image format DeskChat does "
                    "not read (PNG, JPEG, GIF, WebP, BMP); open it in an image viewer and "
                    "save it again as PNG or JPEG."
                ).format(name=name)
            ) from exc
    return Attachment(name, "image", mime, encoded, size=size, width=width, height=height)


def _draft(jpeg: PILImage.Image, side: int) -> None:
    """Let libjpeg decode a large JPEG at 1/2, 1/4 or 1/8 scale, still at least ``side`` long.

    Far less work than decoding every pixel and scaling them down after, and
    libjpeg holds the GIL for shorter pieces (the window's thread waits on them).
    Pillow picks the largest reduction that keeps *both* sides at least the size
    asked, so the size asked is the one the image is scaled to: asking for
    ``side`` × ``side`` would never reduce a 6000 × 4000 photo for 2048 px.
    """
    width, height = jpeg.size
    longest = max(width, height)
    if longest <= side:
        return
    target = (max(1, -(-width * side // longest)), max(1, -(-height * side // longest)))
    jpeg.draft("RGB", target)


def _check_pixels(dimensions: tuple[int, int], name: str, limits: Limits) -> None:
    width, height = dimensions
    if width <= 0 or height <= 0:
        raise ValueError("an image without pixels")
    if width * height > limits.max_pixels:
        raise _too_large(name, limits, width, height)


def _too_large(name: str, limits: Limits, width: int = 0, height: int = 0) -> ImageTooLargeError:
    if width and height:
        return ImageTooLargeError(
            _(
                "“{name}” is {width} × {height} pixels, more than the {limit} megapixels "
                "DeskChat decodes; scale it down in an image editor first."
            ).format(
                name=name,
                width=number(width),
                height=number(height),
                limit=number(limits.max_pixels // 1_000_000),
            )
        )
    return ImageTooLargeError(
        _(
            "“{name}” claims more pixels than the {limit} megapixels DeskChat decodes; scale "
            "it down in an image editor first."
        ).format(name=name, limit=number(limits.max_pixels // 1_000_000))
    )


def _encode(
    image: PILImage.Image, source_format: str, limits: Limits
) -> tuple[bytes, str, int, int]:
    """The pixels alone, scaled to fit, as PNG (lossless) or JPEG (photos, or too large)."""
    from PIL import Image

    alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    mode = "RGBA" if alpha else "RGB"
    frame = image.convert(mode)
    if max(frame.size) > limits.image_side:
        frame.thumbnail((limits.image_side, limits.image_side), Image.Resampling.LANCZOS)
    # A new image with the pixels pasted in: nothing of the file's info (EXIF, XMP,
    # ICC, text chunks) comes along, whatever a format's saver would copy. (paste
    # lets other threads run; tobytes would hold the GIL for a frame or more.)
    bare = Image.new(mode, frame.size)
    bare.paste(frame)
    if source_format != "JPEG":
        out = io.BytesIO()
        bare.save(out, "PNG", optimize=False)
        if out.tell() <= limits.image_bytes:
            return out.getvalue(), "image/png", bare.width, bare.height
    if alpha:
        flat = Image.new("RGB", bare.size, (255, 255, 255))
        flat.paste(bare, mask=bare.getchannel("A"))
        bare = flat
    quality = 90
    while True:
        out = io.BytesIO()
        # No optimize=True: its extra pass holds the GIL ~70 ms (the window would stall).
        bare.save(out, "JPEG", quality=quality)
        if out.tell() <= limits.image_bytes or quality <= 50:
            return out.getvalue(), "image/jpeg", bare.width, bare.height
        quality -= 20
