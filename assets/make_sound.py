#!/usr/bin/env python3
"""Write the web client's notification sound, messenger/web/static/sounds/notify.wav: a short two-note
chime (E6 then A6, each fading out), 0.32 s, 22,050 Hz mono 16-bit PCM, made with the standard
library only. Run it again to regenerate the file; the output is the same every time."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22050
OUT = Path(__file__).resolve().parents[1] / "messenger" / "web" / "static" / "sounds" / "notify.wav"
NOTES = ((1318.5, 0.0, 0.22), (1760.0, 0.10, 0.22))  # (frequency Hz, start s, length s)
LENGTH = 0.32
VOLUME = 0.35


def sample(t: float) -> float:
    value = 0.0
    for freq, start, length in NOTES:
        u = t - start
        if 0 <= u < length:
            attack = min(1.0, u / 0.005)  # 5 ms attack: no click
            decay = math.exp(-u * 14)
            value += math.sin(2 * math.pi * freq * u) * attack * decay
            value += 0.25 * math.sin(4 * math.pi * freq * u) * attack * decay * decay  # a little brightness
    return value


def main() -> None:
    frames = [sample(i / RATE) for i in range(int(LENGTH * RATE))]
    peak = max(abs(v) for v in frames) or 1.0
    tail = int(0.01 * RATE)  # fade the last 10 ms to silence
    for i in range(tail):
        frames[-1 - i] *= i / tail
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(OUT), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", int(v / peak * VOLUME * 32767)) for v in frames))
    print(f"{OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
