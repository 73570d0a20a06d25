"""Tray icons drawn with Pillow: the app's speech bubble on a square whose colour shows the state."""

from __future__ import annotations

from PIL import Image, ImageDraw

STATE_COLOURS = {
    "starting": (217, 119, 6, 255),  # amber
    "restoring": (217, 119, 6, 255),  # amber, as starting: the server is briefly away
    "stopping": (217, 119, 6, 255),  # amber: on its way to stopped
    "running": (37, 99, 235, 255),   # the app's blue
    "stopped": (107, 114, 128, 255),  # grey
    "error": (220, 38, 38, 255),     # red
}
WHITE = (255, 255, 255, 255)


def state_icon(state: str, size: int = 64) -> Image.Image:
    colour = STATE_COLOURS.get(state, STATE_COLOURS["error"])
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    s = size / 64
    d.rounded_rectangle((2 * s, 2 * s, 62 * s, 62 * s), radius=13 * s, fill=colour)
    d.rounded_rectangle((11 * s, 14 * s, 53 * s, 44 * s), radius=10 * s, fill=WHITE)
    d.polygon([(18 * s, 40 * s), (30 * s, 42 * s), (15 * s, 53 * s)], fill=WHITE)
    if state == "running":
        for cx in (22, 32, 42):
            d.ellipse(((cx - 3.6) * s, 25.4 * s, (cx + 3.6) * s, 32.6 * s), fill=colour)
    elif state == "stopped":
        d.rectangle((26 * s, 23 * s, 38 * s, 35 * s), fill=colour)
    elif state == "error":
        d.rectangle((30 * s, 19 * s, 34 * s, 31 * s), fill=colour)
        d.rectangle((30 * s, 34 * s, 34 * s, 38 * s), fill=colour)
    else:  # starting, restoring, stopping: an hourglass-like pair of triangles
        d.polygon([(24 * s, 20 * s), (40 * s, 20 * s), (32 * s, 29 * s)], fill=colour)
        d.polygon([(24 * s, 38 * s), (40 * s, 38 * s), (32 * s, 29 * s)], fill=colour)
    return img
