// Baseline processes: a bare node:http server (optionally answering a fixed JSON body), started
// like Keyless on the server core, so Keyless's figures can be read against Node's own.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BareOptions } from './bare-server.js'
import { SERVER_CORE } from './cpu.js'
import { spawnUntilFile } from './keyless.js'

const BARE_SERVER = join(import.meta.dirname, 'bare-server.js')

/** `bodies`: the JSON body size to answer on each path; `options`: exact bodies, TLS. */
export async function startBareServer(bodies: Record<string, number>, options: BareOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-bench-bare-'))
  const portFile = join(dir, 'port')
  const optionsFile = join(dir, 'options.json')
  writeFileSync(optionsFile, JSON.stringify(options), { mode: 0o600 })
  const proc = await spawnUntilFile(
    process.execPath,
    [BARE_SERVER, JSON.stringify(bodies), portFile, optionsFile],
    portFile,
    { core: SERVER_CORE },
  )
  return {
    pid: proc.child.pid!,
    port: Number(readFileSync(portFile, 'utf8')),
    async dispose() {
      await proc.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
