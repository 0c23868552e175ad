import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from convert import runs, training as skeleton
from convert import train as training
from convert.data import random_crops
from convert.train import Recipe


@pytest.fixture
def folders(tmp_path, chelsea_small, stripes_style):
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        shifted = np.roll(chelsea_small, 7 * i, axis=1) + rng.normal(0, 5, chelsea_small.shape)
        Image.fromarray(np.clip(shifted, 0, 255).astype(np.uint8)).save(photos / f"p{i}.png")
    (photos / "broken.jpg").write_bytes(b"not a jpeg at all")
    styles = tmp_path / "styles"
    styles.mkdir()
    Image.fromarray(stripes_style.astype(np.uint8)).save(styles / "stripes.png")
    Image.fromarray(np.full((40, 40, 3), (200, 30, 30), np.uint8)).save(styles / "red.png")
    return photos, [str(styles / "stripes.png"), str(styles / "red.png")]


def recipe(photos, styles, steps):
    return Recipe(styles=styles, photos=str(photos), steps=steps, batch=2, crop=32, scale=48,
                  ramp_steps=2, widths=(4, 8, 8), residual_blocks=1)


@pytest.mark.slow
def test_train_checkpoints_resumes_and_logs(tmp_path, folders):
    photos, styles = folders
    run = tmp_path / "run"
    messages = []
    step = training.train(recipe(photos, styles, 4), run, val_folder=photos, val_count=1, val_size=40,
                          render_every=2, save_every=1e9, jit_compile=False, log=messages.append)
    assert step == 4
    assert any("skipping" in m and "broken.jpg" in m for m in messages)  # unreadable photo: warned, skipped
    state = json.loads((run / "state.json").read_text())
    assert state["step"] == 4 and (run / state["weights"]).exists() and (run / state["optimizer"]).exists()
    assert not list(run.glob("*.tmp")) and not list(run.glob("*partial*"))
    assert sorted(p.name for p in (run / "renders").iterdir()) == ["step-0000002.jpg", "step-0000004.jpg"]
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    val = [r for r in records if "val" in r]
    assert [r["step"] for r in val] == [2, 4] and set(val[0]["val"]) == {"stripes", "red"}
    weights_at_4 = (run / state["weights"]).read_bytes()

    # Resume: carries on from step 4 (not 0), keeps only the newest checkpoint.
    messages.clear()
    step = training.train(recipe(photos, styles, 6), run, jit_compile=False, save_every=1e9, render_every=100,
                          log=messages.append)
    assert step == 6 and any("resuming at step 4" in m for m in messages)
    state = json.loads((run / "state.json").read_text())
    assert state["step"] == 6
    assert sorted(p.name for p in run.glob("transformer-*")) == ["transformer-0000006.weights.h5"]
    assert (run / state["weights"]).read_bytes() != weights_at_4

    # A finished run is not trained further.
    assert training.train(recipe(photos, styles, 6), run, jit_compile=False, log=messages.append) == 6

    # A new learning rate (and per-style scales) for the next session is the one used, not the checkpoint's.
    changed = recipe(photos, styles, 7)
    changed.learning_rate = 5e-4
    changed.style_scales = [2.0, 1.0]
    assert training.train(changed, run, jit_compile=False, save_every=1e9, render_every=100,
                          log=messages.append) == 7
    assert json.loads((run / "recipe.json").read_text())["learning_rate"] == 5e-4
    assert json.loads((run / "recipe.json").read_text())["style_scales"] == [2.0, 1.0]
    state = json.loads((run / "state.json").read_text())
    with np.load(run / state["optimizer"]) as saved:
        scalars = [float(saved[k]) for k in saved.files if saved[k].shape == ()]
    assert any(abs(v - 5e-4) < 1e-9 for v in scalars) and not any(abs(v - 1e-3) < 1e-9 for v in scalars)


