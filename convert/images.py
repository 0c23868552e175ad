"""Image input and output that real user files survive.

`load_image` turns whatever a user points at (phone photos with EXIF rotation, CMYK JPEGs, 16-bit
PNGs, transparent PNGs, GIFs, huge scans) into a float32 RGB array in [0, 255], and turns every
failure into an `ImageError` with a one-line message that names the file. `save_image` writes
PNG, JPEG or WebP; `check_output_path` validates an output path before any long computation.

Only numpy and Pillow are used. Colour management (ICC profiles) is not applied.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

__all__ = [
    "ImageError",
    "load_image",
    "save_image",
    "check_output_path",
    "SUPPORTED_OUTPUT_EXTENSIONS",
    "shrink",
    "MAX_MEGAPIXELS",
    "list_images",
]

#: File name endings taken as images when a folder is given.
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif")


def list_images(folder) -> list:
    """The image files of a folder (by extension), sorted by name; ImageError if it is no folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ImageError(f"{folder}: not a folder of images")
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)

SUPPORTED_OUTPUT_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")

# Largest image load_image accepts, in megapixels (width * height / 1e6). Read at call time.
MAX_MEGAPIXELS = 200

# Pillow's own decompression-bomb guard defaults to ~89 megapixels; raise it to our limit so a
# 100-megapixel scan is not refused by Pillow before our check (which gives the clearer message).
if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < MAX_MEGAPIXELS * 1_000_000:
    Image.MAX_IMAGE_PIXELS = MAX_MEGAPIXELS * 1_000_000

_SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}

# ISO-BMFF ("ftyp" box) brands of HEIF-family still images.
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs",
                b"mif1", b"mif2", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}

_SNIFF_BYTES = 4096

_ORIENTATION_TAG = 0x0112
# EXIF orientation -> transpose that undoes it (the same table ImageOps.exif_transpose uses).
_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class ImageError(ValueError):
    """A user-facing problem with an image file; str(error) is one line that names the file."""


def _error(path, message: str) -> ImageError:
    text = f"{os.fspath(path)}: {message}"
    return ImageError(" ".join(text.splitlines()))


