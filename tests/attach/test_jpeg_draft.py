"""Large JPEGs decoded at a reduced scale (libjpeg's draft mode): upright, bare, at the limit."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import pytest

from deskchat.attach import Limits, read_file
from tests.attach.files import GPS_MAKER, write


def _photo(width: int, height: int, orientation: int = 1) -> bytes:
    """A smooth photo-like JPEG: red on its left half, blue on its right, a gradient in both;
    a camera maker, a GPS position and ``orientation`` in its EXIF."""
    from PIL import Image

    image = Image.linear_gradient("L").resize((width, height))
    red = Image.merge("RGB", (image.point(lambda v: 128 + v // 2), image.point(lambda v: v // 8),
                              image.point(lambda v: v // 8)))  # fmt: skip
    blue = Image.merge("RGB", (red.getchannel(1), red.getchannel(1), red.getchannel(0)))
    picture = red.copy()
    picture.paste(blue.crop((width // 2, 0, width, height)), (width // 2, 0))
    exif = Image.Exif()
    exif[0x010F] = GPS_MAKER  # Make
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif.tobytes(), quality=92)
    return out.getvalue()


@pytest.fixture
def drafted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The sizes JPEGs were decoded at, after draft() chose its scale."""
    from PIL import JpegImagePlugin

    sizes: list[tuple[int, int]] = []
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self: Any, mode: str | None, size: tuple[int, int] | None) -> Any:
        result = original(self, mode, size)
        sizes.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    return sizes


def test_a_large_photo_is_decoded_at_a_reduced_scale_and_sent_at_the_limit(
    tmp_path: Path, drafted: list[tuple[int, int]]
) -> None:
    from PIL import Image

    path = write(tmp_path, "wide.jpg", _photo(6000, 4000))
    found = read_file(path, Limits(image_side=2048))
    # Half the pixels each way: 3000 x 2000 is the smallest scale still over 2048 long
    # (asking Pillow for 2048 x 2048 would have kept all 6000 x 4000).
    assert drafted == [(3000, 2000)]
    assert (found.width, found.height) == (2048, 1365)
    assert Image.open(io.BytesIO(found.data)).size == (2048, 1365)


@pytest.mark.parametrize(
    ("width", "height", "side"),
    [(4096, 4096, 1024), (4000, 999, 1000), (1999, 3001, 500), (5000, 300, 600)],
)
def test_the_reduced_decode_never_falls_short_of_the_limit(
    tmp_path: Path, drafted: list[tuple[int, int]], width: int, height: int, side: int
) -> None:
    path = write(tmp_path, "photo.jpg", _photo(width, height))
    found = read_file(path, Limits(image_side=side))
    assert max(drafted[0]) >= side
    assert max(found.width, found.height) == side
    assert found.width / found.height == pytest.approx(width / height, rel=0.01)


def test_a_small_photo_is_decoded_whole(tmp_path: Path, drafted: list[tuple[int, int]]) -> None:
    path = write(tmp_path, "small.jpg", _photo(900, 600))
    found = read_file(path, Limits(image_side=1024))
    assert drafted in ([], [(900, 600)])
    assert (found.width, found.height) == (900, 600)


def test_a_rotated_phone_photo_stays_upright_and_loses_its_exif(
    tmp_path: Path, drafted: list[tuple[int, int]]
) -> None:
    from PIL import Image

    # Stored 4000 x 1000 on its side (EXIF orientation 6: turn 90° clockwise to show).
    path = write(tmp_path, "phone.jpg", _photo(4000, 1000, orientation=6))
    found = read_file(path, Limits(image_side=1024))
    assert drafted == [(2000, 500)]  # 1/2: 1/4 would be 1000 long, under 1024
    assert (found.width, found.height) == (256, 1024)
    sent = Image.open(io.BytesIO(found.data)).convert("RGB")
    assert sent.size == (256, 1024)
    # The stored left half (red) is shown on top, the right half (blue) below.
    top, bottom = sent.getpixel((128, 100)), sent.getpixel((128, 924))
    assert isinstance(top, tuple)
    assert isinstance(bottom, tuple)
    assert top[0] > top[2] + 60
    assert bottom[2] > bottom[0] + 60
    assert not sent.getexif()
    assert "exif" not in sent.info
    assert GPS_MAKER.encode() not in found.data
    assert b"Exif" not in found.data


def test_the_reduced_decode_looks_like_the_full_one(tmp_path: Path) -> None:
    from PIL import Image, ImageChops, ImageStat

    data = _photo(4800, 3200)
    found = read_file(write(tmp_path, "photo.jpg", data), Limits(image_side=1200))
    full = Image.open(io.BytesIO(data)).convert("RGB")
    full.thumbnail((1200, 1200), Image.Resampling.LANCZOS)
    sent = Image.open(io.BytesIO(found.data)).convert("RGB")
    assert sent.size == full.size
    error = ImageStat.Stat(ImageChops.difference(sent, full)).rms
    mse = sum(e * e for e in error) / len(error)
    assert 10 * math.log10(255**2 / max(mse, 1e-9)) > 35  # PSNR in dB
