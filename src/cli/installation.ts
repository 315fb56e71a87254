// Finding the Keyless to talk to: `--data-dir`, else `$KEYLESS_HOME`, else `./.keyless` (the
// same order `keyless up` uses), then its endpoints.json and the operator credential it names.
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { DEFAULTS } from '../server/defaults.js'
import type { Endpoints } from '../server/start.js'
import { CliError, EXIT } from './errors.js'

export interface AdminCredential {
  tenantId: string
  clientId: string
  clientSecret: string
}

export interface Installation {
  dataDir: string
  endpoints: Endpoints
  credential: AdminCredential
  /** PEM of the local CA that signed the server's certificate. */
  caPem: string
}

export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolve(flag ?? (env.KEYLESS_HOME || DEFAULTS.dataDir))
}

const START_HINT = 'run `keyless up` (or point at an installation with --data-dir or KEYLESS_HOME)'

function readJson(path: string, what: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'not found' : `unreadable (${code ?? 'error'})`
    throw new CliError(EXIT.unreachable, `${what}: ${path} ${reason}; ${START_HINT}`)
  }
  try {
    const value: unknown = JSON.parse(text)
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      return value as Record<string, unknown>
    }
  } catch {
    // reported below
  }
  throw new CliError(EXIT.unreachable, `${what}: ${path} is not a JSON object`)
}

function requireStrings<K extends string>(
  obj: Record<string, unknown>,
  keys: readonly K[],
  path: string,
): Record<K, string> {
  for (const k of keys) {
    if (typeof obj[k] !== 'string' || obj[k] === '') {
      throw new CliError(EXIT.unreachable, `${path} lacks '${k}'; ${START_HINT}`)
    }
  }
  return obj as Record<K, string>
}

const ENDPOINT_KEYS = [
  'tenantId',
  'subscriptionId',
  'authorityHost',
  'managementEndpoint',
  'caCertFile',
  'adminCredentialFile',
] as const

export function loadInstallation(dataDir: string): Installation {
  const file = join(dataDir, 'endpoints.json')
  const endpoints = requireStrings(
    readJson(file, 'cannot find Keyless'),
    ENDPOINT_KEYS,
    file,
  ) as unknown as Endpoints
  const credential = requireStrings(
    readJson(resolve(dataDir, endpoints.adminCredentialFile), 'the admin credential'),
    ['tenantId', 'clientId', 'clientSecret'],
    endpoints.adminCredentialFile,
  )
  let caPem: string
  try {
    caPem = readFileSync(resolve(dataDir, endpoints.caCertFile), 'utf8')
  } catch {
    throw new CliError(EXIT.unreachable, `the CA certificate ${endpoints.caCertFile} is unreadable`)
  }
  return { dataDir, endpoints, credential, caPem }
}
