// The orders service: a small HTTP API that accepts Keyless tokens for `api://orders` and asks
// Keyless's RBAC whether the caller may read orders. It has an identity of its own (it asks
// checkAccess with it), so it runs like any workload:
//
//   keyless run --as <orders-api web app id> -- node examples/orders/service.mjs
//
// Environment (nothing secret):
//   KEYLESS_HOME   the data directory whose endpoints.json names the token issuer (default
//                  ./.keyless); or KEYLESS_ENDPOINTS, the path of an endpoints.json
//   ORDERS_SCOPE   the scope access is decided at: this service's own resource id
//   PORT           where to listen (default 8080; 0 = a free port), on 127.0.0.1
//
// GET /orders needs a token for api://orders (else 401) whose caller holds
// `Contoso.Orders/orders/read` at ORDERS_SCOPE (else 403). It prints `listening <url>` once up.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ManagedIdentityCredential } from '@azure/identity'
import express from 'express'
import {
  createAuthorizer,
  createVerifier,
  keylessExpress,
  KeylessVerifyError,
} from 'keyless/verify'

const endpointsFile =
  process.env.KEYLESS_ENDPOINTS ?? join(process.env.KEYLESS_HOME || '.keyless', 'endpoints.json')
const endpoints = JSON.parse(readFileSync(endpointsFile, 'utf8'))
const scope = process.env.ORDERS_SCOPE
if (!scope) throw new Error('ORDERS_SCOPE is not set')

// Signature (Keyless's JWKS), issuer, tenant, lifetime and audience. Keyless's CA is trusted
// through NODE_EXTRA_CA_CERTS, which `keyless run` sets.
const verifier = createVerifier({
  authority: endpoints.authorityHost,
  tenantId: endpoints.tenantId,
  audience: 'api://orders',
})

// Decisions come from Keyless (POST /keyless/v1/checkAccess), cached for a second: removing the
// caller's role assignment refuses it here a second later.
const credential = new ManagedIdentityCredential()
const authorizer = createAuthorizer({
  managementEndpoint: endpoints.managementEndpoint,
  getToken: async () =>
    (await credential.getToken(`${endpoints.managementEndpoint}/.default`)).token,
})

const orders = [
  { id: 1, item: 'coffee', quantity: 2 },
  { id: 2, item: 'tea', quantity: 1 },
]

const app = express()
app.use(keylessExpress(verifier)) // 401 without a valid token; sets req.keyless
app.get('/orders', async (req, res) => {
  const caller = req.keyless
  if (!(await authorizer.authorize(caller.objectId, 'Contoso.Orders/orders/read', scope))) {
    return res.status(403).json({
      error: { code: 'AuthorizationFailed', message: 'the caller may not read orders' },
    })
  }
  res.json({ caller: caller.managedIdentityResourceId ?? caller.objectId, value: orders })
})
// Express 5 routes a rejected handler here. A KeylessVerifyError carries its status (503 when
// Keyless cannot be reached); anything else is this service's own failure.
app.use((err, _req, res, _next) => {
  if (err instanceof KeylessVerifyError) {
    return res.status(err.status).json({ error: { code: err.code, message: err.message } })
  }
  console.error(err)
  res.status(500).json({ error: { code: 'InternalError', message: 'internal error' } })
})

const server = app.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${server.address().port}`)
})
process.once('SIGTERM', () => server.close())
process.once('SIGINT', () => server.close())
