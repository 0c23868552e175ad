import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from convert import adain, losses, networks, runs

ROOT = Path(__file__).resolve().parent.parent


def test_adain_gives_content_the_style_statistics():
    rng = np.random.default_rng(0)
    content = rng.normal(3.0, 2.0, (2, 6, 5, 4)).astype(np.float32)
    style = rng.normal(-1.0, 0.5, (2, 7, 7, 4)).astype(np.float32)
    s_mean, s_std = losses.mean_std(style)
    out = adain.adaptive_instance_norm(content, s_mean, s_std)
    o_mean, o_std = losses.mean_std(out)
    np.testing.assert_allclose(np.asarray(o_mean), np.asarray(s_mean), atol=1e-4)
    np.testing.assert_allclose(np.asarray(o_std), np.asarray(s_std), atol=1e-3)
    # The spatial pattern is the content's: correlation 1 per channel.
    a = np.asarray(out)[0, ..., 0].ravel()
    assert np.corrcoef(a, content[0, ..., 0].ravel())[0, 1] > 0.999


def test_decoder_size_and_shapes():
    dec = adain.decoder()
    assert 800_000 < dec.count_params() < 1_000_000  # a quarter of the paper's widths, for the browser
    out = dec(np.zeros((1, 3, 5, 512), np.float32))
    assert tuple(out.shape) == (1, 24, 40, 3)


def test_the_committed_decoder_paints_no_8_pixel_grid_with_either_upsampling():
    """The two upsamplings take the same weights. The committed decoder was trained with nearest
    repetition and the block penalty: with nearest it paints no 8-pixel grid (the 9,499-step decoder
    shipped before it scored 1.30 here), nor with bilinear, untrained."""
    import skimage.data

    from convert import evaluate
    from conftest import _resize

    nearest, recipe, _ = adain.load_run(ROOT / "checkpoints" / "adain")
    bilinear = adain.decoder(recipe.widths, upsample="bilinear")
    assert [w.shape for w in nearest.get_weights()] == [w.shape for w in bilinear.get_weights()]
    bilinear.set_weights(nearest.get_weights())
    photo, style = _resize(skimage.data.chelsea(), 192), _resize(skimage.data.astronaut(), 192)
    assert evaluate.block_figure(photo) < 1.1
    assert evaluate.block_figure(adain.stylize(nearest, photo, style)) < 1.15  # 1.09 measured
    assert evaluate.block_figure(adain.stylize(bilinear, photo, style)) < 1.15  # 1.06
    with pytest.raises(ValueError, match="nearest, bilinear"):
        adain.decoder(upsample="cubic")


@pytest.fixture(scope="module")
def small_decoder():
    return adain.decoder((8, 8, 8))


def test_stylize_any_size_clipped(small_decoder, chelsea_small, stripes_style):
    out = adain.stylize(small_decoder, chelsea_small[:61, :90], stripes_style)
    assert out.shape == (61, 90, 3) and out.min() >= 0 and out.max() <= 255


def test_alpha_zero_is_the_content_features(small_decoder, chelsea_small, stripes_style):
    """alpha 0 decodes the content's own features, the same as taking the content as its own style."""
    photo = chelsea_small[:64, :64]
    zero = adain.stylize(small_decoder, photo, stripes_style, alpha=0.0)
    itself = adain.stylize(small_decoder, photo, photo, alpha=1.0)
    np.testing.assert_allclose(zero, itself, atol=0.05)
    assert np.abs(adain.stylize(small_decoder, photo, stripes_style) - zero).mean() > 0.01


def test_mixing_statistics_is_convex(stripes_style, chelsea_small):
    a = adain.style_statistics(stripes_style[None])
    b = adain.style_statistics(chelsea_small[None])
    half = adain.mix_statistics([a, b], [1, 1])
    for tap in adain.ENCODER_TAPS:
        np.testing.assert_allclose(half[tap][0], (np.asarray(a[tap][0]) + np.asarray(b[tap][0])) / 2, rtol=1e-5,
                                   atol=1e-5)
    same = adain.mix_statistics([a, a], [0.3, 0.7])
    np.testing.assert_allclose(same["relu4_1"][1], np.asarray(a["relu4_1"][1]), rtol=1e-5)


