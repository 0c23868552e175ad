"""The training loop, encoder distillation and Gatys run on the JAX backend too (what a lent GPU machine has)."""

import os
import subprocess
import sys
import textwrap

import pytest

# One after another on one test process, so that each finds what the one before compiled (jax_env).
pytestmark = pytest.mark.xdist_group("jax")


@pytest.fixture(scope="session")
def jax_env(tmp_path_factory):
    """The environment of a JAX subprocess on the CPU, with compilation made cheap.

    These tests compile far more than they compute: every Keras initializer and every eagerly run op
    is its own XLA program, per shape, and so is the train step. So XLA skips LLVM's optimisations
    here, and the programs are kept on disk for the next JAX test, which builds the same shapes (all
    of them, not only those over JAX's default one-second threshold). Measured here beside other
    work, the training part of the first test took 39 s instead of 72, and 20 s with the cache filled.
    """
    pytest.importorskip("jax")
    base = tmp_path_factory.getbasetemp()
    cache = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "jax-cache"  # shared by the workers
    return {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu",
            "XLA_FLAGS": "--xla_backend_optimization_level=0", "JAX_COMPILATION_CACHE_DIR": str(cache),
            "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0"}


SCRIPT = textwrap.dedent("""
    import json, sys
    import keras
    import numpy as np
    from PIL import Image
    from convert.train import Recipe, train
    from convert import distill, gatys

    folder = sys.argv[1]
    rng = np.random.default_rng(0)
    for i in range(2):
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(f"{folder}/p{i}.png")
    recipe = Recipe(styles=[f"{folder}/p0.png", f"{folder}/p1.png"], photos=folder, steps=3, batch=2,
                    crop=32, scale=40, ramp_steps=2, widths=(4, 8, 8), residual_blocks=1)
    step = train(recipe, f"{folder}/run", save_every=1e9, log=lambda m: None)
    image = rng.uniform(0, 255, (32, 32, 3)).astype(np.float32)
    result = gatys.stylize(image, image[::-1], steps=5)
    d = distill.DistillRecipe(photos=folder, styles=[f"{folder}/p1.png"], widths=(4, 4, 8, 8, 8, 8, 8), steps=2,
                              batch=1, crop=32, scale=40, prune_images=2)
    distilled = distill.distill(d, f"{folder}/encoder", log=lambda m: None)
    print(json.dumps({"backend": keras.backend.backend(), "step": step, "distilled": distilled,
                      "gatys": [result.initial_losses["total"], result.losses["total"]]}))
""")


@pytest.mark.slow
def test_training_distillation_and_gatys_run_on_jax(tmp_path, jax_env):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True,
                          env=jax_env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import json

    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["backend"] == "jax" and result["step"] == 3 and result["distilled"] == 2
    assert result["gatys"][1] < result["gatys"][0]
    assert (tmp_path / "run" / "state.json").exists()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "tensorflow"])
def test_sigterm_saves_a_checkpoint_between_steps(tmp_path, backend, request):
    """`timeout` and schedulers stop training with SIGTERM: the run saves the step it reached and says so.

    On JAX a signal that lands inside a step used to find the variables' buffers donated to the
    compiled function, and the save on the way out failed (RuntimeError: Array has been deleted).
    """
    import json
    import signal
    import time

    import numpy as np
    from PIL import Image

    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(photos / f"p{i}.png")
    run = tmp_path / "run"
    env = {**(request.getfixturevalue("jax_env") if backend == "jax" else {**os.environ, "KERAS_BACKEND": backend}),
           "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "convert.cli", "train", "--photos", str(photos), "--styles", str(photos / "p0.png"),
         "--run", str(run), "--steps", "1000000", "--batch", "2", "--crop", "32", "--scale", "40",
         "--widths", "4", "8", "8", "--residual-blocks", "1", "--save-every-min", "1000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 300
        log = run / "log.jsonl"
        while not (log.exists() and '"loss"' in log.read_text()):  # 10 steps or more: steps are running
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[1][-3000:]
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    state = json.loads((run / "state.json").read_text())
    assert state["step"] >= 10 and f"SIGTERM: saved step {state['step']} to" in out + err
    assert (run / state["weights"]).exists() and (run / state["optimizer"]).exists()


DATA_PARALLEL = textwrap.dedent("""
    import json, sys
    import keras
    import numpy as np
    from PIL import Image
    from convert.train import Recipe, train, load_run

    folder = sys.argv[1]
    rng = np.random.default_rng(0)
    for i in range(2):
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(f"{folder}/p{i}.png")
    recipe = Recipe(styles=[f"{folder}/p0.png"], photos=folder, steps=3, batch=4, crop=32, scale=40,
                    ramp_steps=2, widths=(4, 8, 8), residual_blocks=1)
    messages = []
    step = train(recipe, f"{folder}/run", save_every=1e9, log=messages.append)
    dist = keras.distribution.distribution()
    print(json.dumps({"devices": len(keras.distribution.list_devices()), "step": step, "messages": messages,
                      "distribution": type(dist).__name__, "mesh": int(dist.device_mesh.devices.size)}))
""")


@pytest.mark.slow
def test_training_is_data_parallel_over_every_device_on_jax(tmp_path, jax_env):
    """Two virtual CPU devices stand in for a machine with two GPUs: the same command uses both."""
    env = {**jax_env, "XLA_FLAGS": jax_env["XLA_FLAGS"] + " --xla_force_host_platform_device_count=2"}
    proc = subprocess.run([sys.executable, "-c", DATA_PARALLEL, str(tmp_path)], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import json

    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["devices"] == 2 and result["step"] == 3
    assert result["distribution"] == "DataParallel" and result["mesh"] == 2
    assert "data-parallel over 2 devices (2 crops each)" in result["messages"]
    assert (tmp_path / "run" / "state.json").exists()
