// Real local callers for the binding tests: node processes started under a given uid (root can
// setuid its children), making token requests exactly as a workload or an attacker would.
import { spawn, type ChildProcess } from 'node:child_process'

export const NOBODY = 65534

/** Makes `count` GETs of `url` one after the other; prints `[{status, body}]`. */
const REQUESTS = `
const http = require('node:http')
const [url, headers, count] = [process.argv[1], JSON.parse(process.argv[2]), Number(process.argv[3])]
const one = () => new Promise((resolve) => {
  http.get(url, { headers, agent: false }, (res) => {
    let body = ''
    res.on('data', (c) => (body += c))
    res.on('end', () => resolve({ status: res.statusCode, body }))
  }).on('error', (e) => resolve({ status: 0, body: e.message }))
})
;(async () => {
  const out = []
  for (let i = 0; i < count; i++) out.push(await one())
  process.stdout.write(JSON.stringify(out))
})()
`

export interface Reply {
  status: number
  body: string
}

const asUid = (uid: number | undefined) =>
  uid === undefined ? {} : { uid, gid: uid === NOBODY ? NOBODY : uid }

function collect(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()))
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(err || `exit ${code}`)),
    )
  })
}

/** `count` requests from a new process of `uid` (default: this process's uid). */
export async function requestAs(
  uid: number | undefined,
  url: string,
  headers: Record<string, string>,
  count = 1,
): Promise<Reply[]> {
  const child = spawn(
    process.execPath,
    ['-e', REQUESTS, url, JSON.stringify(headers), String(count)],
    {
      cwd: '/',
      stdio: ['ignore', 'pipe', 'pipe'],
      ...asUid(uid),
    },
  )
  return JSON.parse(await collect(child)) as Reply[]
}

/**
 * A long-lived process that makes a request when told (a line of JSON on stdin), itself or
 * through a child of its own: to bind a run to its tree before it calls.
 */
export function startWorkload() {
  const script = `
const { execFileSync } = require('node:child_process')
const readline = require('node:readline')
const rl = readline.createInterface({ input: process.stdin })
rl.on('line', (line) => {
  const { url, headers, via } = JSON.parse(line)
  const args = ['-e', ${JSON.stringify(REQUESTS)}, url, JSON.stringify(headers), '1']
  if (via === 'child') {
    process.stdout.write(execFileSync(process.execPath, args).toString() + '\\n')
  } else {
    const http = require('node:http')
    http.get(url, { headers, agent: false }, (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => process.stdout.write(JSON.stringify([{ status: res.statusCode, body }]) + '\\n'))
    })
  }
})
`
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] })
  let buffer = ''
  const waiting: Array<(r: Reply[]) => void> = []
  child.stdout.on('data', (c: Buffer) => {
    buffer += c.toString()
    let i
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i)
      buffer = buffer.slice(i + 1)
      waiting.shift()?.(JSON.parse(line) as Reply[])
    }
  })
  return {
    pid: child.pid!,
    request(url: string, headers: Record<string, string>, via: 'self' | 'child'): Promise<Reply[]> {
      return new Promise((resolve) => {
        waiting.push(resolve)
        child.stdin.write(JSON.stringify({ url, headers, via }) + '\n')
      })
    },
    stop: () => {
      child.kill()
    },
  }
}
