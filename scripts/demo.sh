#!/usr/bin/env bash
# Installs what is needed (scripts/setup.sh), then runs the main job on a bundled example:
# scikit-image's photo of Chelsea the cat in the style of a painting, by Gatys optimisation.
#   scripts/demo.sh [STYLE_IMAGE] [OUTPUT.png]
# STYLE_IMAGE defaults to Van Gogh's The Starry Night from ../shared/data/styles.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
style=${1:-../shared/data/styles/van_gogh_starry_night_1889.jpg}
output=${2:-out/demo.png}
mkdir -p out
.venv/bin/python -c 'import skimage.data, PIL.Image; PIL.Image.fromarray(skimage.data.chelsea()).save("out/chelsea.png")'
exec .venv/bin/deepstyle gatys out/chelsea.png "$style" -o "$output" --size 384 --steps 200
