#!/usr/bin/env bash
# Resumes a committed training run in the background for MINUTES minutes, then saves and stops.
#
#   scripts/train_background.sh MINUTES [RUN] [options of its deepstyle command that override the recipe]
#   scripts/train_background.sh 100                         # checkpoints/gallery-colour-c2, as recorded
#   scripts/train_background.sh 100 checkpoints/adain --batch 8 --crop 128
#
# checkpoints/gallery is the snapshot models/gallery was exported from (the tests compare the page
# with it; weights only), so sessions train a candidate beside it: checkpoints/gallery-colour-c2,
# content weight 2 from checkpoints/gallery-colour, given a colour head (--colour-head) from
# checkpoints/gallery-wide, widened to 96 channels inside its blocks from checkpoints/gallery-deep
# (grown to 5 residual blocks from checkpoints/gallery-next, itself started as a copy of the
# 27,000-step network that checkpoints/gallery held until 2026-12-02). When `deepstyle eval` shows
# the candidate better, its checkpoint is copied to checkpoints/gallery and exported from there.
# A grown gallery run (`deepstyle train --from RUN --residual-blocks N`) and an AdaIN run resume the same way.
#
# Every setting comes from RUN/recipe.json (what the run last trained with); options after RUN
# override it (argparse keeps the last occurrence). With VAL=FOLDER, validation renders of its photos
# go to RUN/renders/ every --render-every steps (default 200); the output goes to RUN/train.out.
# The checkpoint is written atomically every 5 minutes and when the time is up; its weights are
# also kept in RUN/snapshots/ (the newest 24, not committed) for `deepstyle average --run RUN
# --last N -o OUT`, which averages them into a run to evaluate and export.
# `kill -TERM $(cat RUN/train.pid)` stops it early and also saves. Then commit RUN's weights,
# optimiser state, state.json, recipe.json and log.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n 2,24p "$0" | sed 's/^# \{0,1\}//'; exit 2; }
minutes=$1
run=${2:-checkpoints/gallery-colour-c2}
shift $(( $# >= 2 ? 2 : 1 ))
[ -f "$run/recipe.json" ] && [ -f "$run/state.json" ] || { echo "$run: no training run with a checkpoint here" >&2; exit 2; }
if [ -f "$run/train.pid" ] && kill -0 "$(cat "$run/train.pid")" 2>/dev/null; then
  echo "$run is already training (pid $(cat "$run/train.pid"))" >&2; exit 2
fi
PY=${PY:-python3}  # reads the recipe (scripts/recipe_args.py); DEEPSTYLE is the command that trains
VAL=${VAL:-}

recipe_args=$("$PY" scripts/recipe_args.py "$run") || exit 2
mapfile -t recipe <<< "$recipe_args"
val=()
if [ -n "$VAL" ]; then
  [ -d "$VAL" ] || { echo "VAL=$VAL: not a folder of photos" >&2; exit 2; }
  val=(--val-photos "$VAL")
fi
# recipe: the subcommand (train or adain-train), then its options
nohup "${DEEPSTYLE:-.venv/bin/deepstyle}" "${recipe[0]}" --run "$run" "${recipe[@]:1}" "${val[@]}" --render-every 200 \
  --keep-snapshots 24 --time-limit-min "$minutes" "$@" > "$run/train.out" 2>&1 &
echo $! > "$run/train.pid"
echo "training $run for $minutes minutes in the background (pid $!); output in $run/train.out"
