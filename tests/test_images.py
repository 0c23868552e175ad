"""Tests for convert.images: awkward-but-valid files load right, bad files give clear errors.

Every test file is generated in pytest's tmp_path; no image files live in the repository.
"""

import os
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageOps, features

from convert import images
from convert.images import (
    SUPPORTED_OUTPUT_EXTENSIONS,
    ImageError,
    check_output_path,
    load_image,
    save_image,
)

RED = (255, 0, 0)
BLUE = (0, 0, 255)
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def assert_clear_error(excinfo, path, *keywords):
    """The message is one line, names the file and contains every keyword (case-insensitive)."""
    message = str(excinfo.value)
    assert "\n" not in message and "\r" not in message, message
    assert os.path.basename(os.fspath(path)) in message, message
    for word in keywords:
        assert word.lower() in message.lower(), f"{word!r} not in {message!r}"
    assert "Traceback" not in message


def check_array(array, shape):
    assert isinstance(array, np.ndarray)
    assert array.dtype == np.float32
    assert array.shape == shape
    assert array.min() >= 0.0 and array.max() <= 255.0


def write_png16_rgb(path, rgb16):
    """A 16-bit-per-channel RGB PNG (colour type 2, depth 16), which Pillow cannot write."""
    height, width, _ = rgb16.shape
    raw = b"".join(b"\x00" + rgb16[y].astype(">u2").tobytes() for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
                     + chunk(b"IEND", b""))


def noise_jpeg(path, size=(200, 150)):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(path, quality=90)


def half_and_half(width, height, left=RED, right=BLUE):
    img = Image.new("RGB", (width, height), right)
    img.paste(left, (0, 0, width // 2, height))
    return img


# ----------------------------------------------------------------------------------------------
# Bad input: every failure is an ImageError with a one-line message naming the file
# ----------------------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    path = tmp_path / "nope.jpg"
    with pytest.raises(ImageError) as excinfo:
        load_image(path)
    assert_clear_error(excinfo, path, "no such file")


def test_directory(tmp_path):
    path = tmp_path / "folder.png"
    path.mkdir()
    with pytest.raises(ImageError) as excinfo:
        load_image(path)
    assert_clear_error(excinfo, path, "folder")


@pytest.mark.skipif(IS_ROOT, reason="root can read any file")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.png"
    Image.new("RGB", (4, 4)).save(path)
    path.chmod(0)
    try:
        with pytest.raises(ImageError) as excinfo:
            load_image(path)
        assert_clear_error(excinfo, path, "permission denied")
    finally:
        path.chmod(0o644)


def test_zero_byte_file(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"")
    with pytest.raises(ImageError) as excinfo:
        load_image(path)
    assert_clear_error(excinfo, path, "empty", "0 bytes")


def test_text_renamed_jpg(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("This is my shopping list, not a photo.\nMilk\nEggs\n")
    with pytest.raises(ImageError) as excinfo:
        load_image(path)
    assert_clear_error(excinfo, path, "not an image", "text")


def test_binary_garbage(tmp_path):
    path = tmp_path / "garbage.png"
    path.write_bytes(bytes(np.random.default_rng(1).integers(0, 256, 3000, dtype=np.uint8)) + b"\x00")
    with pytest.raises(ImageError) as excinfo:
        load_image(path)
    assert_clear_error(excinfo, path, "not an image")


def test_truncated_jpeg(tmp_path):
    path = tmp_path / "half.jpg"
    noise_jpeg(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError) as excinfo:
        load_image(path)
    assert_clear_error(excinfo, path, "truncated or corrupt")
    # A resized load (which takes the JPEG draft path) must fail the same way.
    with pytest.raises(ImageError) as excinfo:
        load_image(path, size=50)
    assert_clear_error(excinfo, path, "truncated or corrupt")


def test_truncated_png(tmp_path):
    path = tmp_path / "half.png"
    rng = np.random.default_rng(2)
    Image.fromarray(rng.integers(0, 256, (100, 100, 3), dtype=np.uint8)).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError) as excinfo:
        load_image(path)
    assert_clear_error(excinfo, path, "corrupt")


def test_truncated_images_flag_left_alone():
    from PIL import ImageFile
    assert not ImageFile.LOAD_TRUNCATED_IMAGES


@pytest.mark.parametrize("header", [
    b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
    b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1heicmiaf",
    b"\x00\x00\x00\x14ftypheix\x00\x00\x00\x00heix",
])
def test_heic_rejected(tmp_path, header):
    path = tmp_path / "IMG_0001.HEIC"
    path.write_bytes(header + b"\x00" * 64)
    with pytest.raises(ImageError) as excinfo:
        load_image(path)
    assert_clear_error(excinfo, path, "HEIC/HEIF", "not supported", "JPEG or PNG")


def test_heic_renamed_jpg_rejected(tmp_path):
    path = tmp_path / "holiday.jpg"
    path.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64)
    with pytest.raises(ImageError) as excinfo:
        load_image(path)
    assert_clear_error(excinfo, path, "HEIC")


def test_mp4_is_not_called_heic(tmp_path):
    path = tmp_path / "clip.jpg"
    path.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64)
    with pytest.raises(ImageError) as excinfo:
        load_image(path)
    assert_clear_error(excinfo, path, "not an image")
    assert "HEIC" not in str(excinfo.value)


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow has no AVIF support")
def test_avif_accepted_when_pillow_supports_it(tmp_path):
    path = tmp_path / "photo.avif"
    half_and_half(64, 32).save(path, quality=90)
    assert path.read_bytes()[4:8] == b"ftyp"
    array = load_image(path)
    check_array(array, (32, 64, 3))
    assert np.allclose(array[16, 8], RED, atol=30)
    assert np.allclose(array[16, 56], BLUE, atol=30)


