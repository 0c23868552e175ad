import numpy as np
import pytest

from convert import networks


@pytest.fixture(scope="module")
def net():
    return networks.transformer(3, widths=(4, 8, 8), residual_blocks=1)


def test_untrained_network_is_the_identity(net, chelsea_small):
    """The last convolution starts at zero, so the output starts as the photo, white and black too."""
    photo = np.array(chelsea_small, np.float32)
    photo[:8] = 255.0
    photo[-8:] = 0.0
    out = networks.stylize(net, photo, [1, 0, 0])
    np.testing.assert_allclose(out, photo, atol=1e-3)


def test_output_head_is_linear_and_stylize_clips():
    """A white pixel pushed brighter still has its full gradient (no squashing tail to get stuck in),
    and only the image made from it is clipped."""
    head = networks.ResidualOutput()
    content = np.full((1, 2, 2, 3), 255.0, np.float32)
    residual = np.full((1, 2, 2, 3), 0.4, np.float32)
    out = np.asarray(head([content, residual]))
    np.testing.assert_allclose(out, 255.0 + 127.5 * 0.4)
    np.testing.assert_allclose(np.asarray(head([content, -residual])), 255.0 - 127.5 * 0.4)
    over = networks.out_of_range(out)
    np.testing.assert_allclose(np.asarray(over), [(127.5 * 0.4 / 255) ** 2], rtol=1e-5)
    assert float(np.asarray(networks.out_of_range(np.full((1, 2, 2, 3), 128.0, np.float32)))[0]) == 0.0


def test_colour_head_starts_as_the_residual_head_and_lets_a_style_set_the_palette():
    """ColourOutput with its maps at zero is content + 127.5 * residual for every style and mix. With
    style 0's mean map at -I, style 0's output has the residual's mean colour whatever the photo's
    (a photo made darker and tinted paints the same mean), its detail kept; style 1 is unchanged,
    and a half-and-half mix removes half of the mean."""
    head = networks.ColourOutput(2, multiplier=10.0)
    rng = np.random.default_rng(2)
    photo = rng.uniform(0, 255, (1, 6, 8, 3)).astype(np.float32)
    residual = rng.normal(0, 0.2, (1, 6, 8, 3)).astype(np.float32)
    plain = np.asarray(networks.ResidualOutput()([photo, residual]))
    for w in ([1, 0], [0, 1], [0.4, 0.6]):
        np.testing.assert_allclose(np.asarray(head([photo, residual, np.array([w], np.float32)])), plain, atol=1e-4)

    table = np.zeros((2, 9), np.float32)
    table[0] = -np.eye(3).ravel() / 10.0
    head.mean_map.assign(table)
    first = np.array([[1, 0]], np.float32)
    darker = photo * 0.5 + np.array([40.0, 0.0, 10.0], np.float32)
    out, out_darker = (np.asarray(head([p, residual, first])) for p in (photo, darker))
    expected_mean = 127.5 * (1 + residual.mean(axis=(1, 2)))
    np.testing.assert_allclose(out.mean(axis=(1, 2)), expected_mean, atol=1e-3)
    np.testing.assert_allclose(out_darker.mean(axis=(1, 2)), expected_mean, atol=1e-3)
    detail = photo - photo.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(out - out.mean(axis=(1, 2), keepdims=True),
                               detail + 127.5 * (residual - residual.mean(axis=(1, 2), keepdims=True)), atol=1e-3)
    np.testing.assert_allclose(np.asarray(head([photo, residual, np.array([[0, 1]], np.float32)])), plain, atol=1e-4)
    half = np.asarray(head([photo, residual, np.array([[0.5, 0.5]], np.float32)]))
    np.testing.assert_allclose(half, plain - 0.5 * (photo.mean(axis=(1, 2), keepdims=True) - 127.5), atol=1e-3)


def test_colour_head_maps_each_input_channel_to_its_output_row():
    """Entry (i, j) of a map sends input channel j to output channel i: a mean map with only (1, 0)
    adds the red mean to green alone, and a detail map with only (2, 1) adds green's detail to blue."""
    rng = np.random.default_rng(3)
    photo = rng.uniform(0, 255, (1, 6, 8, 3)).astype(np.float32)
    residual = np.zeros_like(photo)
    style = np.array([[1.0]], np.float32)
    head = networks.ColourOutput(1, multiplier=1.0)
    head([photo, residual, style])  # builds the tables
    one = lambda i, j: np.eye(9, dtype=np.float32)[3 * i + j][None]  # noqa: E731
    head.mean_map.assign(one(1, 0))
    shift = np.asarray(head([photo, residual, style])) - photo
    np.testing.assert_allclose(shift[..., 1], photo[..., 0].mean() - 127.5, atol=1e-3)
    np.testing.assert_allclose(shift[..., [0, 2]], 0.0, atol=1e-3)
    head.mean_map.assign(np.zeros((1, 9), np.float32))
    head.detail_map.assign(one(2, 1))
    shift = np.asarray(head([photo, residual, style])) - photo
    np.testing.assert_allclose(shift[..., 2], photo[..., 1] - photo[..., 1].mean(), atol=1e-3)
    np.testing.assert_allclose(shift[..., :2], 0.0, atol=1e-3)


