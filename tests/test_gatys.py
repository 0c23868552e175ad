import numpy as np
import pytest

from convert import color, gatys, losses, precision, vgg
from convert.losses import StyleObjective

# One test process for the module, so that the optimisation in `run` is made once.
pytestmark = pytest.mark.xdist_group("gatys")
STEPS = 40


def style_distance(image, style, objective):
    """Mean relative Gram error of ``image`` against ``style`` over the objective's style layers."""
    extractor = vgg.feature_extractor(objective.taps)
    fi, fs = extractor(image[None]), extractor(style[None])
    return float(np.mean([losses.gram_style_loss(fi[l], losses.gram_matrix(fs[l]))[0] for l in objective.style_layers]))


START_TOLERANCE = 1e-4 if precision.detect().name == "bfloat16" else 1e-6


@pytest.fixture(scope="module")
def run(chelsea_small, stripes_style):
    seen = []
    result = gatys.stylize(chelsea_small, stripes_style, steps=STEPS, progress=lambda i, t: seen.append((i, t)))
    return result, seen


@pytest.mark.slow
def test_optimisation_lowers_the_total_loss_threefold(run):
    result, seen = run
    assert result.evaluations == STEPS and [i for i, _ in seen] == list(range(1, STEPS + 1))
    # starts from the photo: its content loss is zero, to bfloat16's rounding where `auto` picks it
    # (CPUs with AMX or AVX512-BF16; 2.3e-5 and 3.5e-5 seen on one)
    assert result.initial_losses["content"] == pytest.approx(0, abs=START_TOLERANCE)
    assert result.losses["total"] < result.initial_losses["total"] / 3, (result.initial_losses, result.losses)
    assert result.image.shape == (64, 96, 3) and result.image.min() >= 0 and result.image.max() <= 255


@pytest.mark.slow
def test_gram_statistics_move_towards_the_style(run, chelsea_small, stripes_style):
    result, _ = run
    objective = StyleObjective()
    before = style_distance(chelsea_small, stripes_style, objective)
    after = style_distance(result.image, stripes_style, objective)
    assert after < before / 5, (before, after)
    # ... while keeping more of the photo than the painting itself has: the objective's content
    # loss of the output is well below that of the style image against the photo.
    layer = objective.content_layers[0]
    extractor = vgg.feature_extractor([layer])
    cat = extractor(chelsea_small[None])[layer]
    out_to_cat = float(losses.content_loss(extractor(result.image[None])[layer], cat)[0])
    style_to_cat = float(losses.content_loss(extractor(stripes_style[:64][None])[layer], cat)[0])
    assert out_to_cat < 0.8 * style_to_cat, (out_to_cat, style_to_cat)


@pytest.mark.slow
def test_noise_init_is_seeded_and_converges(chelsea_small, stripes_style):
    a = gatys.stylize(chelsea_small, stripes_style, steps=15, init="noise", seed=3)
    b = gatys.stylize(chelsea_small, stripes_style, steps=15, init="noise", seed=3)
    np.testing.assert_allclose(a.image, b.image, atol=1e-3)
    assert a.losses["total"] < a.initial_losses["total"] / 2


@pytest.mark.slow
def test_preserve_color_keeps_the_photos_chroma(chelsea_small, stripes_style):
    result = gatys.stylize(chelsea_small, stripes_style, steps=15, preserve_color=True)
    chroma = lambda im: color.rgb_to_yiq(im)[..., 1:]
    assert np.median(np.abs(chroma(result.image) - chroma(chelsea_small))) < 1.0
    # The plain run takes the stripes' colours instead.
    plain = gatys.stylize(chelsea_small, stripes_style, steps=15)
    assert np.mean(np.abs(chroma(plain.image) - chroma(chelsea_small))) > 3 * np.mean(
        np.abs(chroma(result.image) - chroma(chelsea_small)))


def test_bad_arguments():
    img = np.zeros((16, 16, 3), np.float32)
    with pytest.raises(ValueError, match="init"):
        gatys.stylize(img, img, init="zeros")
    with pytest.raises(ValueError, match="steps"):
        gatys.stylize(img, img, steps=0)
