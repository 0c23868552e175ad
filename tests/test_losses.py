import numpy as np
import pytest

from convert import losses
from convert.losses import StyleObjective


def rng_features(seed, shape=(2, 6, 5, 4)):
    return np.random.default_rng(seed).uniform(0, 3, size=shape).astype(np.float32)


def test_gram_matrix_matches_definition():
    f = rng_features(0)
    flat = f.reshape(2, -1, 4)
    expected = np.einsum("bnc,bnd->bcd", flat, flat) / 30
    gram = np.asarray(losses.gram_matrix(f))
    np.testing.assert_allclose(gram, expected, rtol=1e-5)
    np.testing.assert_allclose(gram, gram.transpose(0, 2, 1), rtol=1e-6)


def test_gram_is_independent_of_image_size_for_a_repeated_texture():
    tile = rng_features(1, (1, 4, 4, 3))
    big = np.tile(tile, (1, 3, 5, 1))
    np.testing.assert_allclose(losses.gram_matrix(tile), losses.gram_matrix(big), rtol=1e-5)


def test_content_loss_is_relative_and_zero_at_target():
    f = rng_features(2)
    np.testing.assert_allclose(losses.content_loss(f, f), 0, atol=1e-7)
    # Doubling the features doubles the error: (2f - f)^2 / f^2 = 1 exactly.
    np.testing.assert_allclose(losses.content_loss(2 * f, f), 1.0, rtol=1e-5)
    # Invariant to the overall scale of activations.
    g = rng_features(3)
    np.testing.assert_allclose(losses.content_loss(10 * g, 10 * f), losses.content_loss(g, f), rtol=1e-5)
    assert losses.content_loss(f, f).shape == (2,)


def test_gram_style_loss_ignores_arrangement_but_not_statistics():
    f = rng_features(4, (1, 6, 6, 4))
    target = losses.gram_matrix(f)
    shuffled = f.reshape(1, 36, 4)[:, np.random.default_rng(0).permutation(36)].reshape(1, 6, 6, 4)
    np.testing.assert_allclose(losses.gram_style_loss(shuffled, target), 0, atol=1e-6)
    assert float(losses.gram_style_loss(f * 1.5, target)[0]) > 0.5


def test_mean_std_style_loss():
    f = rng_features(5, (1, 8, 8, 4))
    mean, std = losses.mean_std(f)
    np.testing.assert_allclose(mean, f.mean(axis=(1, 2)), rtol=1e-5)
    np.testing.assert_allclose(std, f.std(axis=(1, 2)), rtol=1e-3)
    np.testing.assert_allclose(losses.mean_std_style_loss(f[:, ::-1], mean, std), 0, atol=1e-6)
    assert float(losses.mean_std_style_loss(f + 1.0, mean, std)[0]) > 0.1


def test_total_variation():
    flat = np.full((1, 8, 8, 3), 77.0, np.float32)
    np.testing.assert_allclose(losses.total_variation(flat), 0, atol=1e-9)
    checker = np.indices((8, 8)).sum(0) % 2 * 255.0
    checker = np.repeat(checker[None, ..., None], 3, -1).astype(np.float32)
    np.testing.assert_allclose(losses.total_variation(checker), 2.0, rtol=1e-5)  # every neighbour differs by 1