@pytest.mark.parametrize("text", [
    '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>',
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>',
    '\ufeff  <!-- made by hand -->\n<svg xmlns="http://www.w3.org/2000/svg"></svg>',
])
def test_svg_rejected(tmp_path, text):
    path = tmp_path / "logo.svg"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImageError) as excinfo:
        load_image(path)
    assert_clear_error(excinfo, path, "SVG", "vector", "PNG or JPEG")


def test_too_large_by_our_limit(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    Image.new("RGB", (1000, 1000), RED).save(path)
    monkeypatch.setattr(images, "MAX_MEGAPIXELS", 0.5)
    with pytest.raises(ImageError) as excinfo:
        load_image(path, size=64)
    assert_clear_error(excinfo, path, "too large", "1 megapixels", "the limit is 0.5")


def test_too_large_by_pillow_bomb_guard(tmp_path, monkeypatch):
    path = tmp_path / "bomb.png"
    Image.new("RGB", (1000, 1000), RED).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # Pillow raises above 2x this
    with pytest.raises(ImageError) as excinfo:
        load_image(path)
    assert_clear_error(excinfo, path, "too large", "1 megapixels", "the limit is 200")


def test_pillow_limit_raised():
    assert Image.MAX_IMAGE_PIXELS is None or Image.MAX_IMAGE_PIXELS >= 200_000_000


@pytest.mark.parametrize("bad", [0, -5, 2.5, True, "512"])
def test_bad_size_argument(tmp_path, bad):
    path = tmp_path / "a.png"
    Image.new("RGB", (4, 4)).save(path)
    with pytest.raises(ValueError):
        load_image(path, size=bad)


# ----------------------------------------------------------------------------------------------
# Awkward but valid files
# ----------------------------------------------------------------------------------------------

def test_plain_rgb_exact(tmp_path):
    path = tmp_path / "exact.png"
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (7, 9, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    array = load_image(path)
    check_array(array, (7, 9, 3))
    np.testing.assert_array_equal(array, pixels.astype(np.float32))
    array[0, 0] = 1.0  # the result is an ordinary writable array


def test_cmyk_jpeg_red(tmp_path):
    path = tmp_path / "print.jpg"
    Image.new("CMYK", (32, 16), (0, 255, 255, 0)).save(path, quality=95)
    with Image.open(path) as check:
        assert check.mode == "CMYK"  # Pillow writes Adobe-style inverted CMYK
    array = load_image(path)
    check_array(array, (16, 32, 3))
    assert np.allclose(array.reshape(-1, 3).mean(axis=0), RED, atol=12)


def test_cmyk_jpeg_resized_via_draft(tmp_path):
    path = tmp_path / "print_big.jpg"
    Image.new("CMYK", (1600, 800), (0, 255, 255, 0)).save(path, quality=90)
    array = load_image(path, size=100)
    check_array(array, (50, 100, 3))
    assert np.allclose(array.reshape(-1, 3).mean(axis=0), RED, atol=12)


def test_16bit_grey_png_scaled_not_clipped(tmp_path):
    path = tmp_path / "grey16.png"
    Image.fromarray(np.full((10, 12), 40000, dtype=np.uint16)).save(path)
    with Image.open(path) as check:
        assert check.mode.startswith("I")
    array = load_image(path)
    check_array(array, (10, 12, 3))
    assert np.allclose(array, 40000 * 255 / 65535, atol=0.01)  # about 155.6, not 255


def test_16bit_grey_png_gradient_resized(tmp_path):
    path = tmp_path / "ramp16.png"
    ramp = np.tile(np.linspace(0, 65535, 200).astype(np.uint16), (100, 1))
    Image.fromarray(ramp).save(path)
    array = load_image(path, size=50)
    check_array(array, (25, 50, 3))
    assert array[:, 0].mean() < 10 and array[:, -1].mean() > 245
    assert np.all(np.diff(array[12, :, 0]) > 0)  # still a smooth ramp, no clipping plateau


def test_16bit_rgb_png(tmp_path):
    path = tmp_path / "rgb16.png"
    rgb16 = np.zeros((6, 8, 3), dtype=np.uint16)
    rgb16[...] = (65535, 32896, 0)
    write_png16_rgb(path, rgb16)
    array = load_image(path)
    check_array(array, (6, 8, 3))
    assert np.allclose(array, (255, 128, 0), atol=1)


def test_16bit_tiff_big_endian_and_int32(tmp_path):
    big = tmp_path / "big_endian.tif"
    Image.frombytes("I;16B", (5, 5), np.full((5, 5), 40000, dtype=">u2").tobytes()).save(big)
    with Image.open(big) as check:
        assert check.mode == "I;16B"
    array = load_image(big)
    check_array(array, (5, 5, 3))
    assert np.allclose(array, 40000 * 255 / 65535, atol=0.01)

    mode_i = tmp_path / "mode_i.tif"
    Image.fromarray(np.full((5, 5), 32768, dtype=np.int32)).save(mode_i)
    with Image.open(mode_i) as check:
        assert check.mode == "I"
    assert np.allclose(load_image(mode_i), 32768 * 255 / 65535, atol=0.01)


def test_float_tiff(tmp_path):
    unit = tmp_path / "unit.tif"
    Image.fromarray(np.full((4, 6), 0.5, dtype=np.float32)).save(unit)
    array = load_image(unit)
    check_array(array, (4, 6, 3))
    assert np.allclose(array, 127.5, atol=0.01)

    wide = tmp_path / "wide.tif"
    values = np.array([[-10.0, 100.0, 400.0, np.nan]], dtype=np.float32)
    Image.fromarray(values).save(wide)
    np.testing.assert_allclose(load_image(wide)[0, :, 0], [0.0, 100.0, 255.0, 0.0])


def test_palette_png_with_transparent_index(tmp_path):
    path = tmp_path / "palette.png"
    img = Image.new("P", (8, 4), 0)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * (256 * 3 - 6))
    img.paste(1, (4, 0, 8, 4))  # right half: index 1 (red); left half index 0 (transparent)
    img.save(path, transparency=0)
    with Image.open(path) as check:
        assert check.mode == "P" and "transparency" in check.info
    array = load_image(path)
    check_array(array, (4, 8, 3))
    assert np.allclose(array[:, :4], 255)  # transparent black -> white
    assert np.allclose(array[:, 4:], RED)


def test_rgba_half_transparent(tmp_path):
    path = tmp_path / "rgba.png"
    img = Image.new("RGBA", (6, 6), (255, 0, 0, 128))
    img.paste((0, 0, 255, 255), (0, 0, 3, 6))
    img.save(path)
    array = load_image(path)
    check_array(array, (6, 6, 3))
    assert np.allclose(array[:, :3], BLUE)  # opaque keeps its colour
    assert np.allclose(array[:, 3:], (255, 127, 127), atol=1.5)  # red at 50% over white


def test_rgba_fully_transparent_is_white(tmp_path):
    path = tmp_path / "clear.png"
    Image.new("RGBA", (5, 5), (0, 0, 0, 0)).save(path)
    assert np.allclose(load_image(path, size=10), 255)


def test_la_and_pa(tmp_path):
    la = tmp_path / "la.png"
    Image.new("LA", (4, 4), (0, 0)).save(la)
    assert np.allclose(load_image(la), 255)

    pa = tmp_path / "pa.tif"
    pa_img = Image.new("PA", (4, 4))
    pa_img.putpalette([0, 255, 0] * 256)
    pa_img.putdata([(0, 255)] * 8 + [(0, 0)] * 8)
    pa_img.save(pa)
    with Image.open(pa) as check:
        assert check.mode == "PA"
    array = load_image(pa)
    assert np.allclose(array[:2], (0, 255, 0))
    assert np.allclose(array[2:], 255)


def test_rgb_png_with_transparent_colour(tmp_path):
    path = tmp_path / "trns_rgb.png"
    img = Image.new("RGB", (4, 2), (10, 20, 30))
    img.paste(RED, (2, 0, 4, 2))
    img.save(path, transparency=(10, 20, 30))
    array = load_image(path)
    assert np.allclose(array[:, :2], 255)
    assert np.allclose(array[:, 2:], RED)


@pytest.mark.parametrize("mode", ["L", "1"])
def test_greyscale(tmp_path, mode):
    path = tmp_path / f"grey_{mode}.png"
    img = Image.new("L", (6, 3), 0)
    img.paste(255 if mode == "1" else 77, (3, 0, 6, 3))
    img.convert(mode).save(path)
    array = load_image(path)
    check_array(array, (3, 6, 3))
    assert np.allclose(array[:, :3], 0)
    assert np.allclose(array[:, 3:], 255 if mode == "1" else 77)
    assert np.array_equal(array[..., 0], array[..., 2])


def test_gif_first_frame(tmp_path):
    path = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (10, 10), c) for c in (RED, BLUE, (0, 255, 0))]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    with Image.open(path) as check:
        assert check.n_frames == 3
    array = load_image(path)
    check_array(array, (10, 10, 3))
    assert np.allclose(array, RED, atol=2)


