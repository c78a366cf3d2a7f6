#!/usr/bin/env bash
# Installs what lpsearch needs to build and test on Debian 12 (run as root,
# or with sudo available).  Safe to run again: apt-get skips what is there.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libzstd-dev libxxhash-dev      # segment compression and checksums
  libutf8proc-dev                # Unicode categories, case folding, decomposition
  libstemmer-dev                 # Snowball English stemming
  libcmocka-dev                  # unit tests
  libsqlite3-dev                 # tests: cross-check against SQLite FTS5
  libxapian-dev                  # bench/: Xapian, the second peer of the query benchmark
  clang libclang-rt-14-dev       # fuzz/: libFuzzer, ASan and UBSan runtimes for clang
  valgrind                       # the CLI smoke test under memcheck
  time                           # bench/*.sh: GNU time for peak memory
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
