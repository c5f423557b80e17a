#!/usr/bin/env bash
# Stress harness for native memory-lifetime bugs. Runs, under a competing CPU load:
#   1. sift-bench lifetime-race: TorchSharp's temporary-Scalar race in isolation, the unsafe form
#      (expected to crash) and the held form Sift uses (expected to survive);
#   2. many short `sift train` processes with a checkpoint every step (NTP, NEFTune, LoRA,
#      bf16, packing, resume), alternating GC and malloc stress settings;
#   3. several full `sift demo` runs in fresh folders.
# Any process that dies (non-zero exit, signal, native assertion) counts as a crash; its log is
# kept under the work folder. Ends with "N processes, N crashes" and exits non-zero on any crash.
#
# usage: scripts/stress.sh [--train N] [--demo N] [--load N] [--work DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
train=300; demo=10; load=1; work=""
while [ $# -gt 0 ]; do
  case "$1" in
    --train) train=$2; shift 2 ;;
    --demo) demo=$2; shift 2 ;;
    --load) load=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "usage: $0 [--train N] [--demo N] [--load N] [--work DIR]" >&2; exit 2 ;;
  esac
done
work=${work:-$(mktemp -d /tmp/sift-stress.XXXXXX)}
mkdir -p "$work"
work=$(cd "$work" && pwd)

dotnet build src/Sift.Cli -c Release -v quiet -nologo >/dev/null && dotnet build bench/Sift.Bench -c Release -v quiet -nologo >/dev/null || { echo "build failed" >&2; exit 1; }
sift=(dotnet "$PWD/src/Sift.Cli/bin/Release/net10.0/sift.dll")
bench=(dotnet "$PWD/bench/Sift.Bench/bin/Release/net10.0/sift-bench.dll")

loaders=()
for _ in $(seq "$load"); do (while :; do :; done) & loaders+=($!); done
trap 'kill "${loaders[@]}" 2>/dev/null' EXIT
echo "work folder $work; competing load: $load busy process(es) on $(nproc) cores"

processes=0; crashes=0
# Stress settings, cycled: a thread that collects and finalizes without pause; tiny gen0 budget
# (a collection every few KB allocated) with glibc's freed-memory poisoning and heap checks.
modes=("SIFT_GC_STRESS=1" "DOTNET_GCgen0size=0x10000 MALLOC_PERTURB_=165 MALLOC_CHECK_=3" "SIFT_GC_STRESS=1 MALLOC_PERTURB_=165")

run() { # run LOG EXPECT ENV... -- COMMAND...
  local log=$1 expect=$2; shift 2
  local envs=(); while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
  env "${envs[@]}" "$@" >"$log" 2>&1
  local rc=$?
  processes=$((processes + 1))
  if [ "$rc" -ne "$expect" ]; then
    crashes=$((crashes + 1))
    echo "CRASH (exit $rc, expected $expect): $log"; tail -5 "$log" | sed 's/^/    /'
  fi
}

echo "== 1. the race in isolation (20 s each)"
SIFT_GC_STRESS=1 "${bench[@]}" lifetime-race --seconds 20 >"$work/race-implicit.log" 2>&1
echo "implicit scalar: exit $? ($(grep -m1 -o 'Scalar.h:[0-9]*' "$work/race-implicit.log" || grep -m1 adds "$work/race-implicit.log"))"
run "$work/race-held.log" 0 SIFT_GC_STRESS=1 -- "${bench[@]}" lifetime-race --seconds 20 --safe
tail -1 "$work/race-held.log"

echo "== 2. $train training processes, a checkpoint every step"
[ "$train" -gt 0 ] && run "$work/demo-0.log" 0 SIFT_GC_STRESS=0 -- "${sift[@]}" demo --run-dir "$work/demo-0"
if [ "$train" -gt 0 ]; then
  model=$(ls -d "$work"/demo-0/base-*/model | head -1); data=$(ls "$work"/demo-0/data-*/train.jsonl | head -1)
fi
variants=("" "--set objective.name=neftune" "--set lora.r=4" "--set precision.dtype=bfloat16" "--set data.packing=true")
for i in $(seq "$train"); do
  mode=${modes[$((i % ${#modes[@]}))]}
  variant=${variants[$((i % ${#variants[@]}))]}
  out="$work/train/$i"
  # shellcheck disable=SC2086
  run "$work/train-$i.log" 0 $mode -- "${sift[@]}" train --model "$model" --data "$data" --output-dir "$out" \
      --set schedule.max_steps=8 --set output.save_steps=1 --set output.logging_steps=1 --set data.max_length=128 \
      --set output.confidence_checkpoints=2 --set output.record_dynamics=true --set "seed=$i" $variant
  if [ $((i % 10)) -eq 0 ]; then # resume a finished run one step further
    # shellcheck disable=SC2086
    run "$work/resume-$i.log" 0 $mode -- "${sift[@]}" train --model "$model" --data "$data" --output-dir "$out" --resume \
        --set schedule.max_steps=8 --set output.save_steps=1 --set output.logging_steps=1 --set data.max_length=128 \
        --set output.confidence_checkpoints=2 --set output.record_dynamics=true --set "seed=$i" $variant
  fi
  if [ $((i % 50)) -eq 0 ]; then echo "  $i training runs, $processes processes, $crashes crashes"; fi
  rm -rf "$out"
done

echo "== 3. $demo demo runs"
# A demo is ~50 in-process stages: under the GC stress settings it takes hours on a shared 2-core
# machine (the stress thread alone keeps a core busy), so demos run as users run them, with glibc's
# freed-memory poisoning and heap checks added (the original crash came from a plain demo run).
# On an oversubscribed machine libtorch's default thread pool slows a demo many times over, so half
# the demos run with one thread each.
demo_modes=("MALLOC_PERTURB_=165" "SIFT_THREADS=1 MALLOC_PERTURB_=165 MALLOC_CHECK_=3")
for i in $(seq "$demo"); do
  mode=${demo_modes[$((i % ${#demo_modes[@]}))]}
  # shellcheck disable=SC2086
  run "$work/demo-$i.log" 0 $mode -- "${sift[@]}" demo --run-dir "$work/demo-$i"
  echo "  demo $i ($mode): $(tail -1 "$work/demo-$i.log")"
  rm -rf "$work/demo-$i"
done

echo "$processes processes, $crashes crashes"
[ "$crashes" -eq 0 ]
