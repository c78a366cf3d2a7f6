#!/usr/bin/env bash
# Installs dependencies, builds lpsearch, and runs the main job: a search
# for "proactive chat" over the bundled transcripts (their index is built
# on this first use).  Extra arguments replace the default command.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
if [ $# -gt 0 ]; then
  exec build/lpsearch "$@"
fi
exec build/lpsearch "proactive chat"
