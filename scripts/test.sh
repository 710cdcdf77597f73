#!/usr/bin/env bash
# Runs every test: native unit tests of the core, the web layer in headless
# Chromium and Firefox, and the end-to-end record -> rrweb Replayer round
# trip. Needs scripts/setup.sh and scripts/build.sh to have run (npm test
# runs all three). Ends with one line: "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

logs=$(mktemp -d)
failed_steps=()

run_step() {
  local name=$1
  shift
  printf '\n[test] %s: %s\n' "$name" "$*"
  if ! "$@" 2>&1 | tee "$logs/$name.log"; then
    failed_steps+=("$name")
  fi
}

run_step native cargo test
run_step chrome wasm-pack test --headless --chrome
run_step firefox wasm-pack test --headless --firefox
run_step e2e node --test --test-reporter=spec tests/e2e/

# Sum the runners' own counts: Rust's "test result: ... N passed; M failed"
# and node's "ℹ pass N" / "ℹ fail M".
passed=0
failed=0
for log in "$logs"/*.log; do
  while read -r p f; do
    passed=$((passed + p)); failed=$((failed + f))
  done < <(sed -n 's/.*test result: [a-zA-Z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$log")
  p=$(sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' "$log" | tail -1)
  f=$(sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' "$log" | tail -1)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
rm -rf "$logs"

if [ ${#failed_steps[@]} -gt 0 ]; then
  printf '\n[test] failing steps: %s\n' "${failed_steps[*]}"
fi
printf '\n[test] done in %d s\n' "$SECONDS"
printf '\ntests: %d passed, %d failed\n' "$passed" "$failed"
[ ${#failed_steps[@]} -eq 0 ] && [ "$failed" -eq 0 ]
