// A PostgreSQL cluster of the test's own (initdb in a temporary directory, a free port), which
// the test may stop and start at will; the machine's shared server is never touched. initdb
// refuses to run as root, so as root (CI) the binaries run as the `postgres` user.
import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../helpers/free-port.js'

const BIN = process.env.KEYLESS_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin'

/** Why the cluster cannot be made here, or undefined when it can. */
export function privatePostgresUnavailable(): string | undefined {
  if (!existsSync(join(BIN, 'initdb')))
    return `no PostgreSQL binaries in ${BIN} (KEYLESS_TEST_PG_BIN)`
  if (userInfo().uid === 0) {
    try {
      execFileSync('id', ['postgres'], { stdio: 'ignore' })
    } catch {
      return 'running as root and there is no postgres user to run initdb as'
    }
  }
  return undefined
}

export interface PrivatePostgres {
  url: string
  stop(): void
  start(): void
  dispose(): void
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const asRoot = userInfo().uid === 0
  const dir = mkdtempSync(join(tmpdir(), 'klrel-pg-'))
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString())
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString())
    chownSync(dir, uid, gid)
  }
  const run = (tool: string, args: string[]) =>
    execFileSync(
      asRoot ? 'runuser' : join(BIN, tool),
      asRoot ? ['-u', 'postgres', '--', join(BIN, tool), ...args] : args,
      {
        stdio: 'pipe',
        timeout: 60_000,
      },
    )
  const data = join(dir, 'data')
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync'])
  const port = await freePort()
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on`
  const start = () =>
    run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start'])
  const stop = () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop'])
  start()
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    dispose() {
      try {
        stop()
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
