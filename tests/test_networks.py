import numpy as np
import pytest

from convert import networks


@pytest.fixture(scope="module")
def net():
    return networks.transformer(3, widths=(4, 8, 8), residual_blocks=1)


def test_untrained_network_is_the_identity(net, chelsea_small):
    """The last convolution starts at zero, so the output starts as the photo (values within the
    logit clip, [2.55, 252.45], are returned exactly)."""
    out = networks.stylize(net, chelsea_small, [1, 0, 0])
    expected = np.clip(chelsea_small, 2.55, 252.45)
    np.testing.assert_allclose(out, expected, atol=0.05)


def test_any_size_is_padded_and_cropped(net):
    image = np.random.default_rng(0).uniform(0, 255, (37, 50, 3)).astype(np.float32)
    assert networks.stylize(net, image, [0, 1, 0]).shape == (37, 50, 3)


def test_conditional_instance_norm_selects_and_mixes_styles():
    layer = networks.ConditionalInstanceNorm(2, multiplier=10.0)
    x = np.random.default_rng(1).normal(3, 2, (1, 5, 6, 4)).astype(np.float32)
    layer.build([x.shape, (1, 2)])
    # Stored as offsets / 10: style 0 has gamma 1..4 and beta 0, style 1 gamma 5..8 and beta 1.
    layer.gamma.assign((np.array([[1, 2, 3, 4], [5, 6, 7, 8]], np.float32) - 1) / 10)
    layer.beta.assign(np.array([[0, 0, 0, 0], [1, 1, 1, 1]], np.float32) / 10)
    norm = (x - x.mean(axis=(1, 2), keepdims=True)) / np.sqrt(x.var(axis=(1, 2), keepdims=True) + 1e-5)
    first = np.asarray(layer([x, np.array([[1, 0]], np.float32)]))
    np.testing.assert_allclose(first, norm * [1, 2, 3, 4], atol=1e-4)
    mixed = np.asarray(layer([x, np.array([[0.5, 0.5]], np.float32)]))
    np.testing.assert_allclose(mixed, norm * [3, 4, 5, 6] + 0.5, atol=1e-4)


def test_untrained_norm_is_plain_instance_norm():
    layer = networks.ConditionalInstanceNorm(3)
    x = np.random.default_rng(2).normal(-1, 3, (2, 4, 4, 5)).astype(np.float32)
    out = np.asarray(layer([x, np.eye(3, dtype=np.float32)[[0, 2]]]))
    np.testing.assert_allclose(out.mean(axis=(1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(1, 2)), 1, atol=1e-3)


def test_styles_differ_once_their_parameters_do(net, chelsea_small):
    import keras

    trained = keras.models.clone_model(net)
    trained.set_weights(net.get_weights())
    trained.get_layer("out_conv").kernel.assign(np.full((3, 3, 4, 3), 0.05, np.float32))
    norm = trained.get_layer("dec2_norm")
    beta = np.asarray(norm.beta)
    beta[1] += 0.2  # x10 multiplier
    norm.beta.assign(beta)
    a = networks.stylize(trained, chelsea_small, [1, 0, 0])
    b = networks.stylize(trained, chelsea_small, [0, 1, 0])
    assert np.abs(a - b).mean() > 1.0
