// The orders example for real: examples/orders/walkthrough.sh end to end, then the same steps
// driven from here to time what the script only shows — the real `keyless up`, the real binary,
// the Azure SDKs in app.mjs and worker.mjs (which hand orders over a queue, each under its own
// identity) and `keyless/verify` in service.mjs.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startKeyless, tempDataDir, type KeylessProcess } from '../../helpers/keyless.js'
import { operatorToken } from '../../helpers/tokens.js'
import { cliFor, ok, runCli } from '../cli/cli.config.js'
import {
  agentEndpoints,
  APP,
  armClient,
  cleanEnv,
  parseExports,
  parsePass,
  parseTaken,
  ROLES,
  SERVICE,
  startProgram,
  WALKTHROUGH,
  WORKER,
  type Pass,
  type Program,
} from './examples.config.js'

const AUTHZ_API = 'api-version=2022-04-01'
const same = (a: unknown, b: string) => String(a).toLowerCase() === b.toLowerCase()

describe('examples/orders/walkthrough.sh', () => {
  it('runs from keyless up to the run refused after its assignments are deleted', async () => {
    const home = tempDataDir()
    try {
      const child = spawn('bash', [WALKTHROUGH], {
        env: cleanEnv({ KEYLESS_HOME: home }),
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let out = ''
      child.stdout.on('data', (c: Buffer) => (out += c.toString()))
      child.stderr.on('data', (c: Buffer) => (out += c.toString()))
      const code = await new Promise<number | null>((r) => child.once('exit', r))
      assert.equal(code, 0, out)

      const passes = out
        .split('\n')
        .map(parsePass)
        .filter((p): p is Pass => p !== undefined)
      assert.equal(passes.length, 2, out)
      const [granted, refused] = passes as [Pass, Pass]
      assert.equal(granted.ok, true, out)
      assert.equal(granted.vault.created, true)
      // Step 7: the worker took the very order the app put, once.
      const taken = out.split('\n').flatMap((l) => parseTaken(l) ?? [])
      assert.deepEqual(
        taken.map((t) => [t.id, t.dequeueCount]),
        [[granted.queue.order, 1]],
        out,
      )
      assert.match(out, /AuthorizationPermissionMismatch[\s\S]*the worker may not put, as expected/)
      assert.match(
        String(granted.service.caller),
        /\/providers\/Microsoft\.Web\/sites\/orders-app$/i,
      )
      assert.equal(refused.ok, false)
      assert.deepEqual(
        [refused.vault.status, refused.vault.code, refused.blob.status, refused.blob.code],
        [403, 'ForbiddenByRbac', 403, 'AuthorizationPermissionMismatch'],
      )
      // Step 8: a token of the app for another audience, sent to the service.
      assert.match(out, /"code":"ERR_KEYLESS_TOKEN_AUDIENCE"/)
      assert.match(out, /refused, as expected/)
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
  })
})

describe('the orders example, step by step', () => {
  let k: KeylessProcess
  let cli: ReturnType<typeof cliFor>
  let endpoints: Record<string, string>
  let service: Program | undefined
  let worker: Program | undefined
  let looping: Program | undefined
  const s = {} as {
    app: { id: string; principalId: string }
    api: { id: string; principalId: string }
    worker: { id: string; principalId: string }
    vaultUrl: string
    blobUrl: string
    queueUrl: string
    serviceUrl: string
    assignments: Record<'vault' | 'blob' | 'orders', string>
  }

  const webapp = async (name: string) => {
    const site = ok(
      await cli('webapp', 'create', name, '-g', 'orders-rg', '--assign-identity', 'system'),
    ).json()
    return { id: site.id as string, principalId: site.identity.principalId as string }
  }
  const assign = async (principalId: string, role: string, scope: string) =>
    ok(
      await cli(
        'role',
        'assignment',
        'create',
        '--assignee',
        principalId,
        '--role',
        role,
        '--scope',
        scope,
      ),
    ).json().id as string

  /** app.mjs under `keyless run --as orders-app`, as a user starts it. */
  const runApp = (...args: string[]) =>
    startProgram(
      ['run', '--data-dir', k.dataDir, '--as', s.app.id, '--', process.execPath, APP, ...args],
      cleanEnv({
        ORDERS_VAULT_URL: s.vaultUrl,
        ORDERS_BLOB_URL: s.blobUrl,
        ORDERS_QUEUE_URL: s.queueUrl,
        ORDERS_SERVICE_URL: s.serviceUrl,
      }),
    )

  before(async () => {
    k = await startKeyless()
    endpoints = await agentEndpoints(k)
    cli = cliFor(k.dataDir)
    const arm = armClient(k, await operatorToken(k))
    ok(await cli('group', 'create', 'orders-rg'))
    const rg = `/subscriptions/${k.endpoints.subscriptionId}/resourceGroups/orders-rg`
    s.app = await webapp('orders-app')
    s.api = await webapp('orders-api')
    s.worker = await webapp('orders-worker')
    const vault = (
      await arm(
        'PUT',
        `${rg}/providers/Microsoft.KeyVault/vaults/orders-kv?api-version=2023-07-01`,
        {
          location: 'eastus',
          properties: {
            tenantId: k.endpoints.tenantId,
            sku: { family: 'A', name: 'standard' },
            enableRbacAuthorization: true,
          },
        },
      )
    ).json()
    const account = (
      await arm(
        'PUT',
        `${rg}/providers/Microsoft.Storage/storageAccounts/ordersdata?api-version=2023-05-01`,
        { location: 'eastus', kind: 'StorageV2', sku: { name: 'Standard_LRS' } },
      )
    ).json()
    s.vaultUrl = vault.properties.vaultUri
    s.blobUrl = account.properties.primaryEndpoints.blob
    assert.equal(s.blobUrl, `${endpoints.blobEndpoint}/ordersdata/`)
    s.queueUrl = account.properties.primaryEndpoints.queue
    assert.equal(s.queueUrl, `${endpoints.queueEndpoint}/ordersdata/`)
    ok(await cli('storage', 'queue', 'create', '--account-name', 'ordersdata', '-n', 'orders'))

    const roleFile = join(k.dataDir, 'orders-reader.json')
    writeFileSync(
      roleFile,
      JSON.stringify({
        Name: 'Orders Reader',
        Actions: ['Contoso.Orders/orders/read'],
        AssignableScopes: [rg],
      }),
    )
    ok(await cli('role', 'definition', 'create', '--file', roleFile))
    s.assignments = {
      vault: await assign(s.app.principalId, ROLES.secretsOfficer, vault.id),
      blob: await assign(s.app.principalId, ROLES.blobContributor, account.id),
      orders: await assign(s.app.principalId, 'Orders Reader', s.api.id),
    }
    await assign(s.app.principalId, ROLES.queueSender, account.id)
    await assign(s.worker.principalId, ROLES.queueProcessor, account.id)
    await assign(s.api.principalId, ROLES.reader, s.api.id)

    service = startProgram(
      ['run', '--data-dir', k.dataDir, '--as', s.api.id, '--', process.execPath, SERVICE],
      cleanEnv({ PORT: '0', ORDERS_SCOPE: s.api.id, KEYLESS_HOME: k.dataDir }),
    )
    const listening = await service.waitFor((l) => l.startsWith('listening '))
    s.serviceUrl = listening.text.slice('listening '.length)
    worker = startProgram(
      ['run', '--data-dir', k.dataDir, '--as', s.worker.id, '--', process.execPath, WORKER],
      cleanEnv({ ORDERS_QUEUE_URL: s.queueUrl, KEYLESS_HOME: k.dataDir }),
    )
  })

  after(async () => {
    await looping?.stop()
    await worker?.stop()
    await service?.stop()
    await k?.dispose()
  })

  it('reads its secret, stores an order and is served by the orders service', async () => {
    const run = runApp()
    assert.equal(await run.exited, 0, run.output())
    const pass = parsePass(run.lines.at(-1)!.text)!
    assert.equal(pass.ok, true, run.output())
    assert.equal(pass.vault.name, 'orders-db-password')
    assert.equal(pass.vault.created, true)
    assert.equal(pass.blob.container, 'orders')
    assert.ok(Number(pass.blob.bytes) > 0)
    assert.ok(same(pass.service.caller, s.app.id), String(pass.service.caller))
    assert.equal(pass.service.orders, 2)
    assert.equal(pass.queue.queue, 'orders')

    const again = runApp()
    assert.equal(await again.exited, 0, again.output())
    assert.equal(parsePass(again.lines.at(-1)!.text)!.vault.created, false)
  })

  it('hands each order to the worker through the queue, each identity doing its own part only', async () => {
    const run = runApp()
    assert.equal(await run.exited, 0, run.output())
    const pass = parsePass(run.lines.at(-1)!.text)!
    const line = await worker!.waitFor((l) => parseTaken(l)?.id === pass.queue.order)
    assert.deepEqual(parseTaken(line.text), {
      id: pass.queue.order,
      item: 'coffee',
      quantity: 2,
      dequeueCount: 1,
    })
    // The worker took every order there was: none is left for another taker.
    const left = ok(
      await cli(
        'storage',
        'message',
        'get',
        '--account-name',
        'ordersdata',
        '-q',
        'orders',
        '--as',
        s.worker.id,
      ),
    ).json()
    assert.deepEqual(left, [])
    // The app may put but not take; the worker may take but not put.
    const denied = /AuthorizationPermissionMismatch/
    const as = (id: string, ...args: string[]) =>
      cli('storage', 'message', ...args, '--account-name', 'ordersdata', '-q', 'orders', '--as', id)
    const take = await as(s.app.id, 'get')
    assert.equal(take.code, 1)
    assert.match(take.stderr, denied)
    const put = await as(s.worker.id, 'put', '--content', 'forged')
    assert.equal(put.code, 1)
    assert.match(put.stderr, denied)
  })

  it("accepts the app's token for api://orders and refuses one for another audience", async () => {
    const env = ok(
      await runCli(['env', '--data-dir', k.dataDir, '--as', s.app.id], cleanEnv()),
    ).stdout
    const vars = parseExports(env)
    const tokenFor = async (resource: string) => {
      const url = new URL(vars.IDENTITY_ENDPOINT!)
      url.searchParams.set('resource', resource)
      url.searchParams.set('api-version', '2019-08-01')
      const res = await fetch(url, { headers: { 'X-IDENTITY-HEADER': vars.IDENTITY_HEADER! } })
      assert.equal(res.status, 200)
      return ((await res.json()) as { access_token: string }).access_token
    }
    const orders = (token?: string) =>
      fetch(`${s.serviceUrl}/orders`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      })

    const accepted = await orders(await tokenFor('api://orders'))
    assert.equal(accepted.status, 200)
    const body = (await accepted.json()) as { caller: string; value: unknown[] }
    assert.ok(same(body.caller, s.app.id), body.caller)

    const other = await orders(await tokenFor('https://vault.azure.net'))
    assert.equal(other.status, 401)
    assert.equal(((await other.json()) as any).error.code, 'ERR_KEYLESS_TOKEN_AUDIENCE')
    assert.match(other.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/)

    const none = await orders()
    assert.equal(none.status, 401)
    assert.equal(((await none.json()) as any).error.code, 'ERR_KEYLESS_TOKEN_MISSING')
  })

  it('refuses the running workload within a second of its assignments being deleted', async (t) => {
    looping = runApp('--every', '20')
    await looping.waitFor((l) => parsePass(l)?.ok === true)
    const arm = armClient(k, await operatorToken(k))
    const from = looping.lines.length
    const t0 = Date.now()
    await Promise.all([
      arm('DELETE', `${s.assignments.vault}?${AUTHZ_API}`),
      arm('DELETE', `${s.assignments.blob}?${AUTHZ_API}`),
    ])
    const vault = await looping.waitFor((l) => parsePass(l)?.vault.status === 403, 5_000, from)
    const blob = await looping.waitFor((l) => parsePass(l)?.blob.status === 403, 5_000, from)
    t.diagnostic(`vault refused after ${vault.at - t0} ms, blob after ${blob.at - t0} ms`)
    const refusedVault = parsePass(vault.text)!.vault
    const refusedBlob = parsePass(blob.text)!.blob
    assert.deepEqual(
      [refusedVault.code, refusedBlob.code],
      ['ForbiddenByRbac', 'AuthorizationPermissionMismatch'],
    )
    assert.ok(vault.at - t0 <= 1_000, `vault refused after ${vault.at - t0} ms`)
    assert.ok(blob.at - t0 <= 1_000, `blob refused after ${blob.at - t0} ms`)
    // The service still serves the app: its Orders Reader assignment stands.
    assert.equal(parsePass(blob.text)!.service.ok, true)
  })

  it('refuses the caller at the service once its Orders Reader assignment is deleted', async (t) => {
    const arm = armClient(k, await operatorToken(k))
    const from = looping!.lines.length
    const t0 = Date.now()
    await arm('DELETE', `${s.assignments.orders}?${AUTHZ_API}`)
    const refused = await looping!.waitFor((l) => parsePass(l)?.service.status === 403, 5_000, from)
    t.diagnostic(`service refused after ${refused.at - t0} ms`)
    assert.equal(parsePass(refused.text)!.service.code, 'AuthorizationFailed')
    // The service's authorizer caches a decision for a second.
    assert.ok(refused.at - t0 <= 2_000, `service refused after ${refused.at - t0} ms`)
  })
})
