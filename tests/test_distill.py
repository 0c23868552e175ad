import json

import numpy as np
import pytest

from convert import adain, distill, networks

SLIM = (8, 8, 16, 16, 32, 32, 32)


def crops(image, size, count, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        y, x = rng.integers(image.shape[0] - size + 1), rng.integers(image.shape[1] - size + 1)
        out.append(image[y: y + size, x: x + size])
    return np.stack(out).astype(np.float32)


def test_patches_are_laid_out_as_a_convolution_kernel():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 6, 3)).astype(np.float32)
    kernel = rng.normal(size=(3, 3, 3, 4)).astype(np.float32)
    bias = rng.normal(size=4).astype(np.float32)
    ns, ys, xs = np.array([0, 1, 1, 0]), np.array([0, 4, 2, 4]), np.array([0, 5, 3, 1])  # corners, edges, inside
    by_patches = distill._patches(x, ys, xs, ns) @ np.concatenate([kernel.reshape(-1, 4), bias[None]])
    np.testing.assert_allclose(by_patches, distill._conv_same(x, kernel, bias)[ns, ys, xs], atol=1e-4)


def test_student_shape_and_cost():
    model = distill.student(SLIM)
    out = model(np.zeros((1, 40, 24, 3), np.float32))
    assert tuple(out.shape) == (1, 5, 3, 512)  # relu4_1's grid and channels: the decoder reads it as it is
    assert distill.multiply_adds_per_pixel(SLIM) == pytest.approx(networks.multiply_adds_per_pixel(model))
    assert distill.multiply_adds_per_pixel(distill.teacher_widths()) == 204_480  # VGG16 to relu4_1
    assert distill.multiply_adds_per_pixel() < distill.multiply_adds_per_pixel(distill.teacher_widths()) / 3.5
    with pytest.raises(ValueError, match="7 widths"):
        distill.student((8, 8))


def test_pruning_imitates_vgg_on_pictures_it_never_saw(chelsea_small, stripes_style):
    """Least-squares pruning alone (He et al. 2017) brings a slim student near VGG16's relu4_1; a fresh one is far."""
    seen = np.concatenate([crops(chelsea_small, 48, 6, 0), crops(stripes_style, 48, 6, 1)])
    unseen = np.concatenate([crops(chelsea_small, 48, 3, 2), crops(np.flipud(stripes_style), 48, 3, 3)])
    widths = (16, 16, 32, 32, 64, 64, 64)
    lines = []
    pruned = distill.prune(seen, widths, log=lines.append)
    assert [line.split(":")[0] for line in lines] == list(distill.LAYERS)
    assert "kept 16 of 64 channels" in lines[0] and "kept 512 of 512" in lines[-1]
    error = distill.feature_error(pruned, unseen)
    fresh = distill.feature_error(distill.student(widths), unseen)
    assert error < 0.35 and error < fresh / 3, (error, fresh)  # measured 0.17 against 0.98


def test_distillation_prunes_once_and_resumes(tmp_path, training_folders):
    photos, styles = training_folders
    recipe = distill.DistillRecipe(photos=str(photos), styles=[str(styles)], holdout=["held.png"], widths=SLIM,
                                   steps=2, batch=2, crop=32, scale=64, learning_rate=1e-3, prune_images=8)
    run, lines = tmp_path / "run", []
    assert distill.distill(recipe, run, log=lines.append) == 2
    assert any("skipping" in line and "broken.jpg" in line for line in lines)
    assert any("pruning VGG16" in line for line in lines)
    recipe.steps = 4
    assert distill.distill(recipe, run, log=lines.append) == 4
    assert any("resuming at step 2" in line for line in lines)
    assert sum("pruning VGG16" in line for line in lines) == 1  # a resumed run is not pruned again
    encoder, saved, step = distill.load_run(run)
    assert step == 4 and saved.widths == SLIM and saved.holdout == ["held.png"]
    assert (run / "tensorboard").is_dir()
    recipe.widths = (4,) * 7
    with pytest.raises(Exception, match="another widths"):
        distill.distill(recipe, run, log=lines.append)
    recipe.widths, recipe.holdout = SLIM, []
    with pytest.raises(Exception, match="another holdout"):  # resuming never quietly trains on held-out pictures
        distill.distill(recipe, run, log=lines.append)

    # Kept as weights only (as the shipped encoder run is committed): it loads, but is not trained further.
    recipe.holdout = ["held.png"]
    state = json.loads((run / "state.json").read_text())
    (run / state["optimizer"]).unlink()
    (run / "state.json").write_text(json.dumps({**state, "optimizer": None}))
    assert distill.load_run(run)[2] == 4
    recipe.steps = 5
    with pytest.raises(Exception, match="kept as weights only"):
        distill.distill(recipe, run, log=lines.append)


def test_stylize_with_a_student_encoder(chelsea_small, stripes_style):
    student = distill.student(SLIM)
    dec = adain.decoder((8, 8, 8))
    stats = adain.style_statistics(stripes_style[None], student)
    assert set(stats) == {"relu4_1"} and np.asarray(stats["relu4_1"][0]).shape == (1, 512)
    out = adain.stylize(dec, chelsea_small[:61, :90], stats, encode=student)
    assert out.shape == (61, 90, 3) and out.min() >= 0 and out.max() <= 255
    # the same as when the student computes the statistics itself
    np.testing.assert_allclose(adain.stylize(dec, chelsea_small[:61, :90], stripes_style, encode=student), out, atol=1e-3)
    # and the content is encoded by the student too: AdaIN of its features, decoded, by hand
    photo = chelsea_small[:64, :64]
    mean, std = stats["relu4_1"]
    by_hand = np.clip(np.asarray(dec(adain.adaptive_instance_norm(student(photo[None]), mean, std)))[0], 0, 255)
    np.testing.assert_allclose(adain.stylize(dec, photo, stats, encode=student), by_hand, atol=1e-3)
