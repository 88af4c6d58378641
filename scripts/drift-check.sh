#!/usr/bin/env bash
# Fails when any managed file differs from what .projenrc.ts synthesizes: a hand edit, or a change to
# .projenrc.ts or src/ whose synthesized result was not committed.
set -euo pipefail
cd "$(dirname "$0")/.."

npx projen >/dev/null
changes=$(git status --porcelain --untracked-files=all)
if [ -n "$changes" ]; then
  {
    echo "Drift: after \`npx projen\`, these files differ from what is committed:"
    echo "$changes"
    echo
    git --no-pager diff --no-color | head -n 80
    echo
    echo "These files are generated from .projenrc.ts and src/. Do not edit them by hand: change"
    echo ".projenrc.ts (or the components in src/), run \`npx projen\`, and commit the result."
  } >&2
  exit 1
fi
echo "No drift: every managed file is what .projenrc.ts synthesizes."
