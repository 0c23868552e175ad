#!/usr/bin/env bash
# Installs what is needed (scripts/setup.sh), then runs the main job on a bundled example:
# scikit-image's photo of Chelsea the cat in the style of a painting, by Gatys optimisation.
#   scripts/demo.sh [STYLE_IMAGE] [OUTPUT.png]
# STYLE_IMAGE defaults to Van Gogh's The Starry Night in $DEEPSTYLE_DATA/styles (the data folder).
set -euo pipefail
# Paths given on the command line are relative to where the user is, not to the repository.
style=${1:+$(realpath -m "$1")}
output=${2:+$(realpath -m "$2")}
cd "$(dirname "$0")/.."
if [ -z "$style" ]; then
  [ -n "${DEEPSTYLE_DATA:-}" ] || { echo "demo: name a style picture (scripts/demo.sh PAINTING.jpg [OUT.png]) or set DEEPSTYLE_DATA to the data folder" >&2; exit 2; }
  style=$DEEPSTYLE_DATA/styles/van_gogh_starry_night_1889.jpg
fi
output=${output:-out/demo.png}
if [ ! -e "$style" ]; then
  echo "demo: no style image at $style; name one: scripts/demo.sh PAINTING.jpg [OUT.png]" >&2
  exit 2
fi
scripts/setup.sh
mkdir -p out
.venv/bin/python -c 'import skimage.data, PIL.Image; PIL.Image.fromarray(skimage.data.chelsea()).save("out/chelsea.png")'
exec .venv/bin/deepstyle gatys out/chelsea.png "$style" -o "$output" --size 384 --steps 200
