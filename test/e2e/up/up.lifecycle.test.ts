// Running, restarting and stopping `keyless up` as an operator does (issue 10): one instance per
// data directory, the same addresses after a restart, a bounded shutdown whatever its stdout,
// endpoints.json only while it runs, private files, and `keyless status`.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { request } from 'node:https'
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { BIN, startKeyless, tempDataDir, type KeylessProcess } from '../../helpers/keyless.js'
import { arm } from '../../helpers/arm.js'
import { operatorToken } from '../../helpers/tokens.js'
import { https } from '../../helpers/https.js'

const exec = promisify(execFile)

async function keyless(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args])
    return { code: 0, stdout, stderr }
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string }
    return { code: err.code, stdout: err.stdout, stderr: err.stderr }
  }
}

/** Every file under dir with its size and mtime, except the database's own WAL files, which
 * the running instance itself writes to. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (/keyless\.db-(wal|shm)$|keyless\.log$|lock-journal$/.test(f)) continue
    const st = statSync(join(dir, f))
    if (st.isFile()) out[f] = `${st.size} ${st.mtimeMs} ${readFileSync(join(dir, f), 'base64')}`
  }
  return out
}

const SUBSCRIPTION_PATH = (k: KeylessProcess) =>
  `/subscriptions/${k.endpoints.subscriptionId}/resourcegroups?api-version=2021-04-01`

describe('keyless up on one data directory', () => {
  it('refuses a second start at once, naming the running pid and URL, and changes nothing', async () => {
    const k = await startKeyless()
    try {
      const before = snapshot(k.dataDir)
      const t0 = Date.now()
      const second = await keyless(['up', '--data-dir', k.dataDir, '--port', '0'])
      assert.equal(second.code, 1, second.stderr)
      assert.ok(Date.now() - t0 < 15_000)
      assert.match(second.stderr, new RegExp(`in use by Keyless pid ${k.child.pid}`))
      assert.ok(second.stderr.includes(k.endpoints.authorityHost), second.stderr)
      assert.deepEqual(snapshot(k.dataDir), before)
      const ready = await https(`${k.endpoints.authorityHost}/readyz`, { ca: k.ca })
      assert.equal(ready.status, 200)
    } finally {
      await k.dispose()
    }
  })

  it('keeps its issuer and ports across restarts with --port 0, so earlier tokens stay valid', async () => {
    const first = await startKeyless()
    const token = await operatorToken(first)
    const before = await arm(first, token)('GET', SUBSCRIPTION_PATH(first))
    assert.equal(before.status, 200, before.text)
    assert.equal(await first.stop(), 0)
    const again = await startKeyless({ dataDir: first.dataDir })
    try {
      for (const key of ['issuer', 'authorityHost', 'blobEndpoint', 'vaultEndpoint'] as const) {
        assert.equal(again.endpoints[key], first.endpoints[key], key)
      }
      // The token was issued by the first process and is validated by the second.
      const after = await arm(again, token)('GET', SUBSCRIPTION_PATH(again))
      assert.equal(after.status, 200, after.text)
    } finally {
      await again.dispose()
    }
  })

  it('publishes endpoints.json with its pid while running and removes it on a clean stop', async () => {
    const k = await startKeyless({ args: ['--log-level', 'info'] })
    const file = join(k.dataDir, 'endpoints.json')
    try {
      assert.equal(k.endpoints.pid, k.child.pid)
      assert.equal((await https(`${k.endpoints.authorityHost}/healthz`, { ca: k.ca })).status, 200)
      const ready = await https(`${k.endpoints.authorityHost}/readyz`, { ca: k.ca })
      assert.deepEqual(ready.json(), { status: 'ready' })
      await waitFor(() => /keyless: ready at https:\/\//.test(k.output()))
      const status = await keyless(['status', '--data-dir', k.dataDir])
      assert.equal(status.code, 0, status.stdout + status.stderr)
      assert.match(status.stdout, /ok +server/)
      assert.match(status.stdout, /ok +store/)
      assert.match(status.stdout, /ok +agent/)
      // Requests are logged to the data directory as JSON lines, not to the terminal.
      await arm(k, await operatorToken(k))('GET', SUBSCRIPTION_PATH(k))
      assert.doesNotMatch(k.output(), /"reqId"/)
    } finally {
      assert.equal(await k.stop(), 0)
    }
    assert.equal(existsSync(file), false)
    const lines = readFileSync(join(k.dataDir, 'keyless.log'), 'utf8').trim().split('\n')
    assert.ok(lines.length > 0)
    for (const line of lines) JSON.parse(line)
    assert.ok(lines.some((l) => l.includes('"reqId"')))
    const down = await keyless(['status', '--data-dir', k.dataDir])
    assert.equal(down.code, 4)
    assert.match(down.stdout, /not running/)
  })

  it('reports a stale endpoints.json after kill -9 as not running, and the next start takes over', async () => {
    const k = await startKeyless()
    k.child.kill('SIGKILL')
    await k.stop()
    const status = await keyless(['status', '--data-dir', k.dataDir])
    assert.equal(status.code, 4)
    assert.match(status.stdout, /has exited/)
    const again = await startKeyless({ dataDir: k.dataDir })
    try {
      assert.equal(again.endpoints.issuer, k.endpoints.issuer)
    } finally {
      await again.dispose()
    }
  })

  it('creates every state and key file 0600 and forces a pre-created 0755 directory to 0700', async () => {
    const dataDir = join(tempDataDir(), 'home')
    mkdirSync(dataDir, { mode: 0o755 })
    chmodSync(dataDir, 0o755)
    const k = await startKeyless({ dataDir })
    try {
      assert.equal(statSync(dataDir).mode & 0o777, 0o700)
      const files = readdirSync(dataDir, { recursive: true, encoding: 'utf8' })
      const checked = files.filter((f) => statSync(join(dataDir, f)).isFile())
      assert.ok(checked.includes('keyless.db') && checked.includes('master.key'))
      for (const f of checked) {
        // Certificates are public by nature; everything else is private.
        if (/\.crt$|ca-bundle/.test(f)) continue
        assert.equal(statSync(join(dataDir, f)).mode & 0o077, 0, `${f} is readable by others`)
      }
    } finally {
      await k.dispose()
    }
  })
})

describe('keyless up shutdown', () => {
  it('ends within 5 s on SIGTERM after the reader of its stdout and stderr has gone', async () => {
    const k = await startKeyless()
    k.child.stdout!.destroy()
    k.child.stderr!.destroy()
    await sleep(200)
    const t0 = Date.now()
    const code = await k.stop('SIGTERM')
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`)
    assert.equal(code, 0)
    await k.dispose()
  })

  it('lets a request in flight finish, and ends within 5 s even when one never does', async () => {
    const k = await startKeyless()
    try {
      const open = await slowPut(k)
      const body = JSON.stringify({ location: 'local' })
      const finishing = open(Buffer.byteLength(body))
      const hanging = open(1000)
      finishing.req.write(body.slice(0, 5))
      hanging.req.write('{')
      hanging.answer.catch(() => undefined)
      await sleep(300)
      const t0 = Date.now()
      const exited = k.stop('SIGTERM')
      await sleep(500)
      finishing.req.end(body.slice(5))
      assert.ok([200, 201].includes(await finishing.answer))
      await exited
      assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`)
    } finally {
      await k.dispose()
    }
  })

  it('exits at once on a second signal', async () => {
    const k = await startKeyless()
    try {
      const hanging = (await slowPut(k))(1000)
      hanging.answer.catch(() => undefined)
      hanging.req.write('{')
      await sleep(300)
      k.child.kill('SIGTERM')
      await sleep(300)
      const t0 = Date.now()
      const code = await k.stop('SIGINT')
      assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`)
      assert.equal(code, 1)
    } finally {
      await k.dispose()
    }
  })
})

/** Opens PUTs of a resource group whose bodies the test sends when it chooses. */
async function slowPut(k: KeylessProcess) {
  const token = await operatorToken(k)
  const url = new URL(
    `${k.endpoints.managementEndpoint}/subscriptions/${k.endpoints.subscriptionId}/resourcegroups/rg-grace?api-version=2021-04-01`,
  )
  return (length: number) => {
    const req = request(url, {
      method: 'PUT',
      ca: k.ca,
      agent: false,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'content-length': String(length),
      },
    })
    const answer = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
    })
    return { req, answer }
  }
}

async function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(50)
  }
}
