#!/usr/bin/env bash
# A forecast sharded over a Slurm job array, then merged by a dependent job.
#
# Usage (from the directory holding scenarios/, on a file system every node sees):
#   ./examples/distributed/slurm-array.sh            # N = 8 shards
#   N=32 TRIALS=10000000 ./examples/distributed/slurm-array.sh
#
# Slurm sets SLURM_ARRAY_TASK_ID in each array task; `--shard auto/N` turns it into shard
# index+1 of N (SLURM_ARRAY_TASK_MIN is subtracted, so --array=1-N would work too).
set -euo pipefail

N=${N:-8}
TRIALS=${TRIALS:-1000000}
SEED=${SEED:-1}
FORECAST=${FORECAST:-scenarios/org-forecast.toml}
OUT=${OUT:-$PWD/output/org-forecast-sharded}
mkdir -p "$OUT"

shards=$(sbatch --parsable --job-name=tokencast-shard --array=0-$((N - 1)) \
    --cpus-per-task=4 --time=02:00:00 --output="$OUT/slurm-%A_%a.log" \
    --wrap="tokencast forecast '$FORECAST' --trials $TRIALS --seed $SEED --shard auto/$N --out '$OUT' --quiet")

sbatch --job-name=tokencast-merge --dependency=afterok:"$shards" \
    --cpus-per-task=2 --time=00:30:00 --output="$OUT/slurm-merge-%j.log" \
    --wrap="tokencast merge '$OUT'"

echo "submitted shards as job $shards (array 0-$((N - 1))) and the merge after it; outputs in $OUT"
