#!/usr/bin/env bash
# The long fuzz of every HTTP surface (test/e2e/hardening/hardening.fuzz.test.ts), with a fresh
# seed each run unless one is given: KEYLESS_FUZZ_RUNS requests per surface (default 2000).
# Run outside scripts/test.js, whose per-file timeout (180 s) suits only the bounded CI run.
# A failure prints its seed and counterexample; rerun with KEYLESS_FUZZ_SEED=<seed> to replay.
set -euo pipefail
cd "$(dirname "$0")/.."
export KEYLESS_FUZZ_RUNS="${KEYLESS_FUZZ_RUNS:-2000}"
export KEYLESS_FUZZ_SEED="${KEYLESS_FUZZ_SEED:-$RANDOM$RANDOM}"
echo "fuzz: ${KEYLESS_FUZZ_RUNS} requests per surface, seed ${KEYLESS_FUZZ_SEED}"
npx tsc -p tsconfig.json
node --test --test-timeout=0 dist/test/e2e/hardening/hardening.fuzz.test.js
