// 9. Storage queues: one message's whole life, put + get + delete (three requests, each
// waiting for the last), on `keyless up`'s queue endpoint over 16 keep-alive HTTPS connections,
// beside a bare node:https server on the same core answering the same three requests with
// bodies of the same shape, alternated in slices. Keyless's cycle also verifies the token
// (cached), checks RBAC three times, and commits three transactions (insert, claim, delete).
import { performance } from 'node:perf_hooks'
import { createCertificateAuthority, issueCertificate, LOCAL_NAMES } from '../../src/common/pki.js'
import { startBareServer } from '../lib/bare.js'
import { armClient, client, operatorToken, type Client, type Keyless } from '../lib/keyless.js'
import { pairedSlices } from '../lib/paired.js'
import type { Context, Outcome, Section } from '../lib/section.js'
import { fmt, sig } from '../lib/stats.js'
import { assignRole, oidOf, rbacAnswers } from '../lib/vault.js'

const QUEUE_CONTRIBUTOR = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
const STORAGE_SCOPE = 'https://storage.azure.com/.default'
const CONNECTIONS = 16
const BODY = '<QueueMessage><MessageText>order 42: two boxes</MessageText></QueueMessage>'

interface Target {
  /** `https://host:port/<account>/<queue>/messages` */
  messages: string
  headers: Record<string, string>
}

/** A queue the operator may use, on `keyless up`. */
async function queueTarget(k: Keyless, c: Client): Promise<Target | { reason: string }> {
  const queueEndpoint = (k.endpoints as Record<string, unknown>).queueEndpoint
  if (typeof queueEndpoint !== 'string') return { reason: 'endpoints.json names no queueEndpoint' }
  const operator = await operatorToken(k, c)
  const arm = armClient(k, c, operator)
  const rg = `/subscriptions/${k.endpoints.subscriptionId}/resourceGroups/bench-queues`
  await arm('PUT', `${rg}?api-version=2025-04-01`, { location: 'eastus' })
  if (!(await rbacAnswers(k, arm, rg))) return { reason: 'the RBAC API does not answer' }
  const account = `benchq${Date.now() % 100_000}`
  const id = `${rg}/providers/Microsoft.Storage/storageAccounts/${account}`
  await arm('PUT', `${id}?api-version=2023-05-01`, {
    location: 'eastus',
    kind: 'StorageV2',
    sku: { name: 'Standard_LRS' },
  })
  await assignRole(arm, k, id, QUEUE_CONTRIBUTOR, oidOf(operator))
  const token = await operatorToken(k, c, STORAGE_SCOPE)
  const headers = { authorization: `Bearer ${token}`, 'x-ms-version': '2026-04-06' }
  // The assignment reaches the RBAC index through the change feed: retry briefly.
  const deadline = Date.now() + 10_000
  for (;;) {
    const res = await c.send('PUT', `${queueEndpoint}/${account}/bench`, headers)
    if (res.status === 201) break
    if (Date.now() > deadline) throw new Error(`create queue: ${res.status} ${res.text}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  return { messages: `${queueEndpoint}/${account}/bench/messages`, headers }
}

/** One message's life; throws on a failed answer (the bare server answers each with 200). */
async function cycle(c: Client, t: Target): Promise<void> {
  const put = await c.send('POST', t.messages, t.headers, BODY)
  if (put.status >= 300) throw new Error(`put: ${put.status} ${put.text}`)
  const got = await c.send('GET', t.messages, t.headers)
  const id = /<MessageId>([^<]+)/.exec(got.text)?.[1]
  const receipt = /<PopReceipt>([^<]+)/.exec(got.text)?.[1]
  if (got.status !== 200 || !id || !receipt) throw new Error(`get: ${got.status} ${got.text}`)
  const del = await c.send(
    'DELETE',
    `${t.messages}/${id}?popreceipt=${encodeURIComponent(receipt)}`,
    t.headers,
  )
  if (del.status >= 300) throw new Error(`delete: ${del.status} ${del.text}`)
}

/** `CONNECTIONS` workers running cycles for `ms`; cycles completed and their latencies. */
async function slice(c: Client, t: Target, ms: number) {
  const start = performance.now()
  const samplesMs: number[] = []
  const worker = async () => {
    while (performance.now() - start < ms) {
      const t0 = performance.now()
      await cycle(c, t)
      samplesMs.push(performance.now() - t0)
    }
  }
  await Promise.all(Array.from({ length: CONNECTIONS }, worker))
  return { ops: samplesMs.length, ms: performance.now() - start, samplesMs }
}

/** A bare node:https server answering the put/get XML at the messages path (and `{}` at the
 * message's), with a fresh certificate. */
async function startBareQueue(messages: URL, sample: string) {
  const now = Date.now()
  const ca = await createCertificateAuthority('bench bare CA', {
    now,
    validityDays: 1,
    permitted: LOCAL_NAMES,
  })
  const leaf = await issueCertificate(ca, {
    now,
    validityDays: 1,
    commonName: 'bench bare queue',
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  })
  const server = await startBareServer(
    {},
    {
      exact: { [messages.pathname]: sample },
      tls: { certPem: leaf.certPem, keyPem: leaf.keyPem! },
    },
  )
  return { ...server, ca: ca.certPem }
}

export const queues: Section = {
  id: 'queues',
  title: '10. Storage queues',
  async run(ctx: Context): Promise<Outcome> {
    const k = await ctx.shared()
    const c = client(k)
    try {
      const target = await queueTarget(k, c)
      if ('reason' in target) return { status: 'unavailable', summary: target.reason }
      const url = new URL(target.messages)
      // The bare server answers every request with a Get Messages body of Keyless's own.
      await c.send('POST', target.messages, target.headers, BODY)
      const sample = (await c.send('GET', `${target.messages}?peekonly=true`, target.headers)).text
      await c.send('DELETE', target.messages, target.headers)
      const bare = await startBareQueue(
        url,
        sample.replace(/<MessageId>/, '<PopReceipt>AAAA</PopReceipt><MessageId>'),
      )
      const bareClient = client({ ca: bare.ca })
      const bareTarget = { messages: `https://127.0.0.1:${bare.port}${url.pathname}`, headers: {} }
      try {
        const sliceMs = ctx.quick ? 400 : 800
        const result = await pairedSlices({
          rounds: ctx.rounds,
          slicesPerRound: 2,
          warmupMs: ctx.quick ? 800 : 1500,
          subject: () => slice(c, target, sliceMs),
          baseline: () => slice(bareClient, bareTarget, sliceMs),
        })
        ctx.log(
          `queue put+get+delete: ${fmt(result.subject)}/s vs bare ${fmt(result.baseline)}/s → ${fmt(result.ratio, 2)}`,
        )
        const l = result.latencyMs
        return {
          status: 'ok',
          rows: [
            {
              measure: `queue message put + get + delete (${CONNECTIONS} connections, SQLite)`,
              value: `${fmt(result.subject)} msg/s`,
              latency: l ? `${sig(l.p50)} / ${sig(l.p99)} ms` : '',
              baseline: 'bare node:https, the same three requests, on the server core',
              baselineValue: `${fmt(result.baseline)} /s`,
              ratio: result.ratio,
            },
          ],
          data: result,
        }
      } finally {
        bareClient.close()
        await bare.dispose()
      }
    } finally {
      c.close()
    }
  },
}
