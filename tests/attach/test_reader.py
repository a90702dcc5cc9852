"""Reading files into attachments: images, text, PDFs, and every file that must be refused."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deskchat import attach
from deskchat.attach import (
    BrokenImageError,
    BrokenPdfError,
    EncryptedPdfError,
    FileTooLargeError,
    FileVanishedError,
    ImageTooLargeError,
    Limits,
    NotAFileError,
    PdfTooLongError,
    PdfTooSlowError,
    UnreadableFileError,
    UnsupportedFileError,
    read_file,
)
from deskchat.errors import DeskChatError
from tests.attach.files import (
    GPS_MAKER,
    bomb_png,
    encrypted_pdf,
    jpeg_with_gps,
    many_pages_pdf,
    png,
    text_pdf,
    truncated_jpeg,
    write,
)


def _refusal(exc: pytest.ExceptionInfo[DeskChatError], name: str) -> str:
    """The sentence, checked to be one sentence a person can act on, naming the file."""
    text = exc.value.text()
    assert name in text
    assert text.endswith(".")
    assert "\n" not in text
    assert "Traceback" not in text
    return text


# -- images ---------------------------------------------------------------------


def test_a_photo_is_scaled_to_the_limit_and_loses_its_exif(tmp_path: Path) -> None:
    from PIL import Image

    path = write(tmp_path, "holiday.jpg", jpeg_with_gps(3000, 1000))
    found = read_file(path, Limits(image_side=1024))
    assert (found.kind, found.mime, found.name) == ("image", "image/jpeg", "holiday.jpg")
    assert (found.width, found.height) == (1024, 341)
    assert found.size == path.stat().st_size
    sent = Image.open(io.BytesIO(found.data))
    assert sent.size == (1024, 341)
    assert not sent.getexif()
    assert "exif" not in sent.info
    assert GPS_MAKER.encode() not in found.data
    assert b"Exif" not in found.data


def test_a_screenshot_stays_png_at_its_size(tmp_path: Path) -> None:
    path = write(tmp_path, "shot.png", png(300, 200))
    found = read_file(path)
    assert (found.mime, found.width, found.height) == ("image/png", 300, 200)
    assert found.sha256 == read_file(path).sha256


def test_an_image_is_known_by_its_bytes_not_its_name(tmp_path: Path) -> None:
    path = write(tmp_path, "notes.txt", png(10, 10))
    assert read_file(path).kind == "image"


def test_a_png_header_claiming_100000_by_100000_is_refused_before_decoding(tmp_path: Path) -> None:
    path = write(tmp_path, "bomb.png", bomb_png())
    with pytest.raises(ImageTooLargeError) as exc:
        read_file(path)
    assert "megapixels" in _refusal(exc, "bomb.png")


def test_an_image_just_over_our_limit_is_refused_under_pillows(tmp_path: Path) -> None:
    # 1.5 x the limit: Pillow would only warn; DeskChat refuses.
    path = write(tmp_path, "wide.png", bomb_png(3000, 2000))
    with pytest.raises(ImageTooLargeError):
        read_file(path, Limits(max_pixels=4_000_000))


def test_a_truncated_jpeg_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "cut.jpg", truncated_jpeg())
    with pytest.raises(BrokenImageError) as exc:
        read_file(path)
    _refusal(exc, "cut.jpg")


def test_a_png_that_is_a_text_file_is_refused_as_mislabelled(tmp_path: Path) -> None:
    path = write(tmp_path, "photo.png", "just some text, not pixels\n")
    with pytest.raises(BrokenImageError) as exc:
        read_file(path)
    assert "named as an image" in _refusal(exc, "photo.png")


def test_a_png_with_a_broken_body_is_refused(tmp_path: Path) -> None:
    data = png(50, 50)
    path = write(tmp_path, "garbled.png", data[:40] + b"\x00" * 60 + data[100:])
    with pytest.raises(BrokenImageError):
        read_file(path)


# -- text -----------------------------------------------------------------------


def test_a_text_file_is_fenced_with_its_name_beyond_any_backticks_in_it(tmp_path: Path) -> None:
    body = "# Notes\n\n```python\nprint(1)\n```\nand ```` four\n"
    path = write(tmp_path, "notes.md", body)
    found = read_file(path)
    assert (found.kind, found.text) == ("text", body)
    assert found.prompt_block() == f"`````notes.md\n{body}`````"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("data.csv", b"a,b\n1,2\n"),
        ("app.log", b"\x1b[31mERROR\x1b[0m failed\n"),
        ("config", b'{"key": "value"}'),
        ("russian.txt", "Привет, мир\n".encode()),
        ("bom.txt", "\ufeffwith a BOM\n".encode()),
        ("wide.txt", "UTF-16 text\n".encode("utf-16")),
    ],
)
def test_text_is_known_by_decoding_it(tmp_path: Path, name: str, data: bytes) -> None:
    found = read_file(write(tmp_path, name, data))
    assert found.kind == "text"
    assert not found.text.startswith("\ufeff")


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 4,
        b"ELF\x00\x01\x02" + os.urandom(500),
        b"\x00\x01\x02\x03 not text",
    ],
)
def test_binary_files_are_refused(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(UnsupportedFileError) as exc:
        read_file(write(tmp_path, "blob.bin", data))
    _refusal(exc, "blob.bin")


def test_a_text_too_long_for_the_context_is_refused_with_its_size_and_tokens(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "big.log", "line of a log file\n" * 10_000)  # 190 kB
    with pytest.raises(FileTooLargeError) as exc:
        read_file(path, Limits(max_tokens=1000))
    text = _refusal(exc, "big.log")
    assert "190 kB" in text
    assert "47,500 tokens" in text
    assert exc.value.tokens == 47_500


def test_a_long_text_is_sent_in_part_when_the_caller_agrees(tmp_path: Path) -> None:
    path = write(tmp_path, "big.log", "line of a log file\n" * 10_000)
    found = read_file(path, Limits(max_tokens=1000, allow_partial=True))
    assert found.truncated
    assert found.tokens <= 1000
    assert found.text.startswith("line of a log file\n")
    assert found.text.endswith("\n")


# -- PDFs -------------------------------------------------------------------------


def test_a_pdfs_text_is_read_page_by_page(tmp_path: Path) -> None:
    path = write(tmp_path, "report.pdf", text_pdf("First page words", "Second page words"))
    found = read_file(path)
    assert (found.kind, found.pages) == ("pdf", 2)
    assert found.text == "[Page 1]\nFirst page words\n\n[Page 2]\nSecond page words"
    assert found.prompt_block().startswith("```report.pdf\n[Page 1]\nFirst page words")


def test_a_pdf_is_known_by_its_bytes(tmp_path: Path) -> None:
    found = read_file(write(tmp_path, "report.dat", text_pdf("Hidden PDF")))
    assert found.kind == "pdf"


def test_an_encrypted_pdf_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "locked.pdf", encrypted_pdf())
    with pytest.raises(EncryptedPdfError) as exc:
        read_file(path)
    assert "password" in _refusal(exc, "locked.pdf")


def test_a_malformed_pdf_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\n")
    with pytest.raises(BrokenPdfError) as exc:
        read_file(path)
    assert "damaged" in _refusal(exc, "broken.pdf")


def test_a_pdf_named_so_that_is_not_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BrokenPdfError):
        read_file(write(tmp_path, "paper.pdf", "plain words\n"))


def test_a_pdf_with_very_many_pages_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "huge.pdf", many_pages_pdf(2000))
    with pytest.raises(PdfTooLongError) as exc:
        read_file(path)
    assert "2,000 pages" in _refusal(exc, "huge.pdf")


def test_a_pdf_that_takes_too_long_is_stopped(tmp_path: Path) -> None:
    path = write(tmp_path, "slow.pdf", text_pdf("anything"))
    with pytest.raises(PdfTooSlowError) as exc:
        read_file(path, Limits(pdf_seconds=0.01))
    assert "stopped" in _refusal(exc, "slow.pdf")


def test_the_pdf_reader_is_a_child_that_never_loads_pypdf_here(tmp_path: Path) -> None:
    code = (
        "import sys; from deskchat.attach import read_file;"
        f"read_file({str(write(tmp_path, 'a.pdf', text_pdf('x')))!r});"
        "print('pypdf' in sys.modules, 'PIL' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


# -- paths that are not files -------------------------------------------------------


def test_a_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    with pytest.raises(NotAFileError) as exc:
        read_file(folder)
    assert "folder" in _refusal(exc, "photos")


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError) as exc:
        read_file(tmp_path / "nowhere.txt")
    _refusal(exc, "nowhere.txt")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "secret.txt", "hidden")
    path.chmod(0)
    with pytest.raises(UnreadableFileError) as exc:
        read_file(path)
    assert "permissions" in _refusal(exc, "secret.txt")


@pytest.mark.parametrize(
    ("name", "data"),
    [("notes.txt", "some text\n"), ("photo.png", png()), ("doc.pdf", text_pdf("words"))],
)
def test_a_file_deleted_while_attaching_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, data: bytes | str
) -> None:
    path = write(tmp_path, name, data)
    real_open = Path.open

    def open_then_delete(self: Path, *args: object, **kwargs: object) -> object:
        handle = real_open(self, *args, **kwargs)  # type: ignore[call-overload]
        if self == path:
            self.unlink()
        return handle

    monkeypatch.setattr(Path, "open", open_then_delete)
    if name.endswith(".pdf"):
        from deskchat.attach import pdf

        real_read = pdf.read_pdf_text

        def read_then_delete(*args: object) -> object:
            result = real_read(*args)  # type: ignore[arg-type]
            if path.exists():
                path.unlink()
            return result

        monkeypatch.setattr(pdf, "read_pdf_text", read_then_delete)
    with pytest.raises(FileVanishedError) as exc:
        read_file(path)
    assert "disappeared" in _refusal(exc, name)


def test_a_file_larger_than_the_limit_is_refused_unread(tmp_path: Path) -> None:
    path = write(tmp_path, "movie.mp4", b"\x00" * 2000)
    with pytest.raises(FileTooLargeError) as exc:
        read_file(path, Limits(max_file_bytes=1000))
    assert "2.00 kB" in _refusal(exc, "movie.mp4")


def test_every_refusal_is_a_deskchat_error() -> None:
    for name in attach.__all__:
        value = getattr(attach, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            assert issubclass(value, attach.AttachmentError)
            assert issubclass(value, DeskChatError)
