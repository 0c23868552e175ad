"""The training skeleton every trainer runs: one resumable, watched, interruptible session.

:func:`open_run` refuses a run folder that holds another run and records the recipe; :func:`session`
builds the trainer at the chosen precision, restores its checkpoint, trains to the recipe's step
count and returns the step reached. What it guarantees, for the gallery network, the AdaIN decoder
and the distilled encoder alike:

* Resumable: the network's weights, Adam's state and the step are written atomically
  (:mod:`convert.runs`) every ``save_every`` seconds and at the end; a restart with the same run
  folder carries on from there, so a kill -9 loses at most the minutes since the last save.
* Interruptible: Ctrl-C or SIGTERM (`timeout`, schedulers) saves after the batch in progress; a
  time limit stops and saves the same way.
* Watched: a progress bar with ETA (Keras's), loss records in log.jsonl every ``log_every`` steps,
  TensorBoard scalars where TensorFlow is installed, and a trainer's own renders of validation
  pictures (:meth:`Monitor.render`) every ``render_every`` steps.

Training is backend-agnostic Keras 3: a trainer is a ``keras.Model`` whose ``compute_loss`` holds
the loss and whose ``network`` property is the model the checkpoints hold; ``Model.fit`` runs it.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import keras
import numpy as np

from . import images, precision, runs


def open_run(run_dir, kind: str, recipe: dict, keys: tuple[str, ...], seed: int, defaults: dict | None = None) -> Path:
    """Make ``run_dir``, refuse it if its checkpoint belongs to another run (differing in ``keys``, or
    another ``kind``; keys its saved recipe lacks count as ``defaults``), record ``recipe`` as its
    recipe.json and seed every random generator."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    runs.check_resumable(run_dir, recipe, keys, kind, defaults)
    runs.write_recipe(run_dir, kind, recipe)
    keras.utils.set_random_seed(seed)
    return run_dir


class Monitor(keras.callbacks.Callback):
    """Checkpoints every ``save_every`` seconds, logs every ``log_every`` steps, renders every ``render_every``.

    Subclasses override :meth:`render` to draw validation pictures and log their figures. With
    ``keep_snapshots`` N, each checkpoint's weights are also copied to ``snapshots/`` (the newest N
    kept), for :func:`convert.runs.average_weights`.
    """

    keep_snapshots = 0

    def __init__(self, run_dir: Path, steps: int, save_every: float, render_every: int, log_every: int = 10,
                 log=print, time_limit: float | None = None):
        super().__init__()
        # Wall-clock budget in seconds, counted from here: training stops after the batch that passes it.
        self.deadline = None if time_limit is None else time.monotonic() + time_limit
        self.run_dir = Path(run_dir)
        self.steps, self.save_every, self.render_every, self.log_every = steps, save_every, render_every, log_every
        self.log = log
        self.last_save = time.monotonic()
        self.stop_requested: str | None = None  # a signal's name: stop after this batch and save
        self.losses: list[float] = []
        self.writer = summary_writer(self.run_dir / "tensorboard")

    def step(self) -> int:
        return int(np.asarray(self.model.optimizer.iterations))

    def on_train_begin(self, logs=None):
        self.first_step = self.step()
        self.running_mean = 0.0

    def on_train_batch_end(self, batch, logs=None):
        step = self.first_step + batch + 1  # without a device->host sync of the optimiser each step
        if logs and "loss" in logs:
            # Keras reports the mean since the start of the epoch (the whole run): recover this batch's.
            mean = float(logs["loss"])
            self.losses.append((batch + 1) * mean - batch * self.running_mean)
            self.running_mean = mean
        if step % self.log_every == 0 and self.losses:
            loss = float(np.mean(self.losses))
            self.losses.clear()
            self.append_log({"step": step, "loss": loss, "time": time.time()})
            self.scalar("train/loss", loss, step)
        if step % self.render_every == 0 or step >= self.steps:
            self.render(step)
        if time.monotonic() - self.last_save >= self.save_every:
            self.save(step)
        if step >= self.steps or self.stop_requested:
            self.model.stop_training = True  # on_train_end saves
        if self.deadline is not None and time.monotonic() >= self.deadline and not self.model.stop_training:
            self.log(f"\ntime limit reached at step {step}: saving and stopping")
            self.model.stop_training = True  # on_train_end saves

    def on_train_end(self, logs=None):
        self.save(self.step())

    def save(self, step: int):
        weights = runs.save_checkpoint(self.run_dir, self.model, step)
        if self.keep_snapshots:
            runs.keep_snapshot(self.run_dir, weights, self.keep_snapshots)
        self.last_save = time.monotonic()

    def render(self, step: int):
        """Draw and log the validation pictures at ``step``; none by default."""

    def save_render(self, step: int, grid: np.ndarray) -> Path:
        """``grid`` as renders/step-NNNNNNN.jpg; returns its path."""
        renders = self.run_dir / "renders"
        renders.mkdir(parents=True, exist_ok=True)
        path = renders / f"step-{step:07d}.jpg"
        images.save_image(path, grid)
        return path

    def append_log(self, record: dict):
        runs.append_log(self.run_dir, record)

    def scalar(self, name, value, step):
        if self.writer is not None:
            import tensorflow as tf

            with self.writer.as_default():
                tf.summary.scalar(name, value, step=step)
            self.writer.flush()


def summary_writer(folder: Path):
    """A TensorBoard writer where TensorFlow is installed (not on a JAX-only GPU machine), else None."""
    try:
        import tensorflow as tf
    except ImportError:
        return None
    if keras.backend.backend() != "tensorflow":
        tf.config.set_visible_devices([], "GPU")  # leave the GPU to the training backend
    return tf.summary.create_file_writer(str(folder))


