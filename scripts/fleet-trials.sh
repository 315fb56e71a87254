#!/usr/bin/env bash
# The fleet test's longer form (test/e2e/fleet): TRIALS runs (default 5), each cutting host 3
# off for CUT_MS (default 20000) instead of the CI's 4 s. Prints each trial's PostgreSQL-restart
# and host-cut lines and a total; exits non-zero if any trial failed. Needs root, iproute2,
# haproxy, PostgreSQL's binaries (a private cluster) and, for the clock skew, faketime.
set -euo pipefail
cd "$(dirname "$0")/.."
TRIALS="${TRIALS:-5}"
export KEYLESS_FLEET_CUT_MS="${CUT_MS:-20000}"
npx tsc -p tsconfig.json
. scripts/lib/trials.sh
run_trials e2e/fleet/ 6 fleet "cut: $KEYLESS_FLEET_CUT_MS ms"
