#!/usr/bin/env bash
# A forecast sharded over an AWS Batch array job, then merged by a job that depends on the
# whole array. Register the job definition first:
#   aws batch register-job-definition --cli-input-json file://examples/distributed/aws-batch-job-definition.json
#
# AWS Batch sets AWS_BATCH_JOB_ARRAY_INDEX (0 to size - 1) in each child; `--shard auto/N` turns
# it into shard index+1 of N. The array size and N must agree.
set -euo pipefail

N=${N:-8}
QUEUE=${QUEUE:-tokencast}
RUN=${RUN:-org-forecast}

shards=$(aws batch submit-job --job-name "$RUN-shards" --job-queue "$QUEUE" \
    --job-definition tokencast-forecast-shard \
    --array-properties size="$N" \
    --parameters shard="auto/$N",out="/shared/$RUN" \
    --query jobId --output text)

aws batch submit-job --job-name "$RUN-merge" --job-queue "$QUEUE" \
    --job-definition tokencast-forecast-shard \
    --depends-on jobId="$shards" \
    --container-overrides "command=tokencast,merge,/shared/$RUN"

echo "submitted $N shards ($shards) and the merge; outputs in /shared/$RUN on the EFS volume"
