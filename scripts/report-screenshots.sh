#!/usr/bin/env bash
# Redraws the screenshots of the reports shown in README.md and the guide, from the bundled
# scenarios with their default seeds and trials, in headless Chromium (apt-get install chromium):
#   docs/forecast-report.png  the top of `forecast scenarios/org-forecast.toml`'s report.html
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
shoot() { # page, png, height
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --disable-background-networking --user-data-dir="$work/profile" \
    --window-size=1100,"$3" --screenshot="$2" "file://$1" 2>/dev/null
}
./target/release/tokencast forecast scenarios/org-forecast.toml --out "$work/forecast" >/dev/null
shoot "$work/forecast/report.html" docs/forecast-report.png 1560
git --no-pager diff --stat -- docs/*.png
