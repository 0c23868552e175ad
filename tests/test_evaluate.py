import json

import numpy as np
import pytest
from PIL import Image

from convert import evaluate
from convert.losses import StyleObjective


@pytest.fixture
def files(tmp_path, chelsea_small, stripes_style):
    photos = []
    for i, shift in enumerate((0, 20)):
        path = tmp_path / f"photo{i}.png"
        Image.fromarray(np.roll(chelsea_small, shift, axis=1).astype(np.uint8)).save(path)
        photos.append(path)
    styles = [tmp_path / "stripes.png", tmp_path / "red.png"]
    Image.fromarray(stripes_style.astype(np.uint8)).save(styles[0])
    Image.fromarray(np.full((50, 60, 3), (200, 40, 40), np.uint8)).save(styles[1])
    return photos, styles


@pytest.mark.slow
def test_identity_network_scores_like_the_photo_and_gatys_is_cached(tmp_path, files):
    photos, styles = files
    cache = evaluate.GatysCache(tmp_path / "cache.json")
    messages = []
    identity = lambda photo, s: photo  # noqa: E731
    result = evaluate.evaluate(identity, photos, styles, size=64, gatys_steps=8, gatys_photos=1,
                               cache=cache, log=messages.append)
    assert len(result["pairs"]) == 4 and len(messages) == 2  # Gatys for the first photo x 2 styles
    for pair in result["pairs"]:
        assert pair["network"]["content"] == pytest.approx(0, abs=1e-6)
        assert pair["style_fraction"] == pytest.approx(1.0, rel=1e-4)  # no style added
        assert list(pair["style_layer_fractions"]) == ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
        assert all(f == pytest.approx(1.0, rel=1e-4) for f in pair["style_layer_fractions"].values())
    with_ref = [p for p in result["pairs"] if "gatys" in p]
    assert [p["photo"] for p in with_ref] == ["photo0.png", "photo0.png"]
    for pair in with_ref:  # the optimiser does better than doing nothing
        assert pair["gatys"]["content_plus_style"] < pair["network"]["content_plus_style"]
        assert pair["ratio_to_gatys"] > 1
        trajectory = pair["gatys"]["trajectory"]
        assert len(trajectory) == 8 and trajectory == sorted(trajectory, reverse=True)
        assert trajectory[-1] == pytest.approx(pair["gatys"]["content_plus_style"], rel=1e-4)
        # Gatys starts from the photo, which is what the identity network returns: matched at once
        assert pair["gatys_steps_to_match"] == 1
        assert set(pair["gatys_steps_within"]) == {"1.3", "1.8"}
        assert 1 <= pair["gatys_steps_within"]["1.8"] <= pair["gatys_steps_within"]["1.3"] <= 8
        assert pair["block_figure"] == pytest.approx(pair["photo_block_figure"])  # the photo itself
        assert pair["tone_correlation"] == pytest.approx(1.0, abs=1e-4)
    overall = result["summary"]["overall"]
    assert overall["block_figure"] == pytest.approx(overall["photo_block_figure"]) and overall["block_figure"] < 1.3
    assert overall["pairs"] == 4 and overall["gatys_pairs"] == 2 and overall["tone_correlation"] == pytest.approx(1.0, abs=1e-4)
    assert overall["gatys_trajectories"] == 2 and overall["gatys_steps_to_match_median"] == 1
    assert set(result["summary"]["per_style"]) == {"stripes", "red"}

    # Second run: every reference comes from the cache file.
    messages.clear()
    again = evaluate.evaluate(identity, photos, styles, size=64, gatys_steps=8, gatys_photos=1,
                              cache=evaluate.GatysCache(tmp_path / "cache.json"), log=messages.append)
    assert messages == [] and again["summary"] == result["summary"]
    assert len(json.loads((tmp_path / "cache.json").read_text())) == 2