def test_multipage_tiff_first_page(tmp_path):
    path = tmp_path / "pages.tif"
    pages = [Image.new("RGB", (12, 8), c) for c in (BLUE, RED)]
    pages[0].save(path, save_all=True, append_images=pages[1:])
    with Image.open(path) as check:
        assert check.n_frames == 2
    assert np.allclose(load_image(path), BLUE)


@pytest.mark.parametrize("orientation, left_half_rows", [(6, "top"), (8, "bottom")])
def test_exif_rotated_jpeg(tmp_path, orientation, left_half_rows):
    path = tmp_path / f"rotated{orientation}.jpg"
    img = half_and_half(40, 20)  # 40 wide, 20 tall; red left half
    exif = Image.Exif()
    exif[0x0112] = orientation
    img.save(path, exif=exif, quality=95)

    array = load_image(path)
    check_array(array, (40, 20, 3))  # now 20 wide, 40 tall
    red_rows = array[:20] if left_half_rows == "top" else array[20:]
    blue_rows = array[20:] if left_half_rows == "top" else array[:20]
    assert np.allclose(red_rows[2:-2].reshape(-1, 3).mean(axis=0), RED, atol=15)
    assert np.allclose(blue_rows[2:-2].reshape(-1, 3).mean(axis=0), BLUE, atol=15)

    with Image.open(path) as reference:
        expected = np.array(ImageOps.exif_transpose(reference).convert("RGB"), dtype=np.float32)
    np.testing.assert_array_equal(array, expected)

    resized = load_image(path, size=80)
    check_array(resized, (80, 40, 3))


