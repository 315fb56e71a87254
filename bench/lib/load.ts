// Drives the load generator (loadgen.ts), a process of its own on the load core, and builds the
// raw requests it sends. Large request lists travel through temporary files.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { track } from './children.js'
import { LOAD_CORE, pinned } from './cpu.js'
import type { Command, Slice, TargetSpec } from './loadgen.js'

export type { Slice }

const LOADGEN = join(import.meta.dirname, 'loadgen.js')

export function rawRequest(
  method: string,
  url: URL,
  headers: Record<string, string> = {},
  body?: string,
): string {
  const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`]
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`)
  if (body !== undefined) lines.push(`content-length: ${Buffer.byteLength(body)}`)
  return lines.join('\r\n') + '\r\n\r\n' + (body ?? '')
}

export interface Target extends Omit<TargetSpec, 'requestsFile'> {
  requests: string[]
}

export type Loadgen = Awaited<ReturnType<typeof startLoadgen>>

export async function startLoadgen() {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-bench-load-'))
  const [cmd, args] = pinned(LOAD_CORE, process.execPath, [LOADGEN])
  const child = track(spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
  let pending: ((m: any) => void) | undefined
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  child.on('message', (m) => {
    const p = pending
    pending = undefined
    p?.(m)
  })
  const next = () =>
    new Promise<any>((resolve, reject) => {
      pending = resolve
      exited.then(() => reject(new Error('the load generator exited')))
    })
  await next() // ready
  let queue = Promise.resolve<unknown>(undefined)
  let files = 0
  const ask = <T>(m: Command): Promise<T> => {
    const p = queue.then(async () => {
      const answer = next()
      child.send(m)
      const a = await answer
      if (a?.error) throw new Error(`load generator: ${a.error}`)
      return a as T
    })
    queue = p.catch(() => undefined)
    return p
  }
  const file = (requests: string[]) => {
    const f = join(dir, `requests-${files++}.json`)
    writeFileSync(f, JSON.stringify(requests))
    return f
  }
  return {
    open: async (id: string, t: Target) => {
      const { requests, ...spec } = t
      await ask({ cmd: 'open', id, spec: { ...spec, requestsFile: file(requests) } })
    },
    add: async (id: string, requests: string[]) => {
      await ask({ cmd: 'add', id, requestsFile: file(requests) })
    },
    /** Closes the connections of `id`. */
    drop: async (id: string) => {
      await ask({ cmd: 'drop', id })
    },
    /** Runs `id` for `ms`, or until each of its requests was sent once. */
    run: (id: string, ms?: number) =>
      ask<Slice>(ms === undefined ? { cmd: 'run', id } : { cmd: 'run', id, ms }),
    async close() {
      if (child.connected) child.send({ cmd: 'close' } satisfies Command)
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(t)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Sends every request once over `connections` and times the whole (the control plane). */
export async function loadOnce(t: Omit<Target, 'reuse'>): Promise<Slice> {
  const lg = await startLoadgen()
  try {
    await lg.open('once', { ...t, reuse: false })
    return await lg.run('once')
  } finally {
    await lg.close()
  }
}

/** The share of responses that were 2xx. */
export function successShare(s: Pick<Slice, 'statuses'>): number {
  let ok = 0
  let all = 0
  for (const [status, n] of Object.entries(s.statuses)) {
    all += n
    if (status.startsWith('2')) ok += n
  }
  return all === 0 ? 0 : ok / all
}