def test_a_network_with_a_colour_head_starts_as_the_identity(chelsea_small):
    net = networks.transformer(2, widths=(4, 8, 8), residual_blocks=1, colour_head=True)
    assert isinstance(net.get_layer("stylized"), networks.ColourOutput)
    photo = np.array(chelsea_small, np.float32)
    np.testing.assert_allclose(networks.stylize(net, photo, [0.3, 0.7]), photo, atol=1e-3)


def test_stylize_clips_to_the_displayable_range():
    import keras

    image = keras.Input((None, None, 3))
    style = keras.Input((1,))
    doubled = keras.layers.Rescaling(2.0)(image)
    model = keras.Model([image, style], doubled)
    out = networks.stylize(model, np.full((8, 8, 3), 200.0, np.float32), [1], multiple=4)
    assert out.max() == 255.0 and out.min() == 255.0


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


def test_upsampling_traced_for_export_is_the_same_nearest_resize():
    """resize_for_export makes NearestUpsample a ResizeNearestNeighbor (fast in TensorFlow.js, where the
    broadcast multiply can become slow Tile ops): the same pixels, at odd sizes too."""
    import tensorflow as tf

    x = np.random.default_rng(0).normal(size=(1, 5, 7, 4)).astype(np.float32)
    layer = networks.NearestUpsample(2)
    with networks.resize_for_export():
        traced = tf.function(lambda t: layer(t), input_signature=[tf.TensorSpec([1, None, None, 4])])
        graph = traced.get_concrete_function().graph
        resized = traced(x).numpy()
    assert not networks.NearestUpsample.resize  # restored after the block
    assert any(op.type == "ResizeNearestNeighbor" for op in graph.get_operations())
    np.testing.assert_array_equal(resized, np.asarray(layer(x)))
    assert resized.shape == (1, 10, 14, 4)


def test_bilinear_upsampling_is_tensorflows_half_pixel_resize_in_training_and_export():
    """BilinearUpsample's slices and sums compute tf.image.resize's bilinear 2x (half-pixel centres,
    edges repeated), at odd sizes and size 1; traced for export it is one ResizeBilinear."""
    import tensorflow as tf

    layer = networks.BilinearUpsample()
    for shape in ((1, 5, 7, 4), (2, 1, 3, 2), (1, 4, 4, 1)):
        x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
        expected = tf.image.resize(x, (shape[1] * 2, shape[2] * 2), method="bilinear").numpy()
        np.testing.assert_allclose(np.asarray(layer(x)), expected, atol=1e-5)
    ramp = np.arange(4, dtype=np.float32).reshape(1, 1, 4, 1)  # 0 1 2 3 -> 0 .25 .75 1.25 1.75 2.25 2.75 3
    np.testing.assert_allclose(np.asarray(layer(ramp))[0, 0, :, 0], [0, .25, .75, 1.25, 1.75, 2.25, 2.75, 3])
    with networks.resize_for_export():
        traced = tf.function(lambda t: layer(t), input_signature=[tf.TensorSpec([1, None, None, 4])])
        graph = traced.get_concrete_function().graph
    assert any(op.type == "ResizeBilinear" for op in graph.get_operations())
    x = np.random.default_rng(1).normal(size=(1, 5, 7, 4)).astype(np.float32)
    np.testing.assert_allclose(traced(x).numpy(), np.asarray(layer(x)), atol=1e-5)


def test_pad_for_reaches_twice_the_stride_and_repeats_edges_it_cannot_reflect():
    from convert.networks import pad_for

    rng = np.random.default_rng(0)
    for h, w in ((1, 1), (1, 512), (3, 40), (9, 10), (16, 16)):
        image = rng.uniform(0, 255, (h, w, 3)).astype(np.float32)
        padded = pad_for(image, 4)
        ph, pw = padded.shape[:2]
        assert (ph, pw) == (max(8, -(-h // 4) * 4), max(8, -(-w // 4) * 4))
        np.testing.assert_array_equal(padded[:h, :w], image)
        if h < 8:  # a side too short to reflect repeats its last row
            np.testing.assert_array_equal(padded[-1, :w], image[-1])
    assert pad_for(np.zeros((16, 16, 3), np.float32), 4).shape == (16, 16, 3)