def test_tone_correlation_is_1_for_the_photo_s_light_and_dark_in_any_palette_and_minus_1_inverted(chelsea_small):
    grey = chelsea_small.mean(-1, keepdims=True)
    sepia = np.concatenate([grey * 0.9 + 40, grey * 0.7 + 20, grey * 0.4], -1)
    assert evaluate.tone_correlation(chelsea_small, chelsea_small) == pytest.approx(1.0, abs=1e-4)
    assert evaluate.tone_correlation(sepia, chelsea_small) > 0.99
    assert evaluate.tone_correlation(255.0 - chelsea_small, chelsea_small) == pytest.approx(-1.0, abs=1e-3)
    assert abs(evaluate.tone_correlation(chelsea_small[:, ::-1], chelsea_small)) < 0.9
    small = chelsea_small[:20, :30]  # under two 16 px squares a side: compared on 10 px ones
    assert evaluate.tone_correlation(255.0 - small, small) == pytest.approx(-1.0, abs=1e-3)


def test_block_figure_finds_an_8_pixel_grid_and_not_a_smooth_picture(chelsea_small):
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:96, 0:96].astype(np.float64)
    smooth = 128 + 60 * np.sin(x / 7.3 + 0.4) * np.cos(y / 11.1) + 40 * np.sin((x + 2 * y) / 5.9)  # smooth waves
    assert evaluate.block_figure(smooth) < 1.1
    assert evaluate.block_figure(chelsea_small) < 1.2  # a photo
    # The same picture made of 8 x 8 blocks (nearest-neighbour upsampling of a 12 x 12 one): every
    # step sits on the grid, 8 times the mean of the 8 phases at the seam.
    blocks = np.kron(smooth[::8, ::8], np.ones((8, 8)))
    assert evaluate.block_figure(blocks) == pytest.approx(8.0)
    # Blocks of about 10 grey levels on a photo show (6 give 1.28); blocks in one direction only count too.
    faint = chelsea_small[:64, :96].mean(-1) + 10 * np.kron(rng.normal(0, 1, (8, 12)), np.ones((8, 8)))
    assert evaluate.block_figure(faint) > 1.3
    columns = np.kron(rng.uniform(0, 255, (1, 12)), np.ones((96, 8)))
    assert evaluate.block_figure(columns) == pytest.approx(8.0)
    assert evaluate.block_figure(np.full((4, 4, 3), 9.0)) == 1.0  # too small or flat: no grid to find


def test_steps_to_match_reads_the_best_loss_so_far():
    objective = StyleObjective(content_weight=1.0, style_weight=10.0)
    history = [{"content": 0.0, "style": 1.0}, {"content": 0.5, "style": 0.2},  # 10, 2.5
               {"content": 3.0, "style": 0.5}, {"content": 0.4, "style": 0.1}]  # 8 (a worse try), 1.4
    trajectory = evaluate.trajectory(history, objective)
    assert trajectory == [10.0, 2.5, 2.5, 1.4]
    assert evaluate.steps_to_match(trajectory, 12.0) == 1
    assert evaluate.steps_to_match(trajectory, 3.0) == 2
    assert evaluate.steps_to_match(trajectory, 1.4) == 4
    assert evaluate.steps_to_match(trajectory, 1.0) is None  # never that low


