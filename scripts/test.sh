#!/usr/bin/env bash
# Runs the whole test suite: installs the few system tools the tests compare against or launch
# (SentencePiece's spm_encode, gcc for llama2.c's run.c, Open MPI's mpirun), runs `dotnet test`, and ends
# with the plain line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

need=()
command -v spm_encode >/dev/null || need+=(sentencepiece)
command -v gcc >/dev/null || need+=(gcc)
command -v mpirun >/dev/null || need+=(openmpi-bin libopenmpi-dev)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing ${need[*]} (Debian packages the tests compare against or launch)"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

results=$(mktemp -d)
dotnet test Sift.slnx -c Release --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
status=$?

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(echo "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')
  f=$(echo "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
exit $status