def fit(model: keras.Model, data, callbacks, verbose: int = 1):
    """One pass over ``data`` in order: batch i is step first_step + i (Keras shuffles by default)."""
    return model.fit(data, epochs=1, callbacks=callbacks, verbose=verbose, shuffle=False)


def data_parallel(batch: int, log=print) -> int:
    """On JAX with several devices, split every batch across all of them; returns the device count.

    Keras's ``DataParallel`` distribution replicates the variables on each device and shards each
    batch along its first axis, so one command trains on one GPU or on all of a machine's (on a
    CPU, ``XLA_FLAGS=--xla_force_host_platform_device_count=N`` makes N devices to test it with).
    Other backends, and a single device, train as they are. Call it before any variable is made.
    """
    if keras.backend.backend() != "jax":
        return 1
    devices = keras.distribution.list_devices()
    if len(devices) < 2:
        return 1
    if batch % len(devices):
        raise ValueError(f"batch {batch} does not split evenly over {len(devices)} devices; "
                         f"use a multiple of {len(devices)}")
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    log(f"data-parallel over {len(devices)} devices ({batch // len(devices)} crops each)")
    return len(devices)


def compile_and_restore(trainer: keras.Model, run_dir: Path, learning_rate: float, jit_compile, probe,
                        chosen: precision.Precision) -> int:
    """Compile with Adam, build on ``probe`` inputs, load the run's checkpoint; returns its step (0: none).

    ``jit_compile="auto"`` compiles with XLA where it pays at this precision
    (:func:`convert.precision.jit_compile`). The learning rate is set after loading, so a changed
    recipe wins over the checkpoint's.
    """
    if jit_compile == "auto":
        jit_compile = precision.jit_compile(chosen)
    trainer.compile(optimizer=keras.optimizers.Adam(learning_rate), jit_compile=jit_compile)
    trainer(probe)
    trainer.optimizer.build(trainer.trainable_variables)
    start = runs.load_checkpoint(run_dir, trainer)
    trainer.optimizer.learning_rate.assign(learning_rate)
    return start


def fit_saving_on_interrupt(trainer: keras.Model, data, monitor: Monitor, run_dir: Path, log=print) -> int:
    """:func:`fit`; Ctrl-C or SIGTERM saves a checkpoint first. Returns the step.

    The first signal asks the monitor to stop after the batch in progress, so the checkpoint is
    taken between steps: on JAX a step interrupted midway has handed its variables' buffers to the
    compiled function, and nothing could be read back from them. A second signal stops at once
    (the last periodic checkpoint stands if that one cannot be written). Either way the run ends
    in KeyboardInterrupt, so a command line reports it as interrupted.
    """
    def request_stop(signum, frame):
        if monitor.stop_requested:
            raise KeyboardInterrupt
        monitor.stop_requested = signal.Signals(signum).name

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        fit(trainer, data, [monitor])
    except KeyboardInterrupt:
        try:
            monitor.save(monitor.step())
            log(f"\ninterrupted: saved step {monitor.step()} to {run_dir}")
        except RuntimeError as error:
            log(f"\ninterrupted inside a step; the last checkpoint in {run_dir} stands ({error})")
        raise
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if monitor.stop_requested:  # on_train_end has saved
        log(f"\n{monitor.stop_requested}: saved step {monitor.step()} to {run_dir}")
        raise KeyboardInterrupt
    return monitor.step()


def session(run_dir: Path, make_trainer, *, steps: int, learning_rate: float, jit_compile, probe,
            precision_choice: str, batches, monitor, log=print, prepare=None, fresh=None,
            record: dict | None = None, done: str = "trained", begin: str = "starting", keep_snapshots: int = 0) -> int:
    """Train the run in ``run_dir`` (opened with :func:`open_run`) to step ``steps``; returns the step reached.

    ``make_trainer()`` builds the trainer under the chosen precision's dtype policy
    (``precision_choice``: :func:`convert.precision.resolve`; weights and optimiser state are
    float32 in every mode, so a run may change it between sessions). ``prepare(trainer, restarting)``
    runs before compiling (``restarting``: the folder has a checkpoint), ``fresh(trainer)`` after
    restoring when there was no checkpoint. ``batches(start)`` makes the data from step ``start``
    on, ``monitor()`` the :class:`Monitor`. ``record``, when given, is logged as this session's
    settings (a run's sessions may differ) beside the precision and compilation. ``done`` and
    ``begin`` are the verbs of the progress lines. ``keep_snapshots``: see :class:`Monitor`.
    """
    chosen = precision.resolve(precision_choice)
    log(chosen.note)
    with precision.scope(chosen):
        trainer = make_trainer()
    if prepare is not None:
        prepare(trainer, (Path(run_dir) / "state.json").exists())
    start = compile_and_restore(trainer, run_dir, learning_rate, jit_compile, probe, chosen)
    if start == 0 and fresh is not None:
        fresh(trainer)
    if start >= steps:
        log(f"{run_dir}: already {done} to step {start}")
        return start
    log(f"{'resuming at' if start else begin} step {start} of {steps}")
    if record is not None:
        runs.append_log(run_dir, {"step": start, "session": {
            "precision": chosen.name, "jit_compile": bool(trainer.jit_compile), "backend": keras.backend.backend(),
            **record}, "time": time.time()})
    data = batches(start)
    watcher = monitor()
    watcher.keep_snapshots = keep_snapshots
    return fit_saving_on_interrupt(trainer, data, watcher, run_dir, log)