@pytest.mark.parametrize("orientation", [2, 3, 4, 5, 7])
def test_other_orientations_match_pillow(tmp_path, orientation):
    path = tmp_path / f"o{orientation}.png"
    rng = np.random.default_rng(orientation)
    img = Image.fromarray(rng.integers(0, 256, (5, 7, 3), dtype=np.uint8))
    exif = Image.Exif()
    exif[0x0112] = orientation
    img.save(path, exif=exif)
    with Image.open(path) as reference:
        expected = np.array(ImageOps.exif_transpose(reference), dtype=np.float32)
    np.testing.assert_array_equal(load_image(path), expected)


def test_large_rotated_jpeg_with_draft(tmp_path):
    path = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    half_and_half(4000, 2000).save(path, exif=exif, quality=85)
    array = load_image(path, size=300)
    check_array(array, (300, 150, 3))
    assert np.allclose(array[20:130].reshape(-1, 3).mean(axis=0), RED, atol=10)
    assert np.allclose(array[170:280].reshape(-1, 3).mean(axis=0), BLUE, atol=10)


@pytest.mark.parametrize("shape, size, expected", [
    ((20, 40), 100, (50, 100)),    # upscale, landscape
    ((40, 20), 10, (10, 5)),       # downscale, portrait
    ((2, 3), 4, (3, 4)),           # 2.67 rounds to 3
    ((1, 300), 30, (1, 30)),       # shorter side never below 1
    ((33, 33), 33, (33, 33)),      # already the right size
])
def test_resize_longer_side(tmp_path, shape, size, expected):
    path = tmp_path / "r.png"
    Image.new("RGB", (shape[1], shape[0]), (50, 100, 150)).save(path)
    array = load_image(path, size=size)
    check_array(array, expected + (3,))
    assert np.allclose(array, (50, 100, 150), atol=1)


