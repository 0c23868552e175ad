"""Numeric precision for training and optimisation: bfloat16 where the hardware has it, else float32.

Mixed precision in the sense of Micikevicius et al. (2018, "Mixed Precision Training"): variables,
statistics and losses stay float32, convolutions run in a 16-bit type. bfloat16 (float32's 8-bit
exponent, 7-bit mantissa) needs no loss scaling. What runs in which type here:

* The VGG16 loss network convolves in bfloat16 and hands its features on as float32
  (:func:`convert.vgg.feature_extractor`), so Gram matrices, means, variances and every loss are
  float32 sums.
* The style networks convolve in bfloat16; instance-norm moments are taken in float32, and the
  output head (``content + 127.5 * residual``) is float32, so an image is not rounded to bfloat16's
  steps of 1 to 2 grey levels near white.
* Weights and optimiser state are float32 in every mode, so a checkpoint trains on in either.

Where bfloat16 pays: CPUs with AMX or AVX512-BF16 instructions, on which TensorFlow's oneDNN kernels
run bfloat16 convolutions in graph mode (not under XLA, which is why bfloat16 training on the CPU
turns ``jit_compile`` off), and GPUs from NVIDIA's Ampere generation on (compute capability 8.0).
Elsewhere bfloat16 is emulated and slower than float32, so ``auto`` picks float32 there.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass

import keras

#: The choices a command line offers.
CHOICES = ("auto", "bfloat16", "float32")

#: The Keras dtype policy of each precision.
POLICIES = {"bfloat16": "mixed_bfloat16", "float32": "float32"}

_CPU_FLAGS = ("amx_bf16", "avx512_bf16")


@dataclass(frozen=True)
class Precision:
    """A resolved precision: ``name`` is ``"bfloat16"`` or ``"float32"``; ``reason`` says why, in a phrase."""

    name: str
    reason: str

    @property
    def policy(self) -> str:
        return POLICIES[self.name]

    @property
    def note(self) -> str:
        """The one line a command prints about it."""
        return f"precision: {self.name} ({self.reason})"


def cpu_flags(path: str = "/proc/cpuinfo") -> set[str]:
    """The CPU's feature flags as Linux reports them (empty where there is no such file)."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _accelerator() -> tuple[str, bool] | None:
    """(name, has_bfloat16) of the backend's GPU, or None where it computes on the CPU."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        if device.platform != "gpu":
            return None
        capability = getattr(device, "compute_capability", None)
        major = int(str(capability).split(".")[0]) if capability else 8  # jax omits it on some builds
        return device.device_kind, major >= 8
    if backend == "torch":
        import torch

        if not torch.cuda.is_available():
            return None
        return torch.cuda.get_device_name(0), bool(torch.cuda.is_bf16_supported())
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if not gpus:
            return None
        details = tf.config.experimental.get_device_details(gpus[0])
        major = (details.get("compute_capability") or (0, 0))[0]
        return details.get("device_name", "GPU"), major >= 8
    return None


@functools.lru_cache(maxsize=None)
def detect() -> Precision:
    """The fastest precision this machine and Keras backend train in (``auto``)."""
    backend = keras.backend.backend()
    gpu = _accelerator()
    if gpu is not None:
        name, bf16 = gpu
        if bf16:
            return Precision("bfloat16", f"{name} has bfloat16 units")
        return Precision("float32", f"{name} has no bfloat16 units")
    flags = cpu_flags() & set(_CPU_FLAGS)
    if not flags:
        return Precision("float32", "this CPU has no AMX or AVX512-BF16, where bfloat16 would be emulated")
    if backend != "tensorflow":
        # XLA's and PyTorch's CPU code paths were not measured faster in bfloat16 here.
        return Precision("float32", f"bfloat16 on the CPU is used with TensorFlow's oneDNN, not {backend}")
    return Precision("bfloat16", f"this CPU has {' and '.join(sorted(flags))}")


def resolve(choice: str | None = "auto") -> Precision:
    """``auto`` (or None): :func:`detect`; ``bfloat16`` or ``float32``: that, as asked."""
    if choice in (None, "auto"):
        return detect()
    if choice not in POLICIES:
        raise ValueError(f"precision must be one of {', '.join(CHOICES)}; got {choice!r}")
    return Precision(choice, "as asked")


def jit_compile(precision: Precision) -> bool:
    """Whether Keras should compile training steps with XLA on this backend at this precision.

    On JAX always. On TensorFlow only on a GPU: XLA on the CPU does not call oneDNN, so bfloat16
    there would be emulated, and in float32 TensorFlow 2.19's graph mode was as fast or faster
    (docs/bench/training.json: 2.09 s against 2.24 s a step on a 2-core AMD EPYC; 1.35 s against
    2.02 s on a 2-core Xeon, measured by an earlier session).
    """
    backend = keras.backend.backend()
    if backend == "jax":
        return True
    if backend != "tensorflow":
        return False
    return _accelerator() is not None


@contextlib.contextmanager
def scope(precision: Precision | str):
    """Within this block, new Keras layers take ``precision``'s dtype policy; the old one is restored after."""
    name = precision.policy if isinstance(precision, Precision) else POLICIES[precision]
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def current() -> str:
    """``"bfloat16"`` or ``"float32"``: the precision new layers take now."""
    return "bfloat16" if keras.config.dtype_policy().compute_dtype == "bfloat16" else "float32"