def _reason(exc: BaseException) -> str:
    """First line of an exception's text, shortened, for use inside a message."""
    text = str(exc).strip().splitlines()
    text = text[0] if text else type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _format_megapixels(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0") if value >= 0.1 else f"{value:.2g}"


# ----------------------------------------------------------------------------------------------
# Loading
# ----------------------------------------------------------------------------------------------

def _read_head(path) -> bytes:
    """Check the path is a readable, non-empty file and return its first bytes."""
    name = os.fspath(path)
    if name == "":
        raise ImageError("no image file given (empty path)")
    if os.path.isdir(name):
        raise _error(path, "is a folder, not an image file")
    if not os.path.exists(name):
        raise _error(path, "no such file")
    try:
        with open(name, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            head = f.read(_SNIFF_BYTES)
    except PermissionError:
        raise _error(path, "permission denied: the file cannot be read") from None
    except OSError as exc:
        raise _error(path, f"the file cannot be read ({_reason(exc)})") from None
    if size == 0 or not head:
        raise _error(path, "the file is empty (0 bytes)")
    return head


def _ftyp_brands(head: bytes) -> set[bytes]:
    """Major and compatible brands of an ISO-BMFF file (HEIC, AVIF, MP4...), or an empty set."""
    if len(head) < 12 or head[4:8] != b"ftyp":
        return set()
    box_size = int.from_bytes(head[0:4], "big")
    end = min(box_size if box_size >= 16 else 16, len(head))
    brands = {head[8:12]}
    brands.update(head[i:i + 4] for i in range(16, end - 3, 4))
    return brands


def _pillow_can_open(format_name: str) -> bool:
    Image.init()
    return format_name in Image.OPEN


def _sniff(path, head: bytes) -> None:
    """Reject formats Pillow cannot read with a message that says what to do instead."""
    brands = _ftyp_brands(head)
    if brands & _AVIF_BRANDS:
        if not _pillow_can_open("AVIF"):
            raise _error(path, "AVIF images are not supported by this installation: "
                               "convert it to JPEG or PNG first")
        return
    if brands & _HEIF_BRANDS:
        if not _pillow_can_open("HEIF"):
            raise _error(path, "HEIC/HEIF photos are not supported: convert it to JPEG or PNG first")
        return

    ext = os.path.splitext(os.fspath(path))[1].lower()
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    lower = text.lower()
    svgz = ext == ".svgz" and head.startswith(b"\x1f\x8b")
    if svgz or lower.startswith((b"<?xml", b"<svg")) or (lower.startswith(b"<") and b"<svg" in lower):
        raise _error(path, "SVG is a vector format: export it as PNG or JPEG first")
    if head.startswith(b"%PDF"):
        raise _error(path, "not an image but a PDF document: export the page as PNG or JPEG first")


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut off at the end of the sniffed block is still text.
        return exc.start >= len(head) - 3
    return True


def _target_size(width: int, height: int, size: int) -> tuple[int, int]:
    """(width, height) whose longer side is `size`, keeping the aspect ratio."""
    if width >= height:
        return size, max(1, int(height * size / width + 0.5))
    return max(1, int(width * size / height + 0.5)), size


def _orientation(img: Image.Image) -> int:
    try:
        value = int(img.getexif().get(_ORIENTATION_TAG, 1))
    except Exception:  # broken EXIF must not make a photo unloadable
        return 1
    return value if value in _ORIENTATION_TRANSPOSE else 1


def _to_rgb8(img: Image.Image, path) -> Image.Image:
    """8-bit RGB; anything transparent is composited on white."""
    mode = img.mode
    transparent = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        img.info.get("transparency") is not None and mode in ("P", "L", "RGB", "1")) or (
        mode == "P" and img.palette is not None and img.palette.mode == "RGBA")
    if transparent:
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if mode == "RGB":
        return img
    try:
        return img.convert("RGB")
    except (ValueError, OSError) as exc:
        raise _error(path, f"unsupported colour mode {mode} ({_reason(exc)})") from None


def _high_depth_to_float(img: Image.Image) -> Image.Image:
    """Single-channel 16/32-bit integer or float image -> mode F scaled to [0, 255]."""
    raw = np.asarray(img)
    values = raw.astype(np.float32)
    if img.mode == "F":
        values = np.nan_to_num(values, nan=0.0, posinf=255.0, neginf=0.0)
        if values.size and values.min() >= 0.0 and values.max() <= 1.0:
            values *= 255.0  # float images are usually normalised to [0, 1]
    else:
        values *= 255.0 / 65535.0  # 16-bit range; mode I from PNG/TIFF holds 16-bit samples
    trns = img.info.get("transparency")
    if isinstance(trns, int) and img.mode != "F":
        values[raw == trns] = 255.0  # transparent on white
    return Image.fromarray(np.clip(values, 0.0, 255.0).astype(np.float32))


def _is_high_depth(mode: str) -> bool:
    return mode in ("I", "F") or mode.startswith("I;16")


def _decode(img: Image.Image, path, size: int | None, enlarge: bool = True) -> np.ndarray:
    width, height = img.size
    if size is not None and not enlarge and max(width, height) <= size:
        size = None
    pixels = width * height
    limit = MAX_MEGAPIXELS * 1_000_000
    if pixels > limit:
        raise _error(path, f"is too large ({_format_megapixels(pixels / 1e6)} megapixels; "
                           f"the limit is {_format_megapixels(MAX_MEGAPIXELS)})")
    target = _target_size(width, height, size) if size is not None else None

    if target is not None and img.format == "JPEG":
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale while staying >= 2x the target, so the
        # Lanczos pass still has detail to work with. Does nothing unless the image is large.
        try:
            img.draft(None, (2 * target[0], 2 * target[1]))
        except Exception:
            pass

    try:
        img.load()
    except MemoryError:
        raise _error(path, f"not enough memory to decode this {width}x{height} image") from None
    except Exception as exc:
        raise _error(path, "the image data is truncated or corrupt and cannot be decoded "
                           f"({_reason(exc)})") from None

    orientation = _orientation(img)
    try:
        if _is_high_depth(img.mode):
            out = _high_depth_to_float(img)
        else:
            out = _to_rgb8(img, path)
        if target is not None and out.size != target:
            out = out.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
        if orientation != 1:
            out = out.transpose(_ORIENTATION_TRANSPOSE[orientation])
        array = np.array(out, dtype=np.float32)
    except ImageError:
        raise
    except MemoryError:
        raise _error(path, f"not enough memory to process this {width}x{height} image") from None
    except Exception as exc:
        raise _error(path, f"the image cannot be converted to RGB ({_reason(exc)})") from None

    if array.ndim == 2:
        array = np.repeat(np.clip(array, 0.0, 255.0)[:, :, None], 3, axis=2)
    return np.ascontiguousarray(array)


def load_image(path, size: int | None = None, enlarge: bool = True) -> np.ndarray:
    """Load an image file as a float32 RGB array of shape (H, W, 3) with values in [0, 255].

    The array is oriented as a viewer shows the photo (EXIF orientation applied). Transparent
    pixels are composited on white, 16-bit images are scaled (not clipped) to [0, 255], and
    multi-frame files (GIF, TIFF) give their first frame. If `size` is given the image is
    resized with Lanczos so its longer side is exactly `size` pixels (up or down; only down with
    ``enlarge=False``), keeping the aspect ratio.

    Raises ImageError, with a one-line message naming the file, for a missing, empty, unreadable,
    corrupt, unsupported (HEIC, SVG...) or too large (> MAX_MEGAPIXELS) file.
    """
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"size must be a positive integer, got {size!r}")
        size = int(size)

    head = _read_head(path)
    _sniff(path, head)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            img = Image.open(os.fspath(path))
        except Image.DecompressionBombError as exc:
            match = re.search(r"\((\d+) pixels\)", str(exc))
            found = (f"{_format_megapixels(int(match.group(1)) / 1e6)} megapixels; "
                     if match else "")
            raise _error(path, f"is too large ({found}the limit is "
                               f"{_format_megapixels(MAX_MEGAPIXELS)})") from None
        except UnidentifiedImageError:
            if _looks_like_text(head):
                raise _error(path, "not an image: it is a text file") from None
            raise _error(path, "not an image, or an image format that cannot be read") from None
        except PermissionError:
            raise _error(path, "permission denied: the file cannot be read") from None
        except MemoryError:
            raise _error(path, "not enough memory to open this image") from None
        except Exception as exc:
            raise _error(path, "the image is corrupt and cannot be opened "
                               f"({_reason(exc)})") from None
        with img:
            return _decode(img, path, size, enlarge)