def test_50_megapixel_png(tmp_path):
    path = tmp_path / "huge.png"
    half_and_half(10000, 5000).save(path, compress_level=1)
    array = load_image(path, size=512)
    check_array(array, (256, 512, 3))
    assert np.allclose(array[:, :250], RED, atol=1)
    assert np.allclose(array[:, 262:], BLUE, atol=1)


# ----------------------------------------------------------------------------------------------
# Saving
# ----------------------------------------------------------------------------------------------

def test_png_round_trip_exact(tmp_path):
    rng = np.random.default_rng(4)
    pixels = rng.integers(0, 256, (9, 11, 3)).astype(np.float32)
    path = tmp_path / "out.png"
    save_image(path, pixels)
    np.testing.assert_array_equal(load_image(path), pixels)
    save_image(path, pixels.astype(np.uint8))  # uint8 input, overwriting
    np.testing.assert_array_equal(load_image(path), pixels)


@pytest.mark.parametrize("ext", [".jpg", ".jpeg", ".webp", ".JPG", ".PNG"])
def test_lossy_and_upper_case_round_trip(tmp_path, ext):
    path = tmp_path / f"out{ext}"
    img = np.array(half_and_half(64, 32), dtype=np.float32)
    save_image(path, img)
    with Image.open(path) as check:
        assert check.format == {".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".png": "PNG"}[
            ext.lower()]
    assert np.abs(load_image(path) - img).mean() < 3


def test_jpeg_quality_95(tmp_path):
    path = tmp_path / "q.jpg"
    rng = np.random.default_rng(5)
    save_image(path, rng.integers(0, 256, (64, 64, 3)).astype(np.float32))
    reference = tmp_path / "q95.jpg"
    with Image.open(path) as saved:
        saved.convert("RGB").save(reference, quality=95)
    # Re-encoding at quality 95 gives the same quantisation tables as the original.
    with Image.open(path) as a, Image.open(reference) as b:
        assert a.quantization == b.quantization