def test_pair_batches_are_a_function_of_the_step(chelsea_small, stripes_style):
    photos = [chelsea_small.astype(np.uint8)]
    paintings = [stripes_style.astype(np.uint8)]
    a = adain.PairBatches(photos, paintings, batch=2, crop=32, batches=5, seed=3)
    b = adain.PairBatches(photos, paintings, batch=2, crop=32, batches=3, seed=3, first_step=2)
    (c1, s1), _ = a[2]
    (c2, s2), _ = b[0]
    np.testing.assert_array_equal(c1, c2)
    np.testing.assert_array_equal(s1, s2)
    assert c1.shape == (2, 32, 32, 3)
    with pytest.raises(ValueError, match="at least 200 px"):
        adain.PairBatches(photos, paintings, batch=2, crop=200, batches=1, seed=0)


def test_train_resumes_and_holds_out(tmp_path, training_folders):
    photos, styles = training_folders
    recipe = adain.AdaINRecipe(photos=str(photos), styles=[str(styles)], holdout=["held.png"], steps=2,
                               batch=1, crop=32, scale=64, widths=(8, 8, 8))
    lines = []
    run = tmp_path / "run"
    assert adain.train_adain(recipe, run, val_folder=photos, val_size=48, render_every=2, log=lines.append) == 2
    assert any("skipping" in line and "broken.jpg" in line for line in lines)
    assert any("1 style images, 1 held out" in line for line in lines)
    assert (run / "renders" / "step-0000002.jpg").exists()
    recipe.steps = 3
    assert adain.train_adain(recipe, run, log=lines.append) == 3
    assert any("resuming at step 2" in line for line in lines)
    dec, saved, step = adain.load_run(run)
    assert step == 3 and saved.holdout == ["held.png"] and dec.count_params() > 0
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert any("val" in r for r in log)

    # The same pictures in another place (a GPU machine's packed copy) continue the run ...
    moved = tmp_path / "elsewhere" / styles.name
    shutil.copytree(styles, moved)
    recipe.styles, recipe.steps = [str(moved)], 4
    assert adain.train_adain(recipe, run, log=lines.append) == 4
    # ... but other held-out paintings, or another decoder, are refused: never trained on quietly.
    recipe.holdout = ["other.png"]
    with pytest.raises(runs.RecipeMismatch, match="another holdout"):
        adain.train_adain(recipe, run, log=lines.append)
    recipe.holdout, recipe.widths = ["held.png"], (8, 8, 4)
    with pytest.raises(runs.RecipeMismatch, match="another widths"):
        adain.train_adain(recipe, run, log=lines.append)


def test_a_run_can_start_from_another_with_bilinear_upsampling(tmp_path, training_folders):
    """--from: a new run starts from the base run's decoder weights (and resumes as itself); old
    recipes without the setting count as nearest upsampling."""
    photos, styles = training_folders
    base = adain.AdaINRecipe(photos=str(photos), styles=[str(styles)], holdout=["held.png"], steps=1,
                             batch=1, crop=32, scale=64, widths=(8, 8, 8))
    adain.train_adain(base, tmp_path / "base", log=lambda *a: None)
    base_decoder = adain.load_run(tmp_path / "base")[0]
    lines = []
    smooth = adain.AdaINRecipe(**{**vars(base), "upsample": "bilinear", "init_from": str(tmp_path / "base"),
                                  "learning_rate": 1e-9})
    assert adain.train_adain(smooth, tmp_path / "smooth", log=lines.append) == 1
    assert any(f"starting from {tmp_path / 'base'} at step 1 (bilinear upsampling)" in line for line in lines)
    dec, saved, _ = adain.load_run(tmp_path / "smooth")
    assert saved.upsample == "bilinear" and any(isinstance(l, networks.BilinearUpsample) for l in dec.layers)
    for trained, start in zip(dec.get_weights(), base_decoder.get_weights()):  # one step of lr 1e-9
        np.testing.assert_allclose(trained, start, atol=1e-6)
    smooth.steps = 2
    assert adain.train_adain(smooth, tmp_path / "smooth", log=lines.append) == 2  # resumes, does not restart
    assert sum("starting from" in line for line in lines) == 1
    with pytest.raises(runs.RecipeMismatch, match="another upsample"):
        adain.train_adain(adain.AdaINRecipe(**{**vars(smooth), "upsample": "nearest"}), tmp_path / "smooth",
                          log=lines.append)
    # a recipe written before upsampling was a setting
    recipe_path = tmp_path / "base" / "recipe.json"
    old = {k: v for k, v in json.loads(recipe_path.read_text()).items() if k not in ("upsample", "init_from")}
    recipe_path.write_text(json.dumps(old))
    base.steps = 2
    assert adain.train_adain(base, tmp_path / "base", log=lines.append) == 2