@pytest.mark.slow
def test_resume_restores_weights_and_optimizer_state(tmp_path, folders):
    import keras

    photos, styles = folders
    run = tmp_path / "run"
    # With XLA, as the real runs train: every op and gradient must have an XLA kernel.
    training.train(recipe(photos, styles, 3), run, jit_compile=True, save_every=1e9, render_every=100,
                   log=lambda m: None)
    from convert import networks
    from convert.losses import StyleObjective

    objective = StyleObjective()
    net = networks.transformer(2, (4, 8, 8), 1)
    trainer = training.StyleTrainer(net, objective, training.style_grams(
        objective, [np.zeros((48, 48, 3), np.float32)] * 2))
    trainer.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False)
    trainer((np.zeros((1, 16, 16, 3), np.float32), np.eye(2, dtype=np.float32)[:1]))
    trainer.optimizer.build(trainer.trainable_variables)
    assert runs.load_checkpoint(run, trainer) == 3
    assert int(np.asarray(trainer.optimizer.iterations)) == 3
    import h5py

    state = json.loads((run / "state.json").read_text())
    with np.load(run / state["optimizer"]) as saved:
        for i, variable in enumerate(trainer.optimizer.variables):
            np.testing.assert_array_equal(np.asarray(variable), saved[f"arr_{i}"])
    reference = networks.transformer(2, (4, 8, 8), 1)
    reference.load_weights(run / state["weights"])
    for a, b in zip(reference.weights, net.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert any(np.abs(np.asarray(v)).sum() > 0 for v in trainer.optimizer.variables[2:])  # Adam moments


def test_style_scales_weigh_each_style(tmp_path, folders):
    """Recipe.style_scales multiplies the style term of the images drawn with that style, and only theirs."""
    import keras

    from convert import networks
    from convert.losses import StyleObjective

    photos, styles = folders
    objective = StyleObjective()
    grams = training.style_grams(objective, [np.asarray(Image.open(s).convert("RGB"), np.float32) for s in styles])
    net = networks.transformer(2, (4, 8, 8), 1)
    rng = np.random.default_rng(1)
    content = rng.uniform(0, 255, (2, 32, 32, 3)).astype(np.float32)
    ramp = np.ones(2, np.float32)

    def loss(scales, style_index):
        trainer = training.StyleTrainer(net, objective, grams, scales)
        style = np.eye(2, dtype=np.float32)[[style_index] * 2]
        out = trainer((content, style))
        return float(keras.ops.convert_to_numpy(trainer.compute_loss(x=(content, style, ramp), y_pred=out)))

    unscaled = loss(None, 0)
    assert loss([1.0, 1.0], 0) == pytest.approx(unscaled)
    assert loss([1.0, 0.0], 0) == pytest.approx(unscaled)  # the other style's scale plays no part
    style_term = unscaled - loss([0.0, 1.0], 0)
    assert style_term > 0
    assert loss([3.0, 1.0], 0) == pytest.approx(unscaled + 2 * style_term, rel=1e-4)

    assert Recipe(styles=styles, photos=str(photos)).scales().tolist() == [1.0, 1.0]
    for bad in ([1.0], [1.0, -1.0]):
        with pytest.raises(ValueError, match="one per style"):
            training.train(Recipe(styles=styles, photos=str(photos), style_scales=bad), tmp_path / "run")
    assert not (tmp_path / "run").exists()  # refused before anything was written


def test_recipe_change_is_refused(tmp_path, folders):
    photos, styles = folders
    run = tmp_path / "run"
    run.mkdir()
    (run / "state.json").write_text(json.dumps({"step": 2, "weights": "w", "optimizer": "o"}))
    (run / "recipe.json").write_text(json.dumps({**json.loads(json.dumps(recipe(photos, styles, 4).__dict__, default=list)),
                                                 "widths": [8, 8, 8]}))
    with pytest.raises(runs.RecipeMismatch, match="another widths"):
        training.train(recipe(photos, styles, 4), run, jit_compile=False, log=lambda m: None)


def test_resume_compares_data_by_name_and_kind(tmp_path, folders):
    """A run moves between machines that keep its pictures elsewhere; other pictures or kinds are refused."""
    photos, styles = folders
    run = tmp_path / "run"
    run.mkdir()
    (run / "state.json").write_text(json.dumps({"step": 2, "weights": "w", "optimizer": "o"}))
    here = json.loads(json.dumps(recipe(photos, styles, 4).__dict__, default=list))
    there = {**here, "photos": "/gpu/data/photos", "styles": [f"/gpu/data/styles/{Path(s).name}" for s in styles]}
    (run / "recipe.json").write_text(json.dumps(there))
    keys = ("photos", "styles", "widths")
    runs.check_resumable(run, here, keys, "gallery")
    with pytest.raises(runs.RecipeMismatch, match="another styles"):
        runs.check_resumable(run, {**here, "styles": styles[::-1]}, keys, "gallery")
    with pytest.raises(runs.RecipeMismatch, match="another photos"):
        runs.check_resumable(run, {**here, "photos": str(tmp_path / "holiday")}, keys, "gallery")
    with pytest.raises(runs.RecipeMismatch, match="not an AdaIN decoder"):
        runs.check_resumable(run, here, keys, "adain")
    (run / "state.json").unlink()  # no checkpoint yet: nothing to continue, nothing to refuse
    runs.check_resumable(run, {**here, "widths": [1, 1, 1]}, keys, "gallery")


def test_checkpoint_without_its_recipe_is_refused(tmp_path, folders):
    photos, styles = folders
    run = tmp_path / "run"
    run.mkdir()
    (run / "state.json").write_text(json.dumps({"step": 2, "weights": "w", "optimizer": "o"}))
    with pytest.raises(runs.RecipeMismatch, match="no recipe.json"):
        training.train(recipe(photos, styles, 4), run, jit_compile=False, log=lambda m: None)


def test_recipe_without_a_checkpoint_can_be_changed(tmp_path, folders):
    """A run that failed before its first checkpoint is no run: a corrected command starts over."""
    photos, styles = folders
    run = tmp_path / "run"
    run.mkdir()
    (run / "recipe.json").write_text(json.dumps({"widths": [8, 8, 8]}))
    step = training.train(recipe(photos, styles, 1), run, jit_compile=False, save_every=1e9, log=lambda m: None)
    assert step == 1 and json.loads((run / "recipe.json").read_text())["widths"] == [4, 8, 8]


def test_crop_batches_are_seeded_and_shaped():
    photos = [np.random.default_rng(i).integers(0, 255, (50, 70, 3), dtype=np.uint8) for i in range(3)]
    a = training.CropBatches(photos, 4, batch=3, crop=32, batches=5, seed=1, first_step=10, ramp_steps=20)
    b = training.CropBatches(photos, 4, batch=3, crop=32, batches=5, seed=1, first_step=10, ramp_steps=20)
    (ca, sa, ramp), _ = a[2]
    (cb, sb, _), _ = b[2]
    np.testing.assert_allclose(ramp, 12 / 20)  # global step 12 of a 20-step ramp
    assert ca.shape == (3, 32, 32, 3) and sa.shape == (3, 4)
    np.testing.assert_array_equal(ca, cb)
    np.testing.assert_array_equal(sa.sum(axis=1), 1)
    assert len(a) == 5



def test_crop_batches_draw_styles_as_often_as_asked():
    photos = [np.random.default_rng(0).integers(0, 255, (40, 40, 3), dtype=np.uint8)]
    uniform = training.CropBatches(photos, 3, batch=8, crop=32, batches=1, seed=0)
    weighted = training.CropBatches(photos, 3, batch=8, crop=32, batches=300, seed=0,
                                    draw_probabilities=[0.0, 0.2, 0.8])
    counts = sum(weighted[i][0][1].sum(axis=0) for i in range(len(weighted)))  # per style, of 2,400 crops
    assert counts[0] == 0 and abs(counts[2] / counts.sum() - 0.8) < 0.03
    # the crops do not depend on how styles are drawn; uniform draws are what they always were
    np.testing.assert_array_equal(uniform[0][0][0], weighted[0][0][0])
    rng = np.random.default_rng((0, 0))
    random_crops(rng, photos, 8, 32)
    np.testing.assert_array_equal(uniform[0][0][1].argmax(axis=1), rng.integers(3, size=8))
    with pytest.raises(ValueError, match="2 draw probabilities for 3 styles"):
        training.CropBatches(photos, 3, batch=2, crop=32, batches=1, seed=0, draw_probabilities=[0.5, 0.5])


def test_recipe_style_draws_become_probabilities_over_the_styles_drawn():
    recipe = training.Recipe(styles=["a", "b", "c", "d"], photos="p", style_draws=[1, 1, 4, 2])
    np.testing.assert_allclose(recipe.draws(), [0.125, 0.125, 0.5, 0.25])
    assert training.Recipe(styles=["a"], photos="p").draws() is None
    added = training.Recipe(styles=["a", "b", "c", "d"], photos="p", style_draws=[1, 1, 4, 2], train_styles=[2, 3])
    np.testing.assert_allclose(added.draws(), [2 / 3, 1 / 3])  # only the styles being trained are drawn
    with pytest.raises(ValueError, match="4 non-negative numbers"):
        training.Recipe(styles=["a", "b", "c", "d"], photos="p", style_draws=[1, 1]).draws()
    with pytest.raises(ValueError, match="weight 0"):
        dataclasses.replace(added, style_draws=[1, 1, 0, 0]).draws()


def test_the_compiled_step_scores_what_the_objective_scores(chelsea_small, stripes_style):
    """A graph-mode training step's loss is the objective computed eagerly on the same batch: the
    stylised images and the photos go through separate VGG16s (the photo's stops at the content
    layer), and both carry the real weights inside the traced step."""
    import keras

    from convert import networks, vgg
    from convert.losses import StyleObjective

    keras.utils.set_random_seed(0)
    objective = StyleObjective()
    grams = training.style_grams(objective, [stripes_style.astype(np.float32), chelsea_small[:40, :40]])
    trainer = training.StyleTrainer(networks.transformer(2, widths=(4, 8, 8), residual_blocks=1), objective, grams,
                                    style_scales=[1.0, 2.0])
    trainer.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False)
    data = training.CropBatches([chelsea_small.astype(np.uint8)], 2, batch=2, crop=32, batches=2, seed=0, first_step=10, ramp_steps=1)
    for i in range(2):  # the first step traces (before anything runs eagerly), the second does not
        x, y = data[i]
        before = trainer.transformer.get_weights()
        stepped = float(trainer.train_on_batch(x, y))  # the loss of the weights before the update
        trainer.transformer.set_weights(before)
        assert stepped == pytest.approx(float(trainer.compute_loss(x, y, trainer(x))), rel=1e-4)
    # and the terms are those of one VGG16 that sees both batches
    x, _ = data[0]
    out = trainer(x)
    full = vgg.feature_extractor(objective.taps)
    expected = objective.terms(out, full(out), full(x[0]), {k: keras.ops.einsum("bn,ncd->bcd", x[1], g)
                                                          for k, g in trainer.style_grams.items()})
    for name, value in trainer.terms(x[0], x[1], out).items():
        np.testing.assert_allclose(np.asarray(value), np.asarray(expected[name]), rtol=1e-4)

