#!/usr/bin/env bash
# Training-step throughput of Sift (`sift-bench train`) beside PyTorch eager (bench/pytorch_train_step.py)
# on the same Llama shape, batch and length, at the same thread count, in one invocation: ROUNDS rounds,
# odd rounds Sift first, even rounds PyTorch first, so that drifting load on a shared machine hits both.
# Needs Debian's python3-torch with an optimized BLAS (the PyTorch script refuses the reference one):
#   sudo apt-get install python3-torch libopenblas0-pthread
# usage: bench/peer_train.sh [--model stories15m|llama100m] [--dtype fp32|bf16] [--batch 8] [--steps 4] [--rounds 2]
set -euo pipefail
cd "$(dirname "$0")/.."
model=stories15m dtype=fp32 batch=8 steps=4 rounds=2
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model=$2 ;; --dtype) dtype=$2 ;; --batch) batch=$2 ;; --steps) steps=$2 ;; --rounds) rounds=$2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
threads=${SIFT_THREADS:-$(nproc)}
export SIFT_THREADS=$threads OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet build bench/Sift.Bench -c Release -o "$out/bench" >/dev/null
sift() { "$out/bench/sift-bench" train --model "$model" --dtype "$dtype" --batch "$batch" --steps "$steps" | tee -a "$out/sift"; }
torch() { /usr/bin/python3 bench/pytorch_train_step.py --model "$model" --dtype "$dtype" --batch "$batch" --steps "$steps" --threads "$threads" | tee -a "$out/torch"; }
echo "$(nproc) CPUs, $threads threads each, load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then sift; torch; else torch; sift; fi
done
rate() { grep -o '[0-9]* tok/s' "$1" | cut -d' ' -f1; }
paste <(rate "$out/sift") <(rate "$out/torch") | awk '{ printf "round %d: Sift %d tok/s, PyTorch %d tok/s, %.2fx\n", NR, $1, $2, $1 / $2 }'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
