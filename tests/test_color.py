import numpy as np
import pytest

from convert import color


def test_yiq_round_trip():
    rgb = np.random.default_rng(0).uniform(0, 255, (5, 7, 3))
    np.testing.assert_allclose(color.yiq_to_rgb(color.rgb_to_yiq(rgb)), rgb, atol=1e-9)
    grey = np.full((2, 2, 3), 100.0)
    np.testing.assert_allclose(color.rgb_to_yiq(grey)[..., 1:], 0, atol=1e-4)  # grey has no chroma


def test_preserve_color_keeps_content_chroma_and_stylized_luminance(chelsea_small, stripes_style):
    content = chelsea_small
    stylized = stripes_style[: content.shape[0], : content.shape[1]]
    out = color.preserve_color(content, stylized)
    assert out.shape == content.shape and out.dtype == np.float32
    yiq_out, yiq_c = color.rgb_to_yiq(out), color.rgb_to_yiq(content)
    # Chroma is the content's (clipping at 0/255 may move a few saturated pixels slightly).
    assert np.median(np.abs(yiq_out[..., 1:] - yiq_c[..., 1:])) < 0.5
    assert np.mean(np.abs(yiq_out[..., 1:] - yiq_c[..., 1:])) < 2.0
    # Luminance is the stylized image's: the stripes survive, the cat's own luminance does not.
    lum_err = np.abs(color.luminance(out) - color.luminance(stylized))
    assert np.median(lum_err) < 1.0
    assert np.corrcoef(color.luminance(out).ravel(), color.luminance(stylized).ravel())[0, 1] > 0.98
    # And the stylized colours are gone: its chroma differed a lot from the cat's.
    assert np.mean(np.abs(color.rgb_to_yiq(stylized)[..., 1:] - yiq_c[..., 1:])) > 20


def test_match_luminance_moves_style_to_content_statistics(chelsea_small, stripes_style):
    matched = color.match_luminance(stripes_style, chelsea_small)
    y = color.luminance(matched)
    yc = color.luminance(chelsea_small)
    assert abs(y.mean() - yc.mean()) < 2 and abs(y.std() - yc.std()) < 2
    np.testing.assert_allclose(matched[..., 0], matched[..., 2])  # grey


def test_preserve_color_rejects_mismatched_sizes():
    with pytest.raises(ValueError, match="differ in size"):
        color.preserve_color(np.zeros((4, 4, 3)), np.zeros((4, 5, 3)))