def test_save_rounds_and_clips(tmp_path):
    path = tmp_path / "clip.png"
    values = np.array([[[-5.0, 300.0, 127.6], [127.4, np.nan, 254.5]]], dtype=np.float32)
    save_image(path, values)
    np.testing.assert_array_equal(load_image(path)[0], [[0, 255, 128], [127, 0, 254]])


def test_save_creates_parent_folders(tmp_path):
    path = tmp_path / "a" / "b" / "c" / "out.png"
    save_image(path, np.zeros((2, 2, 3)))
    assert path.is_file()


def test_save_rejects_bad_extension_and_shape(tmp_path):
    path = tmp_path / "out.bmp"
    with pytest.raises(ImageError) as excinfo:
        save_image(path, np.zeros((2, 2, 3)))
    assert_clear_error(excinfo, path, ".bmp", ".png")
    assert not path.exists()
    with pytest.raises(ValueError):
        save_image(tmp_path / "grey.png", np.zeros((2, 2)))
    with pytest.raises(ValueError):
        save_image(tmp_path / "rgba.png", np.zeros((2, 2, 4)))


def test_save_into_a_file_as_folder(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    path = blocker / "out.png"
    with pytest.raises(ImageError) as excinfo:
        save_image(path, np.zeros((2, 2, 3)))
    assert_clear_error(excinfo, path)


# ----------------------------------------------------------------------------------------------
# check_output_path
# ----------------------------------------------------------------------------------------------

def test_supported_extensions():
    assert SUPPORTED_OUTPUT_EXTENSIONS == (".png", ".jpg", ".jpeg", ".webp")


@pytest.mark.parametrize("name", ["out.png", "out.JPEG", "new/deeper/out.webp"])
def test_check_output_path_accepts(tmp_path, name):
    path = tmp_path / name
    check_output_path(path)
    check_output_path(str(path))
    assert not path.parent.exists() or path.parent == tmp_path  # nothing was created


def test_check_output_path_accepts_existing_file(tmp_path):
    path = tmp_path / "old.png"
    save_image(path, np.zeros((2, 2, 3)))
    check_output_path(path)


@pytest.mark.parametrize("name, word", [("out.bmp", ".bmp"), ("out", "extension"),
                                        ("out.png.txt", ".txt")])
def test_check_output_path_bad_extension(tmp_path, name, word):
    path = tmp_path / name
    with pytest.raises(ImageError) as excinfo:
        check_output_path(path)
    assert_clear_error(excinfo, path, word, ".png", ".jpg")


def test_check_output_path_existing_directory(tmp_path):
    path = tmp_path / "result.png"
    path.mkdir()
    with pytest.raises(ImageError) as excinfo:
        check_output_path(path)
    assert_clear_error(excinfo, path, "folder")


def test_check_output_path_parent_is_a_file(tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("x")
    path = blocker / "sub" / "out.png"
    with pytest.raises(ImageError) as excinfo:
        check_output_path(path)
    assert_clear_error(excinfo, path, "cannot create", "is a file")


def test_check_output_path_unwritable_parent(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    if IS_ROOT:
        # root ignores permission bits; simulate a read-only folder instead.
        real_access = os.access
        monkeypatch.setattr(images.os, "access", lambda p, m: (
            False if os.fspath(p) == str(locked) else real_access(p, m)))
    else:
        locked.chmod(0o555)
    try:
        for path in (locked / "out.png", locked / "new" / "out.png"):
            with pytest.raises(ImageError) as excinfo:
                check_output_path(path)
            assert_clear_error(excinfo, path, "not writable")
    finally:
        locked.chmod(0o755)


def test_messages_name_the_path_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open("photo.jpg", "wb"):
        pass
    with pytest.raises(ImageError) as excinfo:
        load_image("photo.jpg")
    assert str(excinfo.value) == "photo.jpg: the file is empty (0 bytes)"
