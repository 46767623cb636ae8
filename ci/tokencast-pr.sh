#!/usr/bin/env bash
# tokencast in a pull request: for every scenario or forecast file a change touches, the cost
# difference it makes (`tokencast diff`, on common random numbers) and its spend gates
# (`tokencast check`, for files with a [gates] table), as one markdown report.
#
# Usage: ci/tokencast-pr.sh BASE_REF [HEAD_REF]
#   BASE_REF   the commit the change is measured against (e.g. the pull request's base)
#   HEAD_REF   the changed commit (default: HEAD; the working tree must be at it)
# Environment:
#   TOKENCAST          the tokencast binary (default: `tokencast` on PATH)
#   TOKENCAST_PATHS    space-separated folders whose *.toml are scenarios (default: scenarios)
#   TOKENCAST_TRIALS   trials per run (default: each file's own, capped by diff)
#   TOKENCAST_REPORT   where the markdown goes (default: tokencast-report.md)
# Exit: 0 every gate holds and every file loads; 3 a gate failed or a changed file no longer
# loads; 2 usage error. The report is written in every case.
set -uo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 BASE_REF [HEAD_REF]" >&2
  exit 2
fi
base_ref=$1
head_ref=${2:-HEAD}
bin=${TOKENCAST:-tokencast}
paths=${TOKENCAST_PATHS:-scenarios}
report=${TOKENCAST_REPORT:-tokencast-report.md}
trials=()
if [ -n "${TOKENCAST_TRIALS:-}" ]; then
  trials=(-n "$TOKENCAST_TRIALS")
fi

if ! git rev-parse --verify --quiet "$base_ref^{commit}" >/dev/null; then
  echo "$0: $base_ref is not a commit here (fetch it first, e.g. fetch-depth: 0)" >&2
  exit 2
fi
command -v "$bin" >/dev/null 2>&1 || [ -x "$bin" ] || {
  echo "$0: no tokencast binary at '$bin' (set TOKENCAST)" >&2
  exit 2
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The base tree, whole, so that a forecast's task files resolve beside it.
git archive --format=tar "$base_ref" | tar -x -C "$work"

# shellcheck disable=SC2086
changed=$(git diff --name-only --diff-filter=AMR "$base_ref" "$head_ref" -- $paths | grep '\.toml$' || true)

failed=0
{
  echo "## tokencast: cost of this change"
  echo
  if [ -z "$changed" ]; then
    echo "No scenario or forecast file changed under \`$paths\`."
  fi
} > "$report"

for file in $changed; do
  {
    echo
    echo "---"
    echo
  } >> "$report"
  if ! out=$("$bin" validate "$file" 2>&1 >/dev/null); then
    failed=1
    {
      echo "### \`$file\` does not load"
      echo
      echo '```'
      echo "$out"
      echo '```'
    } >> "$report"
    continue
  fi
  if [ -f "$work/$file" ] && "$bin" validate "$work/$file" >/dev/null 2>&1; then
    if ! "$bin" diff "$work/$file" "$file" "${trials[@]}" --format markdown >> "$report" 2> "$work/.err"; then
      {
        echo "### \`$file\`: no diff"
        echo
        echo '```'
        cat "$work/.err"
        echo '```'
      } >> "$report"
    fi
  else
    echo "### \`$file\` is new (no base to compare)" >> "$report"
  fi
  if grep -q '^\[gates\]' "$file"; then
    echo >> "$report"
    echo "**Gates** (\`tokencast check $file\`)" >> "$report"
    echo >> "$report"
    echo '```' >> "$report"
    "$bin" check "$file" "${trials[@]}" >> "$report" 2>&1
    code=$?
    echo '```' >> "$report"
    if [ "$code" -ne 0 ]; then
      failed=1
    fi
  fi
done

cat "$report"
if [ "$failed" -ne 0 ]; then
  exit 3
fi
exit 0