def test_block_penalty_finds_the_grid_that_the_block_figure_finds():
    """Near 0 for a photo, larger the more its steps gather on the 8-pixel grid, in either direction,
    ranked as evaluate.block_figure ranks them; it has a gradient that flattens the grid."""
    import keras

    from skimage import data

    from convert import evaluate

    photo = data.chelsea()[:192, :256].astype(np.float32)
    rng = np.random.default_rng(0)
    faint = photo + np.kron(rng.uniform(-5, 5, (24, 32, 1)), np.ones((8, 8, 1))).astype(np.float32)
    strong = photo + np.kron(rng.uniform(-20, 20, (24, 32, 1)), np.ones((8, 8, 1))).astype(np.float32)
    columns = photo + np.kron(rng.uniform(-20, 20, (1, 32, 1)), np.ones((192, 8, 1))).astype(np.float32)
    blocks = np.kron(photo[::8, ::8], np.ones((8, 8, 1))).astype(np.float32)
    batch = np.stack([photo, faint, strong, columns, blocks])
    penalty = np.asarray(losses.block_penalty(batch))
    figures = [evaluate.block_figure(x) for x in batch]
    assert penalty.shape == (5,) and penalty[0] < 0.002  # the photo; faint blocks (block figure 1.09) 0.004
    assert penalty[0] < penalty[1] < penalty[2] and figures[0] < figures[1] < figures[2]
    assert penalty[3] > penalty[1]  # steps on the grid in one direction only count too
    assert penalty[4] == pytest.approx(14.0, rel=0.01)  # all steps on one phase, each way: 7 + 7
    tf = pytest.importorskip("tensorflow")
    x = keras.Variable(strong[None])
    with tf.GradientTape() as tape:
        value = losses.block_penalty(x)[0]
    step = tape.gradient(value, x)
    assert np.isfinite(np.asarray(step)).all()
    assert float(losses.block_penalty(strong[None] - 2000.0 * np.asarray(step))[0]) < float(value)


def test_tone_loss_sees_where_the_photo_is_light_and_dark_not_its_palette_or_strokes():
    """0 for the photo itself, and for it recoloured, brightened, or painted over with strokes finer than
    its 16 px cells; 4 for its negative; about 2 for a picture unrelated to it. A gradient step on it
    brings an output's light and dark toward the photo's."""
    import keras

    from skimage import data

    photo = data.chelsea()[:192, :256].astype(np.float32)
    rng = np.random.default_rng(0)
    luma = photo @ np.array(losses.LUMA, np.float32)
    tinted = np.stack([0.5 * luma + 100, 0.8 * luma + 20, 0.3 * luma], -1)  # another palette, same light and dark
    strokes = photo + np.kron(rng.uniform(-60, 60, (48, 64, 3)), np.ones((4, 4, 1)))  # 4 px marks
    strokes -= np.kron((strokes - photo).reshape(12, 16, 16, 16, 3).mean((1, 3)), np.ones((16, 16, 1)))
    other = data.astronaut()[:192, :256].astype(np.float32)
    batch = np.stack([photo, tinted, strokes, 255.0 - photo, other]).astype(np.float32)
    found = np.asarray(losses.tone_loss(batch, np.broadcast_to(photo, batch.shape)))
    np.testing.assert_allclose(found[:3], 0.0, atol=1e-3)
    assert found[3] == pytest.approx(4.0, rel=1e-3)
    assert 1.0 < found[4] < 3.0
    assert losses.tone_layout(batch).shape == (5, 12, 16)
    tf = pytest.importorskip("tensorflow")
    x = keras.Variable(other[None])
    with tf.GradientTape() as tape:
        value = losses.tone_loss(x, photo[None])[0]
    step = tape.gradient(value, x)
    assert np.isfinite(np.asarray(step)).all()
    assert float(losses.tone_loss(other[None] - 3e4 * np.asarray(step), photo[None])[0]) < float(value)


@pytest.mark.parametrize("statistic", ["gram", "mean_std"])
def test_objective_terms_weighted_total(statistic):
    objective = StyleObjective(content_layers=("a",), style_layers=("a", "b"), content_weight=2,
                               style_weight=3, tv_weight=4, style_statistic=statistic)
    feats = {"a": rng_features(6), "b": rng_features(7)}
    content = {"a": rng_features(8)}
    style = objective.style_targets({"a": rng_features(9)[:1], "b": rng_features(10)[:1]})
    images = np.random.default_rng(0).uniform(0, 255, (2, 6, 5, 3)).astype(np.float32)
    terms = {k: np.asarray(v) for k, v in objective.terms(images, feats, content, style).items()}
    assert all(v.shape == (2,) for v in terms.values())
    np.testing.assert_allclose(terms["total"], 2 * terms["content"] + 3 * terms["style"] + 4 * terms["tv"], rtol=1e-5)
    assert objective.taps == ("a", "b")
