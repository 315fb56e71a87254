#!/usr/bin/env bash
# The README's walkthrough as a script: Keyless up, web apps with managed identities, a vault and
# a storage account with a queue, role assignments, the orders service, the workload succeeding
# under `keyless run`, the worker taking its order from the queue, then the workload refused once
# its assignments are deleted.
#
#   examples/orders/walkthrough.sh            # in a fresh temporary data directory
#   KEYLESS_HOME=/tmp/kl examples/orders/walkthrough.sh
#
# Needs node (≥ 20), curl, and a built tree (`npm ci`). Everything it starts is stopped on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
export KEYLESS_HOME=${KEYLESS_HOME:-$(mktemp -d)}
KEYLESS=(node "$ROOT/bin/keyless.js")
keyless() { "${KEYLESS[@]}" "$@"; }
# `json FIELD.PATH`: a field of the JSON on stdin (no jq needed).
json() {
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    let v = JSON.parse(s); for (const k of process.argv[1].split(".")) v = v[k]; process.stdout.write(String(v)) })' "$1"
}
step() { printf '\n== %s\n' "$*"; }

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

step "1. keyless up (data directory $KEYLESS_HOME, free ports)"
"${KEYLESS[@]}" up --port 0 --log-level warn >"$KEYLESS_HOME/up.log" 2>&1 &
PIDS+=($!)
# endpoints.json is complete once it names the local agent's socket.
until grep -qs agentSocket "$KEYLESS_HOME/endpoints.json"; do
  kill -0 "${PIDS[0]}" 2>/dev/null || { cat "$KEYLESS_HOME/up.log"; exit 1; }
  sleep 0.1
done
ENDPOINTS=$KEYLESS_HOME/endpoints.json
cat "$ENDPOINTS"

step "2. a resource group and three web apps with system-assigned identities"
RG=$(keyless group create orders-rg -o json | json id)
APP=$(keyless webapp create orders-app -g orders-rg --assign-identity system -o json)
APP_ID=$(json id <<<"$APP")
APP_PRINCIPAL=$(json identity.principalId <<<"$APP")
API=$(keyless webapp create orders-api -g orders-rg --assign-identity system -o json)
API_ID=$(json id <<<"$API")
API_PRINCIPAL=$(json identity.principalId <<<"$API")
WORKER=$(keyless webapp create orders-worker -g orders-rg --assign-identity system -o json)
WORKER_ID=$(json id <<<"$WORKER")
WORKER_PRINCIPAL=$(json identity.principalId <<<"$WORKER")
echo "orders-app     $APP_ID (principal $APP_PRINCIPAL)"
echo "orders-api     $API_ID"
echo "orders-worker  $WORKER_ID"

step "3. a vault and a storage account with an orders queue, served at the URLs they print"
VAULT=$(keyless vault create orders-kv -g orders-rg -o json)
VAULT_ID=$(json id <<<"$VAULT")
ORDERS_VAULT_URL=$(json properties.vaultUri <<<"$VAULT")
ACCOUNT=$(keyless storage account create ordersdata -g orders-rg -o json)
ACCOUNT_ID=$(json id <<<"$ACCOUNT")
ORDERS_BLOB_URL=$(json properties.primaryEndpoints.blob <<<"$ACCOUNT")
ORDERS_QUEUE_URL=$(json properties.primaryEndpoints.queue <<<"$ACCOUNT")
export ORDERS_VAULT_URL ORDERS_BLOB_URL ORDERS_QUEUE_URL
echo "vault    $ORDERS_VAULT_URL"
echo "blobs    $ORDERS_BLOB_URL"
echo "queues   $ORDERS_QUEUE_URL"
# Creating a queue is an Action (queues/write), which the operator holds as Owner; the messages in
# it are DataActions, which it does not.
keyless storage queue create --account-name ordersdata -n orders -o table

step "4. roles: the app may use secrets and blobs, put orders and read them; the worker may take them"
keyless role assignment create --assignee "$APP_PRINCIPAL" --role "Key Vault Secrets Officer" \
  --scope "$VAULT_ID" -o json >/dev/null
keyless role assignment create --assignee "$APP_PRINCIPAL" --role "Storage Blob Data Contributor" \
  --scope "$ACCOUNT_ID" -o json >/dev/null
keyless role assignment create --assignee "$APP_PRINCIPAL" \
  --role "Storage Queue Data Message Sender" --scope "$ACCOUNT_ID" -o json >/dev/null
keyless role assignment create --assignee "$WORKER_PRINCIPAL" \
  --role "Storage Queue Data Message Processor" --scope "$ACCOUNT_ID" -o json >/dev/null
keyless role definition create -o json --file - >/dev/null <<EOF
{"Name": "Orders Reader", "Description": "reads orders from the orders service",
 "Actions": ["Contoso.Orders/orders/read"], "AssignableScopes": ["$RG"]}
EOF
keyless role assignment create --assignee "$APP_PRINCIPAL" --role "Orders Reader" \
  --scope "$API_ID" -o json >/dev/null
# checkAccess about another principal needs Microsoft.Authorization/roleAssignments/read there.
keyless role assignment create --assignee "$API_PRINCIPAL" --role Reader --scope "$API_ID" \
  -o json >/dev/null
keyless role assignment list --assignee "$APP_PRINCIPAL" --all -o table

step "5. the orders service, as orders-api"
SERVICE_LOG=$KEYLESS_HOME/service.log
PORT=0 ORDERS_SCOPE=$API_ID "${KEYLESS[@]}" run --as "$API_ID" -- node examples/orders/service.mjs \
  >"$SERVICE_LOG" 2>&1 &
PIDS+=($!)
until grep -qs '^listening ' "$SERVICE_LOG"; do
  kill -0 "${PIDS[1]}" 2>/dev/null || { cat "$SERVICE_LOG"; exit 1; }
  sleep 0.1
done
ORDERS_SERVICE_URL=$(sed -n 's/^listening //p' "$SERVICE_LOG")
export ORDERS_SERVICE_URL
echo "service  $ORDERS_SERVICE_URL"

step "6. the workload, as orders-app: no secret anywhere"
keyless run --as "$APP_ID" -- node examples/orders/app.mjs

step "7. the worker, as orders-worker, takes the order from the queue (and may not put one)"
keyless run --as "$WORKER_ID" -- node examples/orders/worker.mjs --once
keyless storage message put --account-name ordersdata -q orders --content forged \
  --as "$WORKER_ID" 2>&1 && exit 1
echo "the worker may not put, as expected"

step "8. a token for another audience is refused by the service"
(
  eval "$(keyless env --as "$APP_ID")"
  OTHER=$(curl -sS -H "X-IDENTITY-HEADER: $IDENTITY_HEADER" \
    "$IDENTITY_ENDPOINT?resource=https://vault.azure.net&api-version=2019-08-01" | json access_token)
  curl -sS -H "authorization: Bearer $OTHER" "$ORDERS_SERVICE_URL/orders"
  echo
)

step "9. delete the app's vault and blob assignments: the next run is refused"
keyless role assignment delete --assignee "$APP_PRINCIPAL" --role "Key Vault Secrets Officer" \
  --scope "$VAULT_ID" -o json >/dev/null
keyless role assignment delete --assignee "$APP_PRINCIPAL" --role "Storage Blob Data Contributor" \
  --scope "$ACCOUNT_ID" -o json >/dev/null
if keyless run --as "$APP_ID" -- node examples/orders/app.mjs; then
  echo "unexpected: the run succeeded without its role assignments" >&2
  exit 1
fi
echo "refused, as expected"
echo "(the data directory $KEYLESS_HOME stays; delete it when done)"
