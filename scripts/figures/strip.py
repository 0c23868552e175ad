"""Lay images side by side at one height: python scripts/figures/strip.py OUT.jpg IMAGE [IMAGE ...]"""

import sys

from PIL import Image


def main(out: str, paths: list[str], height: int = 256, gap: int = 4) -> None:
    tiles = []
    for path in paths:
        image = Image.open(path).convert("RGB")
        tiles.append(image.resize((round(image.width * height / image.height), height), Image.LANCZOS))
    strip = Image.new("RGB", (sum(t.width for t in tiles) + gap * (len(tiles) - 1), height), "white")
    x = 0
    for tile in tiles:
        strip.paste(tile, (x, 0))
        x += tile.width + gap
    strip.save(out, quality=90)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
