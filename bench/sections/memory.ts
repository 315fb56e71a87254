// 4. Memory: the resident set of `keyless up` idle after a warm-up (a token, a control-plane
// read, the JWKS), beside that of a bare node:http server started the same way.
import { setTimeout as sleep } from 'node:timers/promises'
import { join } from 'node:path'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { SERVER_CORE } from '../lib/cpu.js'
import { client, operatorToken, rssOf, spawnUntilFile } from '../lib/keyless.js'
import type { Context, Outcome, Section } from '../lib/section.js'
import { fmt, median } from '../lib/stats.js'

const MiB = 2 ** 20
const BARE =
  "const s=require('http').createServer().listen(0,()=>require('fs').writeFileSync(process.argv[1],'up'))"

/** Median of a few readings a little apart, after the process has settled. */
async function settledRss(pid: number): Promise<number> {
  await sleep(1500)
  const readings: number[] = []
  for (let i = 0; i < 5; i++) {
    readings.push(rssOf(pid) ?? NaN)
    await sleep(200)
  }
  return median(readings)
}

async function bareRss(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-bench-bare-'))
  const file = join(dir, 'up')
  const proc = await spawnUntilFile(process.execPath, ['-e', BARE, file], file, {
    core: SERVER_CORE,
  })
  try {
    return await settledRss(proc.child.pid!)
  } finally {
    await proc.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

export const memory: Section = {
  id: 'memory',
  title: '4. Memory',
  async run(ctx: Context): Promise<Outcome> {
    if (rssOf(process.pid) === undefined) {
      return { status: 'skipped', summary: 'needs /proc (Linux) to read resident set sizes' }
    }
    const k = await ctx.shared()
    const c = client(k)
    try {
      const token = await operatorToken(k, c)
      await c.send('GET', k.endpoints.jwksUri)
      await c.send(
        'GET',
        `${k.endpoints.managementEndpoint}/subscriptions/${k.endpoints.subscriptionId}?api-version=2022-12-01`,
        { authorization: `Bearer ${token}` },
      )
    } finally {
      c.close()
    }
    const keyless = await settledRss(k.pid)
    const bare = await bareRss()
    ctx.log(`idle RSS ${fmt(keyless / MiB, 1)} MiB vs bare node ${fmt(bare / MiB, 1)} MiB`)
    return {
      status: 'ok',
      summary:
        'VmRSS from /proc after a warm-up and 1.5 s idle (median of five readings). The ratio ' +
        'is Keyless over bare Node: what Keyless adds on top of the runtime.',
      rows: [
        {
          measure: '`keyless up` idle (SQLite)',
          value: `${fmt(keyless / MiB, 1)} MiB`,
          baseline: 'bare node:http server',
          baselineValue: `${fmt(bare / MiB, 1)} MiB`,
          ratio: keyless / bare,
        },
      ],
      notes: [
        'After the 1 M-assignment load: not available yet. It needs the RBAC API and a bulk ' +
          'path into the running server (a million assignments through ARM one at a time ' +
          'would not fit the 15-minute budget); add a row here, read the same way, when both exist.',
      ],
      data: { keylessRssBytes: keyless, bareRssBytes: bare },
    }
  },
}
