#!/usr/bin/env bash
# One training session on a GPU machine with JAX (no TensorFlow needed), in BUDGET seconds:
#   * the 12-style gallery network (deepstyle train),
#   * AdaIN decoders at the style weights ADAIN_WEIGHTS (deepstyle adain-train), four paintings held out,
#   * Gatys-300 references for the evaluation (scripts/gpu/gatys_references.py), in SHARDS processes,
# all at once on the one GPU. Every run is stopped with SIGTERM at the deadline, which saves its
# checkpoint; the run folders, caches and logs are packed into OUTDIR as .tar.gz files, one over
# 15 MiB split into parts (NAME.tar.gz.part-aa, -ab, ...) since a device call returns no file over 16 MiB.
#
# Each session continues the committed runs (RESUME=1, the default): checkpoints/gallery and
# checkpoints/adain-smooth (ADAIN_RUN) are copied in and resumed, so the few minutes of each lent GPU add up. Bring the
# results home with scripts/gpu/gpu_import.py OUTDIR, which puts them back into checkpoints/ and docs/.
# Gatys references (SHARDS > 0) are off by default, so that the GPU's few minutes go to training:
# scipy's L-BFGS keeps a GPU mostly idle (3-4.5 minutes a reference there, sharing it with training),
# and the 2-core CPU computes them between sessions (scripts/gpu/gatys_references.py, 8-14 minutes each).
#
# Data comes in the two parts scripts/gpu/pack_training_data.py writes, because one device call carries
# at most 64 MiB with the repository: FIXED (default .gpufixed: vgg16.npz, styles/) travels with a
# first call that only lands it (the warm machine kept it for the later calls, 2026-11-26), DATA
# (default .gpudata: photos/, paintings/, photos-val/) with the second, which runs this script.
# Keras's wheels (.whl/) must travel with the call that uses them: a path carried by one call and
# not named by the next was gone there (.whl and .gpudata were; .gpufixed stayed).
#   device run, carry [".gpufixed", ".whl"]:          du -sh .gpufixed .whl
#   device run, carry [".gpudata", ".whl"] (at once): BUDGET=480 OUTDIR=$OUT scripts/gpu/gpu_train.sh
# (a 15-minute budget, 2026-11-26: the first call, start included, took 28 s; this one 491 s at
# timeout_s 600; the machine stays warm only 30 s between calls)
set -u
cd "$(dirname "$0")/../.."
DATA=${DATA:-.gpudata}
FIXED=${FIXED:-.gpufixed}
OUTDIR=${OUTDIR:-out/gpu}
BUDGET=${BUDGET:-480}
GALLERY_STEPS=${GALLERY_STEPS:-100000}
ADAIN_STEPS=${ADAIN_STEPS:-100000}
GATYS_PHOTOS=${GATYS_PHOTOS:-6}
SHARDS=${SHARDS:-0}
RESUME=${RESUME:-1}
ADAIN_WEIGHTS=${ADAIN_WEIGHTS-10}  # empty: the gallery alone gets the GPU
CROP=${CROP:-256}
# Per-style multipliers of the gallery's style weight (deepstyle train --style-scales), in the order
# of FIXED/styles/MANIFEST.tsv; by default the committed run's own (checkpoints/gallery/recipe.json),
# so a GPU session continues the recipe the CPU sessions are training; empty: all 1.
# The gallery run to continue: the shipped one unless GALLERY_RUN names another (checkpoints/gallery-colour-c2,
# the CPU sessions' candidate, which the shipped run's evaluation does not yet show better).
GALLERY_RUN=${GALLERY_RUN:-checkpoints/gallery}
# scripts/recipe_args.py prints a recipe's options, here with the values after the option names.
RECIPE_SCALES=$(python3 scripts/recipe_args.py "$GALLERY_RUN" style_scales 2>/dev/null | tail -n +2)
STYLE_SCALES=${STYLE_SCALES-$RECIPE_SCALES}
# and how often each style is drawn (--style-draws), likewise; empty: all equally
RECIPE_DRAWS=$(python3 scripts/recipe_args.py "$GALLERY_RUN" style_draws 2>/dev/null | tail -n +2)
STYLE_DRAWS=${STYLE_DRAWS-$RECIPE_DRAWS}
# Its depth (a run grown with deepstyle train --from RUN --residual-blocks N resumes as any other).
BLOCKS=$(python3 scripts/recipe_args.py "$GALLERY_RUN" residual_blocks 2>/dev/null | tail -n +2)
BLOCKS=${BLOCKS:-3}
# and the channels inside its blocks, where a run widened them (--residual-width; none: the default)
mapfile -t GALLERY_WIDTH < <(python3 scripts/recipe_args.py "$GALLERY_RUN" residual_width 2>/dev/null)
# and its colour head, where it has one (--colour-head)
mapfile -t GALLERY_HEAD < <(python3 scripts/recipe_args.py "$GALLERY_RUN" colour_head 2>/dev/null)
# The AdaIN run to continue, with its upsampling, block penalty, style layers, photo anchor, tone term
# and the run it started from, if any (adain-train --from RUN --upsample bilinear --block-weight W
# --style-layers L --anchor-weight A --tone-weight T ...);
# every weight in ADAIN_WEIGHTS trains a copy of it. A run not yet committed starts here from the
# trained decoder ADAIN_FROM, with ADAIN_UPSAMPLE (default bilinear) and ADAIN_BLOCK_WEIGHT (default none):
#   ADAIN_RUN=checkpoints/adain-bilinear ADAIN_FROM=checkpoints/adain scripts/gpu/gpu_train.sh
ADAIN_RUN=${ADAIN_RUN:-checkpoints/adain-smooth}
ADAIN_FROM=${ADAIN_FROM:-}
if [ -f "$ADAIN_RUN/state.json" ]; then
  mapfile -t ADAIN_SHAPE < <(python3 scripts/recipe_args.py "$ADAIN_RUN" upsample init_from block_weight style_layers anchor_weight tone_weight 2>/dev/null)