def test_steps_within_a_ratio_find_where_the_target_lies_on_the_curve():
    trajectory = [10.0, 4.0, 2.0, 1.5, 1.2, 1.0]  # final 1.0
    assert evaluate.steps_within(trajectory, 1.3) == 5  # 1.2 <= 1.3: a network within 1.3x matches step 5
    assert evaluate.steps_within(trajectory, 2.0) == 3
    assert evaluate.steps_within(trajectory, 1.0) == 6
    assert evaluate.steps_within([], 1.3) is None
    rows = [{"style": "s", "network": {"content": 1.0, "style": 0.1, "content_plus_style": 3.0}, "style_fraction": 0.2,
             "gatys": {"content_plus_style": 1.0}, "gatys_steps_within": {"1.3": n, "1.8": n // 2}} for n in (80, 60, 100)]
    within = evaluate.summarise(rows)["overall"]["gatys_steps_within"]
    assert within == {"1.3": {"median": 80, "range": [60, 100]}, "1.8": {"median": 40, "range": [30, 50]}}


def test_summary_of_steps_to_match_counts_never_as_the_most():
    def pair(steps):
        return {"style": "s", "network": {"content": 1.0, "style": 0.1, "content_plus_style": 3.0},
                "style_fraction": 0.2, "gatys": {"content_plus_style": 1.0}, "gatys_steps_to_match": steps}

    rows = [pair(40), pair(None), pair(10)] + [{**pair(0), "gatys": {"content_plus_style": 1.0}}]
    del rows[-1]["gatys_steps_to_match"]  # a reference cached before trajectories were kept
    overall = evaluate.summarise(rows)["overall"]
    assert overall["gatys_pairs"] == 4 and overall["gatys_trajectories"] == 3
    assert overall["gatys_steps_to_match_median"] == 40 and overall["gatys_steps_to_match_range"] == [10, None]


def test_a_network_that_paints_scores_a_lower_style_fraction(files):
    photos, styles = files
    red = lambda photo, s: np.broadcast_to(np.array([200, 40, 40], np.float32), photo.shape)  # noqa: E731
    result = evaluate.evaluate(red, photos[:1], styles[1:], size=64, gatys_steps=0)
    pair = result["pairs"][0]
    assert pair["style_fraction"] < 0.3 and "gatys" not in pair  # measured 0.14 (borders differ in size)
    assert pair["network"]["content"] > 0.5  # and the photo is gone
    # Flat red has the painting's colour but none of its texture: the first layer's statistics are
    # matched far better than the deepest one's, and the style loss is their mean.
    layers = pair["style_layer_fractions"]
    assert layers["relu1_1"] < 0.1 and layers["relu1_1"] < layers["relu5_1"], layers
    per_style = result["summary"]["per_style"][styles[1].stem]["style_layer_fractions"]
    assert per_style == pytest.approx(layers)


def test_cache_key_depends_on_bytes_size_steps_and_objective(files):
    photos, styles = files
    key = evaluate.cache_key(photos[0], styles[0], 64, 8, StyleObjective())
    assert key == evaluate.cache_key(photos[0], styles[0], 64, 8, StyleObjective())
    assert key != evaluate.cache_key(photos[1], styles[0], 64, 8, StyleObjective())
    assert key != evaluate.cache_key(photos[0], styles[0], 96, 8, StyleObjective())
    assert key != evaluate.cache_key(photos[0], styles[0], 64, 9, StyleObjective())
    assert key != evaluate.cache_key(photos[0], styles[0], 64, 8, StyleObjective(style_weight=1))


@pytest.mark.slow
def test_a_gallery_run_can_be_scored_on_some_of_its_styles(tmp_path, files):
    """Each style is painted by its own row of the network whether all or some are asked for."""
    from convert import train

    photos, styles = files
    recipe = train.Recipe(styles=[str(s) for s in styles], photos=str(tmp_path), steps=1, batch=1, crop=32,
                          scale=48, ramp_steps=1, widths=(4, 8, 8), residual_blocks=1)
    train.train(recipe, tmp_path / "run", jit_compile=False, save_every=1e9, render_every=100, log=lambda *a: None)
    every = evaluate.evaluate_run(tmp_path / "run", "gallery", photos[:1], styles, size=48, log=lambda *a: None)
    red = evaluate.evaluate_run(tmp_path / "run", "gallery", photos[:1], styles[1:], size=48, log=lambda *a: None)
    assert red["styles"] == ["red"] and len(red["pairs"]) == 1
    assert red["pairs"][0]["network"] == every["pairs"][1]["network"] != every["pairs"][0]["network"]
