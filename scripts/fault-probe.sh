#!/usr/bin/env bash
# Fault and bad-input probe: drives the `sift` CLI through the failures a training cluster sees
# (kill -9, SIGTERM, a second process on the same folder, retrained weights under a finished score
# table, edited pipeline inputs, a read-only install) and through damaged or hostile inputs, and
# checks each outcome: the exit code, the words of the error, and what is left on disk.
# Ends with "N cases, N passed" and exits non-zero if any case failed.
#
# usage: scripts/fault-probe.sh [--work DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/sift-probe.XXXXXX)
[ "${1:-}" = "--work" ] && { work=$2; mkdir -p "$work"; }
work=$(cd "$work" && pwd)
chmod 755 "$work" # the read-only-install cases run as an unprivileged user
dotnet build src/Sift.Cli -c Release -v quiet -nologo >/dev/null || { echo "build failed" >&2; exit 1; }
bin="$PWD/src/Sift.Cli/bin/Release/net10.0"
sift() { dotnet "$bin/sift.dll" "$@"; }
# In the background, so that $! is the sift process itself (a signal to a function's subshell would not reach it).
sift_bg() { dotnet "$bin/sift.dll" "$@" & }

cases=0; passed=0
# check NAME EXPECTED_EXIT PATTERN -- COMMAND...: the command's exit code and a regex its output must match
check() {
  local name=$1 expect=$2 pattern=$3; shift 4
  local out rc; out=$("$@" 2>&1); rc=$?
  cases=$((cases + 1))
  if [ "$rc" -eq "$expect" ] && grep -Eq -- "$pattern" <<<"$out"; then passed=$((passed + 1)); echo "ok    $name"
  else echo "FAIL  $name (exit $rc, expected $expect; wanted /$pattern/)"; tail -4 <<<"$out" | sed 's/^/      /'; fi
}
# ok NAME CONDITION...: a plain assertion on the state left behind
ok() {
  local name=$1; shift
  cases=$((cases + 1))
  if "$@"; then passed=$((passed + 1)); echo "ok    $name"; else echo "FAIL  $name"; fi
}
# wait_for_step RUN N: until RUN/metrics.jsonl has N steps, so the checkpoint of an earlier step (save_steps 2) is
# complete: step N's row is written before its own checkpoint. (Not until a checkpoint's folder appears: with
# save_total_limit 2, checkpoint-N is deleted a few steps after it is made, ~20 ms here, so a 0.1 s poll can miss it.)
wait_for_step() { for _ in $(seq 600); do [ "$(wc -l 2>/dev/null <"$1/metrics.jsonl" || echo 0)" -ge "$2" ] && return 0; sleep 0.1; done; return 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

echo "work folder $work"
sift demo data --out "$work/data" --train 200 --heldout 20 --pretrain 400 >/dev/null
sift pretrain --model "$work/data/tokenizer" --data "$work/data/pretrain.jsonl" --output-dir "$work/base" \
  --set model_config.hidden_size=32 --set model_config.intermediate_size=64 --set model_config.num_hidden_layers=2 \
  --set model_config.num_attention_heads=4 --set model_config.max_position_embeddings=256 --set data.max_length=96 \
  --set schedule.max_steps=20 --set optimizer.learning_rate=3e-3 >/dev/null 2>&1
model="$work/base/model"; data="$work/data/train.jsonl"
# 400 steps (~4 s here): the runs below are interrupted a few steps in, and a run of 40 steps (~0.4 s) could end
# within the 0.1 s poll and the signal's delivery, leaving nothing to interrupt.
settings=(--set schedule.max_steps=400 --set output.save_steps=2 --set data.max_length=96
            --set schedule.per_device_train_batch_size=8 --set optimizer.learning_rate=1e-3)
train_args=(--model "$model" --data "$data" "${settings[@]}")

echo "== interruption and resume"
sift train "${train_args[@]}" --output-dir "$work/straight" >/dev/null 2>&1
sift_bg train "${train_args[@]}" --output-dir "$work/killed" >/dev/null 2>&1; pid=$!
wait_for_step "$work/killed" 6; kill -9 $pid; wait $pid 2>/dev/null
check "kill -9, then --resume finishes" 0 "trained 400 steps" -- sift train "${train_args[@]}" --output-dir "$work/killed" --resume
ok "kill -9 + resume: weights bit-identical to an uninterrupted run" [ "$(sha "$work/killed/model/model.safetensors")" = "$(sha "$work/straight/model/model.safetensors")" ]
sift_bg train "${train_args[@]}" --output-dir "$work/term" >"$work/term.log" 2>&1; pid=$!
wait_for_step "$work/term" 4; kill -TERM $pid; wait $pid; rc=$?
ok "SIGTERM exits 143" [ "$rc" -eq 143 ]
ok "SIGTERM saves a checkpoint" grep -q "interrupted at step" "$work/term.log"
check "SIGTERM, then --resume finishes" 0 "trained 400 steps" -- sift train "${train_args[@]}" --output-dir "$work/term" --resume
ok "SIGTERM + resume: weights bit-identical" [ "$(sha "$work/term/model/model.safetensors")" = "$(sha "$work/straight/model/model.safetensors")" ]

echo "== two processes, one folder"
sift_bg train "${train_args[@]}" --output-dir "$work/shared" >/dev/null 2>&1; pid=$!
wait_for_step "$work/shared" 2
check "a second train on the same folder is refused, naming the holder" 1 "in use.*$pid|$pid.*in use" -- sift train "${train_args[@]}" --output-dir "$work/shared" --overwrite
check "a --resume of a running run is refused" 1 "in use" -- sift train "${train_args[@]}" --output-dir "$work/shared" --resume
wait $pid
ok "the first run finished with all its metrics rows" [ "$(wc -l <"$work/shared/metrics.jsonl")" -ge 400 ]
sift_bg train "${train_args[@]}" --output-dir "$work/stale-lock" >/dev/null 2>&1; pid=$!
wait_for_step "$work/stale-lock" 4; kill -9 $pid; wait $pid 2>/dev/null
check "a lock left by kill -9 does not block" 0 "trained 400 steps" -- sift train "${train_args[@]}" --output-dir "$work/stale-lock" --resume

echo "== stale results"
check "score learnability" 0 "" -- sift score learnability --base "$model" --ref "$work/straight/model" --data "$data" --out "$work/scores/s" --max-length 96
first=$(sha "$work/scores/s.parquet")
sift train "${train_args[@]}" --output-dir "$work/straight" --overwrite --set seed=9 >/dev/null 2>&1
check "retrained reference: score reruns instead of answering 'already complete'" 0 "" -- sift score learnability --base "$model" --ref "$work/straight/model" --data "$data" --out "$work/scores/s" --max-length 96
ok "retrained reference: the table changed" [ "$(sha "$work/scores/s.parquet")" != "$first" ]
check "score --out into a missing folder" 0 "" -- sift score perplexity --model "$model" --data "$data" --out "$work/new/deeper/ppl" --max-length 96

echo "== damaged and hostile inputs"
mkdir -p "$work/bad"; cp -r "$model" "$work/bad/truncated"; truncate -s 1000 "$work/bad/truncated/model.safetensors"
check "truncated safetensors" 1 "model.safetensors" -- sift generate --model "$work/bad/truncated" --prompt hi --max-new-tokens 2
cp -r "$model" "$work/bad/huge-header"; printf '\xff\xff\xff\xff\xff\xff\xff\x7f' | dd of="$work/bad/huge-header/model.safetensors" conv=notrunc status=none
check "absurd safetensors header size" 1 "header" -- sift generate --model "$work/bad/huge-header" --prompt hi --max-new-tokens 2
: >"$work/bad/empty.jsonl"
check "empty data file" 1 "empty" -- sift train --model "$model" --data "$work/bad/empty.jsonl" "${settings[@]}" --output-dir "$work/empty-run"
printf '\xef\xbb\xbf[{"instruction": "a", "input": "", "output": "b"}]' >"$work/bad/bom.json"
check "UTF-8 BOM before a JSON array is accepted" 0 "" -- sift data convert "$work/bad/bom.json" "$work/bad/bom.jsonl"
python3 -c 'import json; print(json.dumps([{"instruction": "a", "input": "", "output": "b"}] * 150 + [{"instruction": "a", "input": "", "output": None}]))' >"$work/bad/null.json"
check "a bad item of a one-line JSON array is named by index, null as null" 1 "item 150.*null|null.*item 150" -- sift data convert "$work/bad/null.json" "$work/bad/null.jsonl"
# Cut at half its compressed size: a fixed byte count can exceed the whole stream (the synthetic data compresses ~20x).
zstd -q -c "$data" >"$work/bad/whole.zst"
head -c $(( $(stat -c %s "$work/bad/whole.zst") / 2 )) "$work/bad/whole.zst" >"$work/bad/cut.jsonl.zst"
check "truncated .jsonl.zst names the file" 1 "cut.jsonl.zst" -- sift data convert "$work/bad/cut.jsonl.zst" "$work/bad/cut.jsonl"
printf 'optimizer:\n  learning_rate: -1\n' >"$work/bad/recipe.yaml"
check "an out-of-range recipe value is refused, naming the setting" 1 "learning_rate" -- sift train "$work/bad/recipe.yaml" --model "$model" --data "$data" --output-dir "$work/bad-recipe"
check "a misspelled --set key suggests the nearest" 1 "learning_rate" -- sift train "${train_args[@]}" --output-dir "$work/typo" --set optimizer.learnig_rate=1

echo "== read-only install"
cp -r "$bin" "$work/install"; chmod -R a-w "$work/install"; mkdir -m 777 "$work/nobody-cache"
check "sift --help from a read-only install (as an unprivileged user)" 0 "Usage" -- setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/tmp dotnet "$work/install/sift.dll" --help
check "a torch command from a read-only install" 0 "" -- setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/tmp XDG_CACHE_HOME="$work/nobody-cache" dotnet "$work/install/sift.dll" generate --model "$model" --prompt hi --max-new-tokens 2
chmod -R u+w "$work/install"

echo "$cases cases, $passed passed"
[ "$cases" -eq "$passed" ]
