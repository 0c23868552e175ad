"""Moving pictures made by the tests: a y4m file for Chromium's fake camera, and a short WebM clip
with sound (PyAV) for the video-file mode."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np


def moving_frames(count: int, width: int = 320, height: int = 240) -> np.ndarray:
    """`count` RGB frames: a colour gradient with a white square moving left to right, a red disc
    moving down; uint8, shape (count, height, width, 3)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    frames = np.empty((count, height, width, 3), np.uint8)
    for i in range(count):
        rgb = np.stack([60 + 120 * x / width, 40 + 140 * y / height, np.full_like(x, 150)], -1)
        left = int((width - 60) * i / max(1, count - 1))
        rgb[height // 3: height // 3 + 60, left: left + 60] = 250
        cy = int(30 + (height - 60) * i / max(1, count - 1))
        rgb[(x - width * 0.7) ** 2 + (y - cy) ** 2 < 20 ** 2] = (220, 30, 30)
        frames[i] = rgb.round().astype(np.uint8)
    return frames


def _rgb_to_yuv420(rgb: np.ndarray) -> bytes:
    """BT.601 full-range YCbCr 4:2:0 planes (what y4m's C420jpeg means)."""
    f = rgb.astype(np.float32)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    sub = lambda c: c.reshape(c.shape[0] // 2, 2, c.shape[1] // 2, 2).mean((1, 3))  # noqa: E731
    planes = [y, sub(cb), sub(cr)]
    return b"".join(np.clip(np.rint(p), 0, 255).astype(np.uint8).tobytes() for p in planes)


def write_y4m(path, frames: np.ndarray, fps: int = 10) -> Path:
    """A YUV4MPEG2 file Chromium can play as a fake camera (--use-file-for-fake-video-capture)."""
    path = Path(path)
    _, height, width, _ = frames.shape
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            f.write(b"FRAME\n" + _rgb_to_yuv420(frame))
    return path


def write_webm(path, frames: np.ndarray, fps: int = 12, tone_hz: float = 440.0) -> Path:
    """A WebM clip (VP8 video, Opus audio with a sine tone as long as the video), written with PyAV."""
    import av

    path = Path(path)
    _, height, width, _ = frames.shape
    with av.open(str(path), "w", format="webm") as container:
        video = container.add_stream("libvpx", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"crf": "10", "b": "1M"}
        audio = container.add_stream("libopus", rate=48000)
        audio.layout = "mono"
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            container.mux(video.encode(frame))
        container.mux(video.encode())
        samples = int(48000 * len(frames) / fps)
        t = np.arange(samples) / 48000
        tone = (0.3 * np.sin(2 * np.pi * tone_hz * t)).astype(np.float32)[None]
        for start in range(0, samples, 960):
            chunk = av.AudioFrame.from_ndarray(tone[:, start:start + 960], format="fltp", layout="mono")
            chunk.sample_rate, chunk.pts, chunk.time_base = 48000, start, Fraction(1, 48000)
            container.mux(audio.encode(chunk))
        container.mux(audio.encode())
    return path


def read_webm(path) -> dict:
    """Decode a WebM with PyAV: its video frames (RGB), size, and whether it has sound."""
    import av

    with av.open(str(path)) as container:
        has_audio = bool(container.streams.audio)
        audio_seconds = 0.0
        if has_audio:
            for frame in container.decode(audio=0):
                audio_seconds += frame.samples / frame.sample_rate
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        codec = stream.codec_context.name
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    return {"frames": np.stack(frames), "codec": codec, "audio": has_audio, "audio_seconds": audio_seconds}
