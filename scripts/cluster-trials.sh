#!/usr/bin/env bash
# The cluster test's longer form: TRIALS runs (default 5) of test/e2e/cluster, each killing a
# replica KILLS times (default 6: every replica twice, each restarted on its port before the
# next kill) under steady token, workload and ARM load. Prints one line per trial and a total;
# exits non-zero if any trial failed. Needs PostgreSQL (KEYLESS_TEST_POSTGRES_URL) and haproxy.
set -euo pipefail
cd "$(dirname "$0")/.."
TRIALS="${TRIALS:-5}"
export KEYLESS_CLUSTER_KILLS="${KILLS:-6}"
export KEYLESS_CLUSTER_KILL_EVERY_MS="${KILL_EVERY_MS:-2000}"
export KEYLESS_TEST_POSTGRES_URL="${KEYLESS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
npx tsc -p tsconfig.json
. scripts/lib/trials.sh
run_trials e2e/cluster/ 1 cluster "kills per trial: $KEYLESS_CLUSTER_KILLS"