def test_the_training_step_scores_the_targets_it_decoded_from(chelsea_small, stripes_style):
    """The step computes the AdaIN targets once (in call) and scores the image against them: its loss
    is the eager objective's, with the targets computed afresh."""
    import keras

    keras.utils.set_random_seed(0)
    trainer = adain.AdaINTrainer(adain.decoder((8, 8, 8)), style_weight=10.0, tv_weight=1.0)
    trainer.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False)
    content = np.stack([chelsea_small[:64, :64], chelsea_small[-64:, -64:]]).astype(np.float32)
    style = np.stack([stripes_style[:64, :64], stripes_style[-64:, -64:]]).astype(np.float32)
    y = np.zeros((2, 1), np.float32)
    trainer((content, style))  # builds it
    before = trainer.decoder.get_weights()
    stepped = float(trainer.train_on_batch((content, style), y))
    trainer.decoder.set_weights(before)
    out = trainer.decoder(trainer.targets(content, style)[0])
    t = trainer.terms(content, style, out)  # targets computed again
    eager = np.mean(np.asarray(t["content"] + 10.0 * t["style"] + 1.0 * t["tv"] + networks.RANGE_WEIGHT * t["range"]))
    assert stepped == pytest.approx(float(eager), rel=1e-4)
    # with a block penalty, the step's loss adds block_weight times it
    blocky = adain.AdaINTrainer(trainer.decoder, style_weight=10.0, tv_weight=1.0, block_weight=5.0)
    blocky.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False)
    blocky((content, style))
    assert "block" not in t  # not computed where it does not count
    block = float(np.mean(np.asarray(blocky.terms(content, style, out)["block"])))
    assert block > 0
    assert float(blocky.test_on_batch((content, style), y)) == pytest.approx(float(eager + 5.0 * block), rel=1e-4)


def test_the_style_loss_covers_the_layers_asked_for(chelsea_small, stripes_style):
    """style_layers=(..., relu5_1): the style term is the mean of the mean/std losses of exactly those
    layers, computed here from VGG16 directly; the content term is unchanged; unknown layers are refused."""
    from convert import losses, vgg

    dec = adain.decoder((8, 8, 8))
    content = chelsea_small[None, :64, :64].astype(np.float32)
    style = stripes_style[None, :64, :64].astype(np.float32)
    four = adain.AdaINTrainer(dec, style_weight=10.0)
    five = adain.AdaINTrainer(dec, style_weight=10.0, style_layers=adain.STYLE_LAYERS)
    out = dec(four.targets(content, style)[0])
    t4, t5 = four.terms(content, style, out), five.terms(content, style, out)
    extract = vgg.feature_extractor(adain.STYLE_LAYERS)
    vgg_out, vgg_style = extract(out), extract(style)
    per_layer = {l: float(np.asarray(losses.mean_std_style_loss(vgg_out[l], *losses.mean_std(vgg_style[l])))[0])
                 for l in adain.STYLE_LAYERS}
    assert float(np.asarray(t5["style"])[0]) == pytest.approx(np.mean(list(per_layer.values())), rel=1e-4)
    assert float(np.asarray(t4["style"])[0]) == pytest.approx(np.mean([per_layer[l] for l in adain.ENCODER_TAPS]),
                                                              rel=1e-4)
    assert per_layer["relu5_1"] != pytest.approx(np.mean([per_layer[l] for l in adain.ENCODER_TAPS]), rel=1e-2)
    assert float(np.asarray(t5["content"])[0]) == pytest.approx(float(np.asarray(t4["content"])[0]), rel=1e-5)
    with pytest.raises(ValueError, match="relu5_1"):
        adain.AdaINTrainer(dec, style_weight=10.0, style_layers=("relu4_2",))


