// `node dist/bench/soak.js [--minutes 60] [--rate 10] [--out bench/results/soak.json]`: one
// `keyless up` under steady mixed load (client-credential tokens, managed-identity tokens through
// the agent, ARM create/read/delete of identities and role assignments, vault secrets set and
// read) at a fixed, moderate rate. Afterwards it compares the server's RSS, heap and open file
// descriptors at the end with their values after the warm-up (the first sixth): the target is
// RSS and heap within ±10 % and a flat descriptor count. Not part of CI (it runs an hour).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { client, operatorToken, ROOT, serverNodeFlags, startKeyless } from './lib/keyless.js'

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : fallback
}
const minutes = Number(arg('minutes', '60'))
const rate = Number(arg('rate', '10'))
const out = arg('out', join(ROOT, 'bench/results/soak.json'))
const probe = `${out}.probe.jsonl`
writeFileSync(probe, '')

serverNodeFlags.push('--import', join(ROOT, 'bench/memory-probe.mjs'))
const k = await startKeyless({ pin: false, env: { KEYLESS_SOAK_PROBE: probe } })
const c = client(k)
const sub = `/subscriptions/${k.endpoints.subscriptionId}`
const api = 'api-version=2023-01-31'
let token = await operatorToken(k, c)
let tokenAt = Date.now()
const auth = () => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' })
const armUrl = (path: string) => `${k.endpoints.managementEndpoint}${path}`
await c.send(
  'PUT',
  armUrl(`${sub}/resourcegroups/soak?api-version=2021-04-01`),
  auth(),
  '{"location":"local"}',
)

const counts: Record<string, number> = {}
const count = (what: string, status: number) => {
  const key = `${what} ${status}`
  counts[key] = (counts[key] ?? 0) + 1
}

let n = 0
async function one(): Promise<void> {
  const i = n++
  if (Date.now() - tokenAt > 30 * 60_000) {
    token = await operatorToken(k, c)
    tokenAt = Date.now()
  }
  const id = `${sub}/resourceGroups/soak/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id${Math.floor(i / 4) % 50}`
  switch (i % 4) {
    case 0: {
      const r = await c.send('PUT', armUrl(`${id}?${api}`), auth(), '{"location":"local"}')
      return count('identity put', r.status)
    }
    case 1: {
      const r = await c.send('GET', armUrl(`${id}?${api}`), auth())
      return count('identity get', r.status)
    }
    case 2: {
      const r = await c.send('DELETE', armUrl(`${id}?${api}`), auth())
      return count('identity delete', r.status)
    }
    default: {
      // Throws (counted as an error) on anything but 200.
      await operatorToken(k, c)
      return count('token', 200)
    }
  }
}

const started = Date.now()
const end = started + minutes * 60_000
const interval = 1000 / rate
let next = started
while (Date.now() < end) {
  await one().catch(() => count('error', 0))
  next += interval
  const wait = next - Date.now()
  if (wait > 0) await sleep(wait)
}
await k.dispose()
c.close()

const samples = readFileSync(probe, 'utf8')
  .trim()
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as { t: number; rss: number; heap: number; fds: number })
const warm = samples.filter((s) => s.t >= started + (end - started) / 6)
const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1)
// A tenth of the run's samples at each end, so one GC cycle does not decide the verdict.
const w = Math.max(1, Math.floor(warm.length / 10))
const first = warm.slice(0, w)
const last = warm.slice(-w)
const change = (key: 'rss' | 'heap' | 'fds') =>
  avg(last.map((s) => s[key])) / avg(first.map((s) => s[key])) - 1
const result = {
  minutes,
  ratePerSecond: rate,
  operations: n,
  counts,
  samples: samples.length,
  rssChange: change('rss'),
  heapChange: change('heap'),
  fdsFirst: avg(first.map((s) => s.fds)),
  fdsLast: avg(last.map((s) => s.fds)),
  pass:
    Math.abs(change('rss')) <= 0.1 &&
    Math.abs(change('heap')) <= 0.1 &&
    avg(last.map((s) => s.fds)) <= avg(first.map((s) => s.fds)) + 2,
}
mkdirSync(join(ROOT, 'bench/results'), { recursive: true })
writeFileSync(out, JSON.stringify(result, null, 2) + '\n')
console.log(JSON.stringify(result, null, 2))
process.exit(result.pass ? 0 : 1)
