// Ports chosen once per installation. With port 0 a listener takes a free port on its first
// start and the port is written to `<dataDir>/ports.json`; later starts ask for the same port,
// so the issuer (which contains it), the blob and queue endpoints and every cached token stay valid across
// restarts. An explicit port in the configuration always wins.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeSecretFile } from '../common/files.js'

export interface RememberedPorts {
  port?: number
  blobPort?: number
  queuePort?: number
}

const valid = (p: unknown): p is number =>
  typeof p === 'number' && Number.isInteger(p) && p > 0 && p < 65536

export function portsFile(dataDir: string): string {
  return join(dataDir, 'ports.json')
}

export function readPorts(dataDir: string): RememberedPorts {
  const file = portsFile(dataDir)
  if (!existsSync(file)) return {}
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    return {
      ...(valid(raw.port) && { port: raw.port }),
      ...(valid(raw.blobPort) && { blobPort: raw.blobPort }),
      ...(valid(raw.queuePort) && { queuePort: raw.queuePort }),
    }
  } catch {
    return {}
  }
}

/** The port to ask for: the configured one, else the remembered one, else 0 (any). */
export function choosePort(configured: number, remembered: number | undefined): number {
  return configured !== 0 ? configured : (remembered ?? 0)
}

export function rememberPorts(dataDir: string, ports: Required<RememberedPorts>): void {
  const current = readPorts(dataDir)
  if (
    current.port === ports.port &&
    current.blobPort === ports.blobPort &&
    current.queuePort === ports.queuePort
  )
    return
  writeSecretFile(portsFile(dataDir), JSON.stringify(ports) + '\n')
}