elif [ -n "$ADAIN_FROM" ]; then
  [ -f "$ADAIN_FROM/state.json" ] || { echo "ADAIN_FROM=$ADAIN_FROM: no trained AdaIN run there"; exit 2; }
  ADAIN_SHAPE=(--from "$ADAIN_FROM" --upsample "${ADAIN_UPSAMPLE:-bilinear}" ${ADAIN_BLOCK_WEIGHT:+--block-weight "$ADAIN_BLOCK_WEIGHT"})
else
  ADAIN_SHAPE=()
fi
# Batch 16 at 256 px, as Dumoulin et al. (2017) trained; in bfloat16 (--precision auto on an
# Ampere-or-later GPU) larger batches keep the GPU busier.
BATCH=${BATCH:-16}
PRECISION=${PRECISION:-auto}
# Training stops itself (and saves) this long after start-up; `timeout` is only the backstop.
# (Loading 1,100 photos and compiling took over 90 s on the H100; SIGTERM at BUDGET also saves.)
TRAIN_MIN=$(awk "BEGIN {print ($BUDGET - 150) / 60}")
PY=${PY:-python3}
HOLDOUT="van_gogh_starry_night_1889.jpg hokusai_great_wave_c1831.jpg munch_the_scream_1893.jpg kandinsky_composition_vii_1913.jpg"
for need in "$FIXED/vgg16.npz" "$FIXED/styles" "$DATA/photos" "$DATA/paintings" "$DATA/photos-val"; do
  [ -e "$need" ] || { echo "missing $need: carry $FIXED and .whl in one call, then $DATA in the next (see above)"; exit 2; }
done
WORK=${WORK:-/tmp/deepstyle-gpu}
rm -rf "$WORK"; mkdir -p "$WORK/logs" "$OUTDIR"

