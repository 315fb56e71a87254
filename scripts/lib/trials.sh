# Shared by the long-form trial scripts (cluster-trials.sh, fleet-trials.sh): runs one e2e test
# folder TRIALS times, prints each trial's verdict and its summary lines (those the test prints
# with `# <prefix>: …`), keeps the log of a failed trial, and returns non-zero if any failed.
# Usage: run_trials <test-path-filter> <passes-expected> <summary-prefix> <what-varied>
run_trials() {
  local filter="$1" expected="$2" prefix="$3" varied="$4" failed=0 trial log verdict
  for trial in $(seq 1 "$TRIALS"); do
    log="$(mktemp)"
    if node scripts/test.js "$filter" >"$log" 2>&1 && grep -q "^# pass $expected\$" "$log"; then
      verdict=pass
    else
      verdict=FAIL
      failed=$((failed + 1))
    fi
    echo "trial $trial: $verdict"
    grep -o "$prefix: .*" "$log" | sed 's/^/  /' || echo "  (no summary; see $log)"
    [ "$verdict" = pass ] && rm -f "$log"
  done
  echo "$((TRIALS - failed)) of $TRIALS trials passed ($varied)"
  [ "$failed" -eq 0 ]
}
