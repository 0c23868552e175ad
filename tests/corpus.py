"""The bad-input corpus: awkward and broken files that visitors and users really have, made here.

Each case says what the page and the command line must do with it: paint it (``"ok"``), or refuse it
with a message containing a keyword. tests/test_site.py sends every file through the page,
tests/test_cli.py through ``deepstyle stylize``; scripts/figures/bad_inputs_table.py writes the README table.
"""

from __future__ import annotations

import io
import json
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Case:
    file: str
    what: str
    page: tuple[str, str]  # ("ok", "") or ("error", keyword in the message)
    cli: tuple[str, str]
    #: the painted size (width, height) when the photo is painted at 512 px, if it is painted
    size: tuple[int, int] | None = None


CASES = [
    Case("empty.jpg", "zero-byte file", ("error", "empty"), ("error", "empty")),
    Case("notes.jpg", "text file renamed .jpg", ("error", "not an image"), ("error", "text file")),
    Case("cut.jpg", "JPEG cut off half-way", ("error", "incomplete"), ("error", "truncated")),
    Case("huge.png", "50-megapixel PNG (10000 x 5000)", ("ok", ""), ("ok", ""), (512, 256)),
    Case("cmyk.jpg", "CMYK JPEG", ("ok", ""), ("ok", ""), (96, 64)),
    Case("deep.png", "16-bit RGB PNG", ("ok", ""), ("ok", ""), (96, 64)),
    Case("palette.png", "palette PNG with a transparent colour", ("ok", ""), ("ok", ""), (96, 64)),
    Case("grey.jpg", "greyscale JPEG", ("ok", ""), ("ok", ""), (96, 64)),
    Case("rotated.jpg", "JPEG with EXIF orientation 6 (stored sideways)", ("ok", ""), ("ok", ""), (64, 96)),
    Case("phone.heic", "HEIC header (iPhone photo)", ("error", "HEIC"), ("error", "HEIC")),
    Case("drawing.svg", "SVG drawing", ("error", "SVG"), ("error", "SVG")),
    # Thinner than the networks' deepest features: painted as a larger picture, cropped back.
    Case("dot.png", "1 x 1 PNG", ("ok", ""), ("ok", ""), (1, 1)),
    Case("panorama.png", "20000 x 20 panorama (512 x 1 when shrunk)", ("ok", ""), ("ok", ""), (512, 1)),
    Case("strip.png", "3 x 5000 strip (1 x 512 when shrunk)", ("ok", ""), ("ok", ""), (1, 512)),
    Case("vast.png", "40000 x 40000 PNG of zeros (1,600 megapixels, 0.2 MB)", ("error", "too large"),
         ("error", "too large")),
]


def _photo(width=96, height=64) -> np.ndarray:
    """A small colourful test picture: gradients and a disc, so that orientation and colour show."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 255 * x / (width - 1)
    g = 255 * y / (height - 1)
    b = np.where((x - width / 3) ** 2 + (y - height / 2) ** 2 < (height / 4) ** 2, 255.0, 60.0)
    return np.stack([r, g, b], -1).round().astype(np.uint8)


def _png16(width: int, height: int, rgb16: np.ndarray) -> bytes:
    """A 16-bit RGB PNG written by hand (Pillow cannot write 16-bit RGB)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + rgb16[row].astype(">u2").tobytes() for row in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def _vast_png(width: int, height: int) -> bytes:
    """A 1-bit greyscale PNG of zeros, compressed row by row (the picture would be 1.6 GB decoded)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    squeeze = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)
    data = b"".join(squeeze.compress(row) for _ in range(height)) + squeeze.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def make_corpus(folder) -> list[tuple[Case, Path]]:
    """Write every case's file into ``folder``; returns (case, path) pairs in CASES order."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    photo = _photo()
    files = {
        "empty.jpg": b"",
        "notes.jpg": b"Shopping list: eggs, milk, bread.\nThis is a text file, not a photo.\n",
        "phone.heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(200),
        "drawing.svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="96" height="64">'
                       b'<circle cx="32" cy="32" r="20" fill="red"/></svg>',
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)

    buffer = io.BytesIO()
    noisy = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    Image.fromarray(noisy).save(buffer, "JPEG", quality=90)
    (folder / "cut.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])

    y, x = np.mgrid[0:5000, 0:10000]
    huge = np.stack([(x * 255 // 9999), (y * 255 // 4999), np.full_like(x, 128)], -1).astype(np.uint8)
    Image.fromarray(huge).save(folder / "huge.png", compress_level=1)

    Image.fromarray(photo).convert("CMYK").save(folder / "cmyk.jpg", quality=95)
    (folder / "deep.png").write_bytes(_png16(96, 64, photo.astype(np.uint16) * 257))
    palette = Image.fromarray(photo).quantize(16)
    index = np.asarray(palette)
    transparent = int(index[0, 0])
    palette.save(folder / "palette.png", transparency=transparent)
    Image.fromarray(photo).convert("L").save(folder / "grey.jpg", quality=95)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(photo).save(folder / "rotated.jpg", quality=95, exif=exif)
    Image.fromarray(np.full((1, 1, 3), (200, 120, 40), np.uint8)).save(folder / "dot.png")
    (folder / "vast.png").write_bytes(_vast_png(40000, 40000))
    ramp = np.linspace(0, 255, 20000)
    Image.fromarray(np.stack([ramp, 255 - ramp, np.full_like(ramp, 90)], -1)[None].repeat(20, 0).astype(np.uint8)
                    ).save(folder / "panorama.png")
    ramp = np.linspace(0, 255, 5000)
    Image.fromarray(np.stack([np.full_like(ramp, 60), ramp, 255 - ramp], -1)[:, None].repeat(3, 1).astype(np.uint8)
                    ).save(folder / "strip.png")
    return [(case, folder / case.file) for case in CASES]


def record(where: str, seen: dict) -> None:
    """Keep what a corpus test saw (``where``: "page" or "cli") in the JSON file named by
    DEEPSTYLE_RECORD_BAD_INPUTS, for scripts/figures/bad_inputs_table.py; nothing when it is not set."""
    name = os.environ.get("DEEPSTYLE_RECORD_BAD_INPUTS")
    if not name:
        return
    path = Path(name)
    saved = json.loads(path.read_text()) if path.exists() else {}
    saved[where] = seen
    path.write_text(json.dumps(saved, indent=1))
