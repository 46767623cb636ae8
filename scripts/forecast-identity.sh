#!/usr/bin/env bash
# Runs the bundled forecasts over a matrix of trial counts, thread counts and stress settings
# with two binaries and diffs every output file byte for byte (summary.json, CSVs, FOCUS files,
# SVGs; PNGs too). Usage: scripts/forecast-identity.sh OLD_BINARY NEW_BINARY WORKDIR
# Prints one line per run and "identical" or the differing files; exits 1 on any difference.
# What legitimately differs between two runs is masked first: the run directory's .lock (a
# process id), the manifest's start time and wall time, and the report's "Made by ... on" time.
set -u
old=$1 new=$2 work=$3
cd "$(dirname "$0")/.."
rm -rf "$work" && mkdir -p "$work"
fail=0
for scen in scenarios/org-forecast.toml scenarios/compute-to-tokens/forecast.toml; do
  for stress in --no-stress ""; do
    for n in 1000 2500 5000; do
      for t in 1 2; do
        tag="$(basename "$(dirname "$scen")")-$(basename "$scen" .toml)-n$n-t$t${stress:+-nostress}"
        for side in old new; do
          bin=${!side}
          "$bin" forecast "$scen" -n "$n" --threads "$t" $stress --focus --focus-schemes all \
            --focus-statistic p50,p90,p99 -o "$work/$side/$tag" >"$work/$side-$tag.log" 2>&1 \
            || { echo "$tag: $side run failed"; fail=1; }
        done
        for side in old new; do
          rm -f "$work/$side/$tag/.lock"
          sed -i -E 's/"(started_at|wall_time_seconds)": [^,]*,/"\1": MASKED,/' "$work/$side/$tag/manifest.json"
          sed -i -E 's/(Made by tokencast [^ ]+ on )[0-9T:-]+Z/\1MASKED/' "$work/$side/$tag/report.html"
        done
        if d=$(diff -rq "$work/old/$tag" "$work/new/$tag"); then
          echo "$tag: identical ($(find "$work/new/$tag" -type f | wc -l) files)"
        else
          echo "$tag: DIFFERENT"; echo "$d"; fail=1
        fi
      done
    done
  done
done
exit $fail
