#!/usr/bin/env bash
# The README's walkthrough as a script: Keyless up, a web app with a managed identity, a vault and
# a storage account, role assignments, the orders service, the workload succeeding under
# `keyless run`, then refused once its assignments are deleted.
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

step "2. a resource group and two web apps with system-assigned identities"
RG=$(keyless group create orders-rg -o json | json id)
APP=$(keyless webapp create orders-app -g orders-rg --assign-identity system -o json)
APP_ID=$(json id <<<"$APP")
APP_PRINCIPAL=$(json identity.principalId <<<"$APP")
API=$(keyless webapp create orders-api -g orders-rg --assign-identity system -o json)
API_ID=$(json id <<<"$API")
API_PRINCIPAL=$(json identity.principalId <<<"$API")
echo "orders-app  $APP_ID (principal $APP_PRINCIPAL)"
echo "orders-api  $API_ID"

step "3. a vault and a storage account, served at the URLs they print"
VAULT=$(keyless vault create orders-kv -g orders-rg -o json)
VAULT_ID=$(json id <<<"$VAULT")
ORDERS_VAULT_URL=$(json properties.vaultUri <<<"$VAULT")
ACCOUNT=$(keyless storage account create ordersdata -g orders-rg -o json)
ACCOUNT_ID=$(json id <<<"$ACCOUNT")
ORDERS_BLOB_URL=$(json properties.primaryEndpoints.blob <<<"$ACCOUNT")
export ORDERS_VAULT_URL ORDERS_BLOB_URL
echo "vault    $ORDERS_VAULT_URL"
echo "account  $ORDERS_BLOB_URL"

step "4. roles: the app may use secrets and blobs and read orders; the service may check access"
keyless role assignment create --assignee "$APP_PRINCIPAL" --role "Key Vault Secrets Officer" \
  --scope "$VAULT_ID" -o json >/dev/null
keyless role assignment create --assignee "$APP_PRINCIPAL" --role "Storage Blob Data Contributor" \
  --scope "$ACCOUNT_ID" -o json >/dev/null
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

step "7. a token for another audience is refused by the service"
(
  eval "$(keyless env --as "$APP_ID")"
  OTHER=$(curl -sS -H "X-IDENTITY-HEADER: $IDENTITY_HEADER" \
    "$IDENTITY_ENDPOINT?resource=https://vault.azure.net&api-version=2019-08-01" | json access_token)
  curl -sS -H "authorization: Bearer $OTHER" "$ORDERS_SERVICE_URL/orders"
  echo
)

step "8. delete the app's vault and blob assignments: the next run is refused"
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