def test_fit_sees_the_ramp_from_zero():
    """Batch i of the data is step i: fit must not shuffle the batches (Keras does by default)."""
    import keras

    seen = []

    class Probe(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, inputs):
            return self.dense(keras.ops.mean(inputs[0], axis=(1, 2)))

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            return keras.ops.mean(y_pred) * 0 + keras.ops.mean(x[2])

    photos = [np.zeros((40, 40, 3), np.uint8)]
    data = training.CropBatches(photos, 2, batch=2, crop=32, batches=4, seed=0, first_step=0, ramp_steps=4)
    probe = Probe()
    probe.compile(optimizer="sgd", run_eagerly=True)
    skeleton.fit(probe, data, [keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen.append(round(float(logs["loss"]), 4)))], verbose=0)
    # Keras reports the running mean of the loss: ramps 0, .25, .5, .75 give means 0, .125, .25, .375.
    assert seen == [0.0, 0.125, 0.25, 0.375]


@pytest.mark.slow
def test_fine_tuning_a_new_style_trains_only_its_norm_parameters(tmp_path, folders, stripes_style):
    """--from: the base's styles and shared weights stay exactly as they were; the new style's row,
    started at the mean of the base's rows, is what changes (Dumoulin et al. 2017)."""
    import dataclasses

    from convert import networks

    photos, styles = folders
    base_run = tmp_path / "base"
    training.train(recipe(photos, styles, 2), base_run, jit_compile=False, save_every=1e9, render_every=100,
                   log=lambda *a: None)
    base_net, base_recipe, _ = training.load_run(base_run)
    new_style = tmp_path / "blue.png"
    Image.fromarray(np.full((40, 40, 3), (20, 40, 220), np.uint8)).save(new_style)
    tuned = dataclasses.replace(base_recipe, styles=styles + [str(new_style)], steps=3, init_from=str(base_run),
                                train_styles=[2], freeze_shared=True)
    messages = []
    training.train(tuned, tmp_path / "tuned", jit_compile=False, save_every=1e9, render_every=100,
                   log=messages.append)
    assert any("starting from" in m for m in messages)
    net, saved, step = training.load_run(tmp_path / "tuned")
    assert step == 3 and saved.train_styles == [2] and saved.init_from == str(base_run)
    for layer in net.layers:
        before = base_net.get_layer(layer.name).get_weights()
        after = layer.get_weights()
        if isinstance(layer, networks.ConditionalInstanceNorm):
            for b, a in zip(before, after):
                np.testing.assert_array_equal(a[:2], b)  # the base's styles are untouched
            assert any(np.abs(a[2] - b.mean(axis=0)).max() > 0 for b, a in zip(before, after))
        else:
            for b, a in zip(before, after):
                np.testing.assert_array_equal(a, b)  # shared weights frozen


