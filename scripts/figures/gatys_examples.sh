#!/usr/bin/env bash
# Renders the Gatys examples shown in README: scikit-image's Chelsea in three paintings' styles.
# Writes docs/gatys/chelsea_<style>.jpg, a JSON report per run and docs/gatys/strip.jpg.
#   DEEPSTYLE_DATA=DATA scripts/figures/gatys_examples.sh [SIZE] [STEPS]    (the paintings are DATA/styles/)
set -euo pipefail
[ -n "${DEEPSTYLE_DATA:-}" ] || { echo "gatys_examples: set DEEPSTYLE_DATA to the data folder (its styles/ holds the paintings)" >&2; exit 2; }
styles=$(realpath -m "$DEEPSTYLE_DATA/styles")
cd "$(dirname "$0")/../.."
size=${1:-512}
steps=${2:-200}
mkdir -p docs/gatys out
.venv/bin/python -c 'import skimage.data, PIL.Image; PIL.Image.fromarray(skimage.data.chelsea()).save("out/chelsea.png")'
for style in van_gogh_starry_night_1889 hokusai_great_wave_c1831 kandinsky_composition_vii_1913; do
  .venv/bin/deepstyle gatys out/chelsea.png "$styles/$style.jpg" -o "docs/gatys/chelsea_$style.jpg" \
    --size "$size" --steps "$steps" --report "docs/gatys/chelsea_$style.json"
done
.venv/bin/python scripts/figures/strip.py docs/gatys/strip.jpg out/chelsea.png \
  docs/gatys/chelsea_{van_gogh_starry_night_1889,hokusai_great_wave_c1831,kandinsky_composition_vii_1913}.jpg