# ----------------------------------------------------------------------------------------------
# Saving
# ----------------------------------------------------------------------------------------------

def _extension(path) -> str:
    return os.path.splitext(os.fspath(path))[1].lower()


def _unsupported_extension(path) -> ImageError:
    ext = _extension(path)
    what = f"'{ext}' is not a supported output format" if ext else "no file extension"
    return _error(path, f"{what}: use {', '.join(SUPPORTED_OUTPUT_EXTENSIONS)}")


def check_output_path(path) -> None:
    """Check that an image can be written to `path`, before doing long work.

    The extension must be one of SUPPORTED_OUTPUT_EXTENSIONS, the path must not be a folder, and
    its parent folder must exist and be writable, or be creatable (its nearest existing ancestor
    is a writable folder). Nothing is created. Raises ImageError with a one-line message.
    """
    name = os.fspath(path)
    if name == "":
        raise ImageError("no output file given (empty path)")
    if _extension(name) not in SUPPORTED_OUTPUT_EXTENSIONS:
        raise _unsupported_extension(path)
    if os.path.isdir(name):
        raise _error(path, "is an existing folder, not a file name")
    if os.path.exists(name) and not os.access(name, os.W_OK):
        raise _error(path, "the file exists and is not writable")

    parent = os.path.dirname(os.path.abspath(name))
    if os.path.isdir(parent):
        if not os.access(parent, os.W_OK | os.X_OK):
            raise _error(path, f"the folder {parent} is not writable")
        return
    ancestor = parent
    while not os.path.exists(ancestor):
        up = os.path.dirname(ancestor)
        if up == ancestor:
            break
        ancestor = up
    if not os.path.isdir(ancestor):
        raise _error(path, f"cannot create the folder {parent}: {ancestor} is a file")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise _error(path, f"cannot create the folder {parent}: {ancestor} is not writable")