if [ -z "${SKIP_WHEELS:-}" ] && [ -d .whl ] && ls .whl/*.whl >/dev/null 2>&1; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site:$PWD
else
  export PYTHONPATH=$PWD
fi
export KERAS_BACKEND=${KERAS_BACKEND:-jax} XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1
export DEEPSTYLE_VGG_WEIGHTS=$FIXED/vgg16.npz
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null
$PY -c "import keras, jax; print('keras', keras.__version__, 'jax', jax.__version__, jax.devices())" || exit 1

if [ "$RESUME" = 1 ]; then  # continue the committed runs (their recipes name the data by file name)
  [ -f "$GALLERY_RUN/state.json" ] && cp -r "$GALLERY_RUN" "$WORK/gallery" && rm -rf "$WORK/gallery/renders" "$WORK/gallery/tensorboard"
  for w in $ADAIN_WEIGHTS; do
    [ -f "$ADAIN_RUN/state.json" ] && cp -r "$ADAIN_RUN" "$WORK/adain-w$w" && rm -rf "$WORK/adain-w$w/renders"
  done
  for d in "$WORK"/gallery "$WORK"/adain-w*; do [ -d "$d" ] && echo "resuming $d from step $(grep -o '"step": [0-9]*' "$d/state.json" | grep -o '[0-9]*$')"; done
fi

pack() {  # archive, paths under WORK...: OUTDIR/archive, or its 15 MiB parts when larger
  local archive=$1; shift
  tar -C "$WORK" -czf "$WORK/$archive" "$@"
  if [ "$(stat -c %s "$WORK/$archive")" -gt $((15 * 1024 * 1024)) ]; then
    split -b 15m "$WORK/$archive" "$OUTDIR/$archive.part-"
  else
    cp "$WORK/$archive" "$OUTDIR/"
  fi
}

start=$(date +%s)
run() {  # name, command...: run in the background under the deadline, log to WORK/logs/name.log
  local name=$1; shift
  timeout -s TERM -k 45 "$BUDGET" "$@" > "$WORK/logs/$name.log" 2>&1 &
}
run gallery $PY -m convert.cli train --photos "$DATA/photos" --styles "$FIXED/styles" --run "$WORK/gallery" \
  --val-photos "$DATA/photos-val" --steps "$GALLERY_STEPS" --batch "$BATCH" --crop "$CROP" --scale 384 --ramp-steps 500 \
  --residual-blocks "$BLOCKS" "${GALLERY_WIDTH[@]}" "${GALLERY_HEAD[@]}" \
  --render-every 1500 --save-every-min 2 --time-limit-min "$TRAIN_MIN" --precision "$PRECISION" \
  ${STYLE_SCALES:+--style-scales $STYLE_SCALES} ${STYLE_DRAWS:+--style-draws $STYLE_DRAWS}
for w in $ADAIN_WEIGHTS; do
  # shellcheck disable=SC2086
  run "adain-w$w" $PY -m convert.cli adain-train --photos "$DATA/photos" --styles "$DATA/paintings" "$FIXED/styles" \
    --holdout $HOLDOUT --run "$WORK/adain-w$w" --val-photos "$DATA/photos-val" --steps "$ADAIN_STEPS" \
    --batch "$BATCH" --crop "$CROP" --scale 384 --lr 2e-4 --style-weight "$w" --render-every 1500 \
    --save-every-min 2 --time-limit-min "$TRAIN_MIN" --precision "$PRECISION" "${ADAIN_SHAPE[@]}"
done
for ((i = 0; i < SHARDS; i++)); do
  run "gatys-$i" $PY scripts/gpu/gatys_references.py --photos "$DATA/photos-val" --styles "$FIXED/styles" --size 384 \
    --steps 300 --max-photos "$GATYS_PHOTOS" --shard "$i/$SHARDS" --cache "$WORK/gatys-$i.json"
done
# GPU utilisation once every run is past its start-up
sleep "${PROBE_AFTER_S:-60}"; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader 2>/dev/null
wait
echo "all stopped after $(( $(date +%s) - start )) s"
for name in gallery $(for w in $ADAIN_WEIGHTS; do echo "adain-w$w"; done); do
  tr '\r' '\n' < "$WORK/logs/$name.log" | grep -v '^\s*$' | grep -E 'step [0-9]+:|error|Error|saved|trained' | tail -8
  pack "$name.tar.gz" "$name"
done
grep -h '^precision:' "$WORK"/logs/*.log | sort | uniq -c
$PY scripts/gpu/training_throughput.py "$WORK/gallery"  # images a second and TFLOP/s achieved
[ "$SHARDS" -gt 0 ] && tail -n 3 "$WORK"/logs/gatys-*.log
ls "$WORK"/gatys-*.json >/dev/null 2>&1 && pack gatys.tar.gz $(cd "$WORK" && ls gatys-*.json)
for f in "$WORK"/logs/*.log; do tr '\r' '\n' < "$f" | grep -v '━' > "$f.txt"; done
tar -C "$WORK/logs" -czf "$OUTDIR/logs.tar.gz" $(cd "$WORK/logs" && ls *.txt)
# Which committed run each archive continued, for scripts/gpu/gpu_import.py.
python3 - "$OUTDIR/origins.json" "$GALLERY_RUN" "$ADAIN_RUN" $(for w in $ADAIN_WEIGHTS; do echo "adain-w$w"; done) <<'EOF'
import json, sys
out, gallery, adain, *names = sys.argv[1:]
json.dump({"gallery": gallery, **{name: adain for name in names}}, open(out, "w"), indent=2)
EOF
ls -la "$OUTDIR"