NO_WEIGHTS = {"content_weight": None, "style_weight": None, "tv_weight": None}  # extend_recipe: the base's


@pytest.mark.slow
def test_retraining_one_style_leaves_every_other_style_as_it_was(tmp_path, folders):
    """--from --retrain: only the named style's normalisation rows and colour maps train, at its new
    scale; the other style's rows and every shared weight stay bit for bit the same."""
    import dataclasses

    from convert import networks

    photos, styles = folders
    base_run = tmp_path / "base"
    training.train(dataclasses.replace(recipe(photos, styles, 2), colour_head=True), base_run, jit_compile=False,
                   save_every=1e9, render_every=100, log=lambda *a: None)
    base_net = training.load_run(base_run)[0]
    again = training.extend_recipe(base_run, [], photos, NO_WEIGHTS, [2.5], retrain=["red"], steps=3)
    assert again.train_styles == [1] and again.freeze_shared and again.style_scales == [1.0, 2.5]
    assert again.styles == styles and again.colour_head
    training.train(again, tmp_path / "again", jit_compile=False, save_every=1e9, render_every=100,
                   log=lambda *a: None)
    net, saved, step = training.load_run(tmp_path / "again")
    assert step == 3 and saved.train_styles == [1]
    changed = []
    for layer in net.layers:
        for b, a in zip(base_net.get_layer(layer.name).get_weights(), layer.get_weights()):
            if isinstance(layer, (networks.ConditionalInstanceNorm, networks.ColourOutput)):
                np.testing.assert_array_equal(a[0], b[0])  # the other style's own row
                changed.append(np.abs(a[1] - b[1]).max() > 0)
            else:
                np.testing.assert_array_equal(a, b)  # shared weights frozen
    assert any(changed)

    with pytest.raises(ValueError, match=r"--retrain blue: not one of this run's styles \(stripes, red\)"):
        training.extend_recipe(base_run, [], photos, NO_WEIGHTS, retrain=["blue"])
    with pytest.raises(ValueError, match="1 retrained styles"):
        training.extend_recipe(base_run, [], photos, NO_WEIGHTS, [1.0, 2.0], retrain=["red"])
    with pytest.raises(ValueError, match="only the named styles"):
        training.extend_recipe(base_run, [], photos, {**NO_WEIGHTS, "content_weight": 9.0}, retrain=["red"])
    with pytest.raises(ValueError, match="only the named styles"):
        training.extend_recipe(base_run, [], photos, NO_WEIGHTS, retrain=["red"], residual_blocks=2)
    with pytest.raises(ValueError, match="twice"):
        training.extend_recipe(base_run, [], photos, NO_WEIGHTS, retrain=["red", "red"])


