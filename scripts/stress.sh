#!/usr/bin/env bash
# Reruns one end-to-end test file N times, optionally with the CPU kept
# busy, and reports every failing run with its log: the way to prove a test
# (or the product under it) does not fail by chance.
#
#   scripts/stress.sh tests/e2e/wire.test.mjs            # 20 runs
#   scripts/stress.sh tests/e2e/wire.test.mjs 50
#   STRESS_LOAD=2 scripts/stress.sh tests/e2e/wire.test.mjs   # + 2 busy cores
#   STRESS_NAME='closed tab' REWIND_BROWSERS=firefox scripts/stress.sh tests/e2e/wire.test.mjs
#
# STRESS_LOAD: how many busy-looping processes run beside the tests (0 by
# default; the machine's core count loads every core). STRESS_NAME: only
# tests whose name matches (node's --test-name-pattern). Other variables
# (REWIND_BROWSERS, FIDELITY_FIXTURE, ...) reach the test file as they are.
# Logs of failing runs stay in test-results/stress/. Needs a build
# (npm run build). Exits non-zero when any run failed.
set -uo pipefail
cd "$(dirname "$0")/.."

file=${1:?usage: scripts/stress.sh <test file> [runs]}
runs=${2:-20}
load=${STRESS_LOAD:-0}
[ -f "$file" ] || { echo "stress: no test file '$file'" >&2; exit 2; }
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "stress: runs must be a whole number from 1, got '$runs'" >&2; exit 2; }
[[ "$load" =~ ^[0-9]+$ ]] || { echo "stress: STRESS_LOAD must be a whole number, got '$load'" >&2; exit 2; }

logs=test-results/stress
mkdir -p "$logs"

burners=()
stop_burners() {
  for pid in "${burners[@]}"; do kill "$pid" 2>/dev/null; done
}
trap stop_burners EXIT
for _ in $(seq 1 "$load"); do
  # A busy loop that ends by itself after an hour, should this script die.
  timeout 3600 sh -c 'while :; do :; done' &
  burners+=($!)
done

pattern=()
[ -n "${STRESS_NAME:-}" ] && pattern=(--test-name-pattern="$STRESS_NAME")

failed=0
for run in $(seq 1 "$runs"); do
  log="$logs/$(basename "$file" .mjs)-run$run.log"
  start=$SECONDS
  # The same per-test limit as scripts/test.sh: node applies it to the
  # file as a whole too, and the wire suite in three browsers beside a busy
  # machine (the fidelity suite) takes 150 to 180 s.
  if timeout --kill-after=20 900 node --test --test-reporter=spec --test-timeout=960000 --test-force-exit \
    "${pattern[@]}" "$file" >"$log" 2>&1; then
    printf 'run %d/%d: passed (%d s)\n' "$run" "$runs" $((SECONDS - start))
    rm -f "$log"
  else
    failed=$((failed + 1))
    printf 'run %d/%d: FAILED (%d s), log: %s\n' "$run" "$runs" $((SECONDS - start)) "$log"
    # The failing tests and their errors, from node's spec reporter.
    grep -E '^\s*✖|Error|error:|timed out' "$log" | head -20 | sed 's/^/    /'
  fi
done

printf '\nstress: %d passed, %d failed (%s, %d runs, %d busy processes)\n' \
  $((runs - failed)) "$failed" "$file" "$runs" "$load"
[ "$failed" -eq 0 ]
