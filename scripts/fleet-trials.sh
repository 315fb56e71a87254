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
failed=0
for trial in $(seq 1 "$TRIALS"); do
  log="$(mktemp)"
  if node scripts/test.js e2e/fleet/ >"$log" 2>&1 && grep -q '^# pass 6' "$log"; then
    verdict=pass
  else
    verdict=FAIL
    failed=$((failed + 1))
  fi
  echo "trial $trial: $verdict"
  grep -o 'fleet: .*' "$log" | sed 's/^/  /' || echo "  (no summary; see $log)"
  [ "$verdict" = pass ] && rm -f "$log"
done
echo "$((TRIALS - failed)) of $TRIALS trials passed (cut: $KEYLESS_FLEET_CUT_MS ms)"
[ "$failed" -eq 0 ]