def trained_base(tmp_path, photos, styles):
    """A base run of two steps for the growth tests, and its network."""
    base_run = tmp_path / "base"
    training.train(recipe(photos, styles, 2), base_run, jit_compile=False, save_every=1e9, render_every=100,
                   log=lambda *a: None)
    return base_run, training.load_run(base_run)[0]


def assert_paints_as(grown, base_net):
    """``grown`` paints what ``base_net`` does, for each of two styles and a mix; returns the test picture."""
    picture = np.random.default_rng(1).uniform(0, 255, (1, 40, 48, 3)).astype(np.float32)
    for weights in ([1, 0], [0, 1], [0.3, 0.7]):
        style = np.asarray([weights], np.float32)
        np.testing.assert_allclose(np.asarray(grown([picture, style])), np.asarray(base_net([picture, style])),
                                   atol=1e-3)
    return picture


@pytest.mark.slow
def test_growing_deeper_starts_as_the_trained_network_and_trains_the_new_blocks(tmp_path, folders):
    """--from with more --residual-blocks (Net2DeeperNet, Chen et al. 2016): before any step the grown
    network paints exactly what the base does, for each style and a mix; then every weight trains."""
    from convert import networks

    photos, styles = folders
    base_run, base_net = trained_base(tmp_path, photos, styles)
    grown_recipe = training.extend_recipe(base_run, [], photos, NO_WEIGHTS, residual_blocks=3, steps=4)
    assert grown_recipe.residual_blocks == 3 and grown_recipe.train_styles is None
    assert not grown_recipe.freeze_shared and grown_recipe.styles == styles

    grown = grown_recipe.build_transformer()
    assert training.init_from_run(grown, base_run) == (2, 1)
    picture = assert_paints_as(grown, base_net)
    assert not np.allclose(np.asarray(base_net([picture, np.eye(2, dtype=np.float32)[:1]])), picture, atol=1)

    messages = []
    step = training.train(grown_recipe, tmp_path / "grown", jit_compile=False, save_every=1e9, render_every=100,
                          log=messages.append)
    assert step == 4 and any("1 residual blocks" in m for m in messages)
    trained, saved, _ = training.load_run(tmp_path / "grown")
    assert networks.residual_blocks(trained) == 3 and saved.init_from == str(base_run)
    for name in ("res2b_norm", "res2a_conv", "res0a_conv"):  # a new block's scale and convolution, an old block
        before = grown.get_layer(name).get_weights()[0]
        assert np.abs(trained.get_layer(name).get_weights()[0] - before).max() > 0, name
    with pytest.raises(ValueError, match="nothing to add"):
        training.extend_recipe(base_run, [], photos, NO_WEIGHTS)
    with pytest.raises(ValueError, match="grows, it is not cut"):
        training.extend_recipe(base_run, [], photos, NO_WEIGHTS, residual_blocks=0)