def shrink(image, longer: int) -> np.ndarray:
    """An HxWx3 image in [0, 255] rounded to 8 bits and shrunk (never enlarged) to longer side ``longer``."""
    im = Image.fromarray(np.clip(np.rint(image), 0, 255).astype(np.uint8))
    im.thumbnail((longer, longer), Image.Resampling.LANCZOS)
    return np.asarray(im, np.float32)


def fill(image, shape) -> np.ndarray:
    """``image`` centre-cropped and scaled to fill ``shape`` (height, width), float32."""
    h, w = shape
    im = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
    scale = max(h / im.height, w / im.width)
    im = im.resize((max(w, round(im.width * scale)), max(h, round(im.height * scale))), Image.BILINEAR)
    left, top = (im.width - w) // 2, (im.height - h) // 2
    return np.asarray(im.crop((left, top, left + w, top + h)), np.float32)


def grid(rows: list[list[np.ndarray]], gap: int = 2) -> np.ndarray:
    """Rows of images laid out on white, each in a cell the size of the largest, ``gap`` px apart."""
    height = max(im.shape[0] for row in rows for im in row)
    width = max(im.shape[1] for row in rows for im in row)
    cols = max(len(r) for r in rows)
    out = np.full((len(rows) * (height + gap) - gap, cols * (width + gap) - gap, 3), 255, np.float32)
    for i, row in enumerate(rows):
        for j, im in enumerate(row):
            y, x = i * (height + gap), j * (width + gap)
            out[y: y + im.shape[0], x: x + im.shape[1]] = im
    return out


def save_image(path, array) -> None:
    """Write an (H, W, 3) RGB array with values in [0, 255] (float or uint8) as an image.

    Floats are rounded and clipped to uint8 (NaN becomes 0). The format follows the extension:
    .png, .jpg/.jpeg (quality 95) or .webp (quality 95). Missing parent folders are created.
    Raises ImageError for an unsupported extension or a failed write, ValueError for a bad array.
    """
    ext = _extension(path)
    if ext not in _SAVE_FORMATS:
        raise _unsupported_extension(path)

    data = np.asarray(array)
    if data.ndim != 3 or data.shape[2] != 3 or data.shape[0] < 1 or data.shape[1] < 1:
        raise ValueError(f"expected an image array of shape (H, W, 3), got {data.shape}")
    if data.dtype != np.uint8:
        if not (np.issubdtype(data.dtype, np.floating) or np.issubdtype(data.dtype, np.integer)
                or data.dtype == np.bool_):
            raise ValueError(f"expected a numeric image array, got dtype {data.dtype}")
        data = np.nan_to_num(data.astype(np.float64), nan=0.0, posinf=255.0, neginf=0.0)
        data = np.clip(np.rint(data), 0, 255).astype(np.uint8)
    image = Image.fromarray(np.ascontiguousarray(data))

    name = os.fspath(path)
    parent = os.path.dirname(os.path.abspath(name))
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as exc:
        raise _error(path, f"cannot create the folder {parent} ({_reason(exc)})") from None
    if os.path.isdir(name):
        raise _error(path, "is an existing folder, not a file name")

    fmt = _SAVE_FORMATS[ext]
    options = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    try:
        image.save(name, format=fmt, **options)
    except PermissionError:
        raise _error(path, "permission denied: the file cannot be written") from None
    except OSError as exc:
        raise _error(path, f"the image cannot be written ({_reason(exc)})") from None
