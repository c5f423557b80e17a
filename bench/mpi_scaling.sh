#!/usr/bin/env bash
# Data-parallel scaling on this machine (docs/DISTRIBUTED.md, "Scaling"): `sift-bench train-mpi` at one fixed global
# batch three ways, in one invocation: one process on every CPU's thread, one process on one thread, and
# `mpirun -np 2` with one thread per rank (Open MPI binds each rank to a core). Needs Open MPI:
#   sudo apt-get install openmpi-bin libopenmpi-dev
# usage: bench/mpi_scaling.sh [--model stories15m|llama100m] [--batch 4] [--accumulation 2] [--length 512] [--steps 4]
set -euo pipefail
cd "$(dirname "$0")/.."
args=("$@")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet build bench/Sift.Bench -c Release -o "$out/bench" >/dev/null
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 # root in containers
echo "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
SIFT_THREADS=$(nproc) "$out/bench/sift-bench" train-mpi "${args[@]}"
SIFT_THREADS=1 "$out/bench/sift-bench" train-mpi "${args[@]}"
SIFT_THREADS=1 mpirun -np 2 --mca btl_vader_single_copy_mechanism none "$out/bench/sift-bench" train-mpi "${args[@]}"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
