#!/usr/bin/env bash
# Wall time of `sift demo` alone and beside a competing 2-thread load (two busy shell loops), with the
# default threads, SIFT_THREADS=1 and SIFT_THREADS=auto, one after the other in one invocation.
# usage: bench/demo_under_load.sh [SIFT_BINARY]   (default: a fresh Release build of src/Sift.Cli)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
sift=${1:-}
if [ -z "$sift" ]; then dotnet build src/Sift.Cli -c Release -o "$work/bin" >/dev/null; sift="$work/bin/sift"; fi

run() { # NAME LOAD THREADS
  local loops=()
  if [ "$2" = load ]; then for _ in 1 2; do (while :; do :; done) & loops+=($!); done; fi
  local before=$(cut -d' ' -f1 /proc/loadavg) start=$(date +%s.%N)
  SIFT_THREADS=$3 "$sift" demo --run-dir "$work/$1" >"$work/$1.out" 2>"$work/$1.err"
  local end=$(date +%s.%N)
  for p in "${loops[@]}"; do kill "$p"; done
  echo "$1: $(echo "$end - $start" | bc | xargs printf '%.0f') s (1-minute load average before it: $before)"
}
echo "$(nproc) CPUs"
run alone quiet ""
run beside-load-default load ""
run beside-load-threads-1 load 1
run beside-load-auto load auto