def test_the_tone_term_compares_the_output_s_light_and_dark_with_the_photo_s(chelsea_small, stripes_style):
    """tone_weight: losses.tone_loss of the output against the photo, absent without the weight, zero
    for the photo itself; the step's loss adds its weighted mean."""
    import keras
    from convert import losses

    dec = adain.decoder((8, 8, 8))
    content = np.stack([chelsea_small[:64, :64], chelsea_small[-64:, -64:]]).astype(np.float32)
    style = np.stack([stripes_style[:64, :64], stripes_style[-64:, -64:]]).astype(np.float32)
    plain = adain.AdaINTrainer(dec, style_weight=10.0)
    toned = adain.AdaINTrainer(dec, style_weight=10.0, tone_weight=0.3)
    out = dec(plain.targets(content, style)[0])
    t, tt = plain.terms(content, style, out), toned.terms(content, style, out)
    assert "tone" not in t
    expected = np.asarray(losses.tone_loss(out, content))
    np.testing.assert_allclose(np.asarray(tt["tone"]), expected, rtol=1e-5)
    assert np.all(expected > 0.1)  # an untrained decoder ignores the photo's light and dark
    assert np.asarray(toned.terms(content, style, content)["tone"]) == pytest.approx(0.0, abs=1e-5)
    y = np.zeros((2, 1), np.float32)
    for trainer in (plain, toned):
        trainer.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False)
        trainer((content, style))
    difference = float(toned.test_on_batch((content, style), y)) - float(plain.test_on_batch((content, style), y))
    assert difference == pytest.approx(0.3 * float(np.mean(expected)), rel=1e-4)


def test_the_photo_anchor_is_content_loss_against_the_photo_at_relu3_1(chelsea_small, stripes_style):
    """anchor_weight: a term comparing the output's relu3_1 with the photo's (computed here from VGG16
    directly), zero for the photo itself, absent without the weight; the step's loss adds its weighted mean."""
    import keras
    from convert import losses, vgg

    dec = adain.decoder((8, 8, 8))
    content = np.stack([chelsea_small[:64, :64], chelsea_small[-64:, -64:]]).astype(np.float32)
    style = np.stack([stripes_style[:64, :64], stripes_style[-64:, -64:]]).astype(np.float32)
    plain = adain.AdaINTrainer(dec, style_weight=10.0)
    anchored = adain.AdaINTrainer(dec, style_weight=10.0, anchor_weight=0.5)
    out = dec(plain.targets(content, style)[0])
    t, ta = plain.terms(content, style, out), anchored.terms(content, style, out)
    assert "anchor" not in t
    relu3_1 = vgg.feature_extractor((adain.ANCHOR_LAYER,))
    expected = np.asarray(losses.content_loss(relu3_1(out)[adain.ANCHOR_LAYER], relu3_1(content)[adain.ANCHOR_LAYER]))
    np.testing.assert_allclose(np.asarray(ta["anchor"]), expected, rtol=1e-4)
    assert np.all(expected > 0.1)  # an untrained decoder's output is far from the photo
    assert np.asarray(anchored.terms(content, style, content)["anchor"]) == pytest.approx(0.0, abs=1e-6)
    for name in ("content", "style"):
        np.testing.assert_allclose(np.asarray(ta[name]), np.asarray(t[name]), rtol=1e-5)
    y = np.zeros((2, 1), np.float32)
    for trainer in (plain, anchored):
        trainer.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False)
        trainer((content, style))
    difference = float(anchored.test_on_batch((content, style), y)) - float(plain.test_on_batch((content, style), y))
    assert difference == pytest.approx(0.5 * float(np.mean(expected)), rel=1e-4)
