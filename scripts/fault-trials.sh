#!/usr/bin/env bash
# The full form of the crash-consistency proof (issue 10): 20 trials × 1000 lifecycle operations
# with a kill -9 in each, on SQLite and on PostgreSQL (KEYLESS_TEST_POSTGRES_URL), then the
# invariant checker and a read-back of every acknowledged operation after each restart. CI runs
# the same test in short form (3 × 200). Prints one summary line per dialect; record them in the
# README's "Running" section. Override the size with KEYLESS_FAULT_TRIALS / _OPERATIONS / _SEED.
set -euo pipefail
cd "$(dirname "$0")/.."
export KEYLESS_FAULT_TRIALS="${KEYLESS_FAULT_TRIALS:-20}"
export KEYLESS_FAULT_OPERATIONS="${KEYLESS_FAULT_OPERATIONS:-1000}"
export KEYLESS_TEST_TIMEOUT_MS="${KEYLESS_TEST_TIMEOUT_MS:-7200000}"
npx tsc -p tsconfig.json
node scripts/test.js faults.kill9 2>&1 | tee "${KEYLESS_FAULT_LOG:-/tmp/keyless-fault-trials.log}" | grep -E '^# (\\# fault trials|pass|fail)'
