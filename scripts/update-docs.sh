#!/usr/bin/env bash
# Regenerates every command output quoted in README.md and docs/guide/*.md (the blocks after an
# `<!-- output: ... -->` comment) from the current code, then shows what changed.
# Review the new figures, and the prose that cites them, before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
TOKENCAST_BLESS=1 cargo test --release --test docs -- --exact every_quoted_output_matches_what_the_command_prints_today
git --no-pager diff --stat -- README.md docs/guide