@pytest.mark.slow
def test_widening_starts_as_the_trained_network_and_trains_the_new_channels(tmp_path, folders):
    """--from with a wider --residual-width: the new channels start with zero outgoing weights, so the
    wide network paints what the base does before any step, for each style and a mix; then they train."""
    photos, styles = folders
    base_run, base_net = trained_base(tmp_path, photos, styles)
    wide_recipe = training.extend_recipe(base_run, [], photos, NO_WEIGHTS, residual_blocks=2, residual_width=12,
                                         steps=4)
    assert wide_recipe.residual_width == 12 and wide_recipe.inner_width == 12 and wide_recipe.residual_blocks == 2
    assert not wide_recipe.freeze_shared

    wide = wide_recipe.build_transformer()
    assert wide.get_layer("res0a_conv").get_weights()[0].shape == (3, 3, 8, 12)
    assert wide.get_layer("res0b_conv").get_weights()[0].shape == (3, 3, 12, 8)
    training.init_from_run(wide, base_run)
    assert_paints_as(wide, base_net)
    new_in = wide.get_layer("res0b_conv").get_weights()[0][:, :, 8:, :]
    assert np.all(new_in == 0) and np.abs(wide.get_layer("res0a_conv").get_weights()[0][..., 8:]).max() > 0

    messages = []
    step = training.train(wide_recipe, tmp_path / "wide", jit_compile=False, save_every=1e9, render_every=100,
                          log=messages.append)
    assert step == 4 and any("12 channels inside each block" in m for m in messages)
    trained, saved, _ = training.load_run(tmp_path / "wide")
    assert saved.residual_width == 12
    assert np.abs(trained.get_layer("res0b_conv").get_weights()[0][:, :, 8:, :]).max() > 0  # the new channels learn
    with pytest.raises(ValueError, match="grows, it is not cut"):
        training.extend_recipe(base_run, [], photos, NO_WEIGHTS, residual_width=4)
    with pytest.raises(ValueError, match="nothing to add"):
        training.extend_recipe(base_run, [], photos, NO_WEIGHTS, residual_width=8)
    with pytest.raises(ValueError, match="nothing to add"):  # the base's own weight changes nothing
        training.extend_recipe(base_run, [], photos, {**NO_WEIGHTS, "content_weight": 1.0})
    reweighted = training.extend_recipe(base_run, [], photos, {**NO_WEIGHTS, "content_weight": 3.0})
    assert reweighted.objective["content_weight"] == 3.0 and reweighted.objective["style_weight"] == 20.0
    assert not reweighted.freeze_shared and reweighted.train_styles is None and reweighted.residual_width is None


