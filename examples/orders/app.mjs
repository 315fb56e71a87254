// The orders workload: an ordinary Azure SDK program with no secret in its code or config. It
// reads a secret from Key Vault, writes an order to Blob storage and reads it back, puts the order
// on the `orders` queue for worker.mjs (another identity) to fulfil, and calls the orders service
// with a token for `api://orders`. Run it as a web app with a managed identity:
//
//   keyless run --as <web app resource id> -- node examples/orders/app.mjs
//
// `keyless run` gives it IDENTITY_ENDPOINT and IDENTITY_HEADER (the App Service protocol, which
// DefaultAzureCredential and ManagedIdentityCredential detect) and NODE_EXTRA_CA_CERTS (Keyless's
// CA). Where things are comes from the environment; none of it is secret:
//
//   ORDERS_VAULT_URL    the vault's `properties.vaultUri` (ARM), e.g. https://orders-kv.vault.keyless.localhost:41234/
//   ORDERS_BLOB_URL     the account's `properties.primaryEndpoints.blob`, i.e. <blobEndpoint>/<account>
//   ORDERS_QUEUE_URL    the account's `properties.primaryEndpoints.queue`, i.e. <queueEndpoint>/<account>
//   ORDERS_SERVICE_URL  the orders service (service.mjs), e.g. http://127.0.0.1:8080
//
// Each pass prints one JSON line, one entry per step: {"ok":true,"vault":{"ok":true,...},...}, or
// {"ok":false,"vault":{"ok":false,"status":403,"code":"ForbiddenByRbac",...},...}.
// The exit code is 0 when the pass succeeded. `--every <ms>` repeats passes until stopped.
/* global fetch */
import { Buffer } from 'node:buffer'
import { randomBytes, randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { DefaultAzureCredential } from '@azure/identity'
import { SecretClient } from '@azure/keyvault-secrets'
import { BlobServiceClient } from '@azure/storage-blob'
import { QueueServiceClient } from '@azure/storage-queue'

const { values: flags } = parseArgs({ options: { every: { type: 'string' } } })
const env = (name) => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}
const vaultUrl = env('ORDERS_VAULT_URL')
const blobUrl = env('ORDERS_BLOB_URL')
const queueUrl = env('ORDERS_QUEUE_URL')
const serviceUrl = env('ORDERS_SERVICE_URL').replace(/\/+$/, '')

// Finds the web app's managed identity through IDENTITY_ENDPOINT, as on App Service.
const credential = new DefaultAzureCredential()

// `keyless up` serves vaults by name (https://<vault>.vault.keyless.localhost:<port>/) and
// `keyless run` makes those names resolve, so SecretClient's challenge check passes as on Azure.
// With a vault's by-address URL (properties.vaultUriByAddress) it would need
// `disableChallengeResourceVerification: true` (docs/languages.md).
const secrets = new SecretClient(vaultUrl, credential, { retryOptions: { maxRetries: 0 } })
const blobs = new BlobServiceClient(blobUrl, credential, { retryOptions: { maxTries: 1 } })
const queues = new QueueServiceClient(queueUrl, credential, { retryOptions: { maxTries: 1 } })

const SECRET = 'orders-db-password'
const CONTAINER = 'orders'
const QUEUE = 'orders'

/** Reads the database password; the first run, with nothing there yet, generates it. */
async function readSecret() {
  try {
    const s = await secrets.getSecret(SECRET)
    return { name: SECRET, version: s.properties.version, created: false }
  } catch (e) {
    if (e.statusCode !== 404) throw e
    const s = await secrets.setSecret(SECRET, randomBytes(24).toString('base64url'))
    return { name: SECRET, version: s.properties.version, created: true }
  }
}

/** Writes the order as a blob and reads it back. */
async function storeOrder(order) {
  const container = blobs.getContainerClient(CONTAINER)
  await container.createIfNotExists()
  const body = JSON.stringify(order)
  const blob = container.getBlockBlobClient(`${order.id}.json`)
  await blob.upload(body, Buffer.byteLength(body), {
    blobHTTPHeaders: { blobContentType: 'application/json' },
  })
  const back = (await blob.downloadToBuffer()).toString('utf8')
  if (back !== body) throw new Error('the blob read back differs from the one written')
  return { container: CONTAINER, blob: blob.name, bytes: Buffer.byteLength(body) }
}

/** Puts the order on the queue for the worker. The app may put (Message Sender), not take. */
async function sendOrder(order) {
  const sent = await queues.getQueueClient(QUEUE).sendMessage(JSON.stringify(order))
  return { queue: QUEUE, order: order.id, messageId: sent.messageId }
}

/** Calls the orders service with a token for its audience. */
async function callService() {
  const { token } = await credential.getToken('api://orders/.default')
  const res = await fetch(`${serviceUrl}/orders`, { headers: { authorization: `Bearer ${token}` } })
  const body = await res.json().catch(() => ({}))
  if (res.status !== 200) {
    throw Object.assign(new Error(body.error?.message ?? `the service answered ${res.status}`), {
      statusCode: res.status,
      code: body.error?.code,
    })
  }
  return { status: res.status, caller: body.caller, orders: body.value.length }
}

/** An SDK error in a line: Key Vault's inner code (ForbiddenByRbac) or Storage's error code. */
function failure(e) {
  const inner = e.details?.error?.innerError?.code
  return {
    ok: false,
    status: e.statusCode,
    code: inner ?? e.details?.errorCode ?? e.code,
    message: String(e.message).split(/\r?\n/)[0],
  }
}

/** One pass: every step runs, whatever the others did. */
async function pass() {
  const result = { ok: true }
  const order = { id: randomUUID(), item: 'coffee', quantity: 2, at: new Date().toISOString() }
  for (const [step, run] of [
    ['vault', readSecret],
    ['blob', storeOrder],
    ['queue', sendOrder],
    ['service', callService],
  ]) {
    try {
      result[step] = { ok: true, ...(await run(order)) }
    } catch (e) {
      result[step] = failure(e)
      result.ok = false
    }
  }
  return result
}

const every = flags.every === undefined ? undefined : Number(flags.every)
for (;;) {
  const result = await pass()
  console.log(JSON.stringify(result))
  process.exitCode = result.ok ? 0 : 1
  if (every === undefined) break
  await sleep(every)
}