@pytest.mark.slow
def test_a_colour_head_starts_as_the_trained_network_and_trains(tmp_path, folders):
    """--from with --colour-head: the base's head had no weights, the new one starts at zero, so the
    network paints what the base does before any step; then its per-style maps train, and a resumed
    run keeps the head."""
    from convert import networks

    photos, styles = folders
    base_run, base_net = trained_base(tmp_path, photos, styles)
    headed = training.extend_recipe(base_run, [], photos, NO_WEIGHTS, colour_head=True, steps=4)
    assert headed.colour_head and not headed.freeze_shared and headed.train_styles is None
    net = headed.build_transformer()
    training.init_from_run(net, base_run)
    assert_paints_as(net, base_net)

    messages = []
    assert training.train(headed, tmp_path / "headed", jit_compile=False, save_every=1e9, render_every=100,
                          log=messages.append) == 4
    assert any("a colour head that starts as the head it had" in m for m in messages)
    trained, saved, _ = training.load_run(tmp_path / "headed")
    assert saved.colour_head and isinstance(trained.get_layer("stylized"), networks.ColourOutput)
    assert np.abs(trained.get_layer("stylized").get_weights()[0]).max() > 0  # the mean maps learn
    with pytest.raises(ValueError, match="nothing to add"):  # a head it already has adds nothing
        training.extend_recipe(tmp_path / "headed", [], photos, NO_WEIGHTS, colour_head=True)
    assert training.extend_recipe(tmp_path / "headed", [], photos, NO_WEIGHTS, residual_blocks=2).colour_head
    # without new styles, --style-scales replace the base's, one per style
    assert training.extend_recipe(base_run, [], photos, NO_WEIGHTS, [0.5, 3.0], colour_head=True).style_scales == [0.5, 3.0]
    with pytest.raises(ValueError, match="2 styles"):
        training.extend_recipe(base_run, [], photos, NO_WEIGHTS, [0.5], colour_head=True)


@pytest.mark.slow
def test_a_style_added_without_a_scale_trains_at_the_median_of_the_base_scales(tmp_path, folders):
    """--from --styles without --style-scales: the new style gets a typical style's weight in the
    trained run, the median of its scales (1 where the run has none), not 1."""
    photos, styles = folders
    base_run, _ = trained_base(tmp_path, photos, styles)
    scaled = tmp_path / "scaled"
    scaled.mkdir()
    for name in ("transformer-0000002.weights.h5", "state.json", "recipe.json"):
        shutil.copy(base_run / name, scaled / name)
    recorded = json.loads((scaled / "recipe.json").read_text())
    (scaled / "recipe.json").write_text(json.dumps({**recorded, "style_scales": [0.2, 0.6]}))
    new_style = tmp_path / "blue.png"
    Image.fromarray(np.full((40, 40, 3), (20, 40, 220), np.uint8)).save(new_style)
    added = training.extend_recipe(scaled, [new_style], photos, NO_WEIGHTS)
    assert added.style_scales == pytest.approx([0.2, 0.6, 0.4]) and added.train_styles == [2]
    assert training.extend_recipe(scaled, [new_style], photos, NO_WEIGHTS, [0.7]).style_scales == [0.2, 0.6, 0.7]
    assert training.extend_recipe(base_run, [new_style], photos, NO_WEIGHTS).style_scales is None  # all 1


def test_embedding_weights_in_a_wider_layer_keeps_the_trained_values():
    from convert import networks

    kernel = np.ones((3, 3, 2, 2), np.float32)
    wide = np.full((3, 3, 3, 4), 5.0, np.float32)
    out, bias, table = networks.embed_weights([kernel, np.ones(2), np.ones((2, 2))], [wide, np.zeros(4), np.zeros((2, 4))])
    np.testing.assert_array_equal(out[:, :, :2, :2], 1)
    np.testing.assert_array_equal(out[:, :, 2:, :], 0)  # new inputs: nothing reaches the old outputs
    np.testing.assert_array_equal(out[:, :, :2, 2:], 5)  # new outputs keep their own start
    np.testing.assert_array_equal(bias, [1, 1, 0, 0])
    np.testing.assert_array_equal(table, [[1, 1, 0, 0], [1, 1, 0, 0]])
    with pytest.raises(ValueError, match="do not fit"):
        networks.embed_weights([np.ones((3, 3, 4, 4))], [np.ones((3, 3, 2, 4))])


@pytest.mark.slow
def test_snapshots_are_kept_and_averaged_into_a_run_that_paints(tmp_path, folders):
    photos, styles = folders
    run = tmp_path / "run"
    # save_every=0: a checkpoint after every step, so steps 1 to 4 each leave a snapshot; 2 are kept.
    training.train(recipe(photos, styles, 4), run, save_every=0, render_every=100, jit_compile=False,
                   log=lambda m: None, keep_snapshots=2)
    kept = runs.snapshots(run)
    assert [runs.snapshot_step(p) for p in kept] == [3, 4]
    assert not list((run / runs.SNAPSHOTS).glob("*.tmp"))
    # The checkpoint itself is unchanged by keeping snapshots: one weights file, with its optimiser state.
    assert sorted(p.name for p in run.glob("transformer-*")) == ["transformer-0000004.weights.h5"]
    assert (run / kept[-1].name).read_bytes() == kept[-1].read_bytes()

    out = tmp_path / "averaged"
    state = runs.write_averaged_run(run, kept, out)
    assert state["step"] == 4 and state["averaged_steps"] == [3, 4] and state["optimizer"] is None
    averaged, _, step = training.load_run(out)
    assert step == 4
    net_3, net_4 = training.load_run(run)[0], training.load_run(run)[0]
    net_3.load_weights(kept[0])
    means = [(a + b) / 2 for a, b in zip(net_3.get_weights(), net_4.get_weights())]
    assert any(not np.array_equal(a, b) for a, b in zip(net_3.get_weights(), net_4.get_weights()))
    for mean, got in zip(means, averaged.get_weights()):
        np.testing.assert_allclose(got, mean, rtol=1e-6, atol=1e-7)
    # A weights-only run paints, and is refused as a run to resume.
    from convert.networks import stylize

    painted = stylize(averaged, np.full((20, 20, 3), 128, np.float32), [1.0, 0.0])
    assert painted.shape == (20, 20, 3) and np.isfinite(painted).all()
    with pytest.raises(runs.RecipeMismatch, match="weights only"):
        training.train(recipe(photos, styles, 6), out, jit_compile=False, log=lambda m: None)
