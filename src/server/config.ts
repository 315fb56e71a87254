// Configuration: defaults, then a JSON file, then the environment, then flags; flags win.
// The result is validated once and frozen; nothing below server/ and cli/ reads process.env.
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { DEFAULTS } from './defaults.js'

export type SigningAlgorithm = 'RS256' | 'ES256' | 'EdDSA'

export interface Config {
  readonly dataDir: string
  readonly host: string
  readonly port: number
  readonly databaseUrl?: string
  readonly signingAlgorithm: SigningAlgorithm
  readonly tokenLifetimeSeconds: number
  readonly appTokenLifetimeSeconds: number
  readonly keyRotation: {
    readonly intervalSeconds: number
    readonly prePublishSeconds: number
    readonly skewSeconds: number
  }
  readonly managementAudiences: readonly string[]
  readonly hostCertificateLifetimeSeconds: number
  readonly joinTokenLifetimeSeconds: number
  readonly logLevel: string
  /** Request log (JSON lines): default `<dataDir>/keyless.log`; `-` for stdout. */
  readonly logFile?: string
  readonly blobPort: number
  readonly blobMaxBytes: number
  readonly queuePort: number
  readonly vaultHostSuffix?: string
  readonly vaultPort: number
  readonly signInLog: boolean
  readonly logRetentionDays: number
  readonly maxFederatedCredentials: number
  readonly federation: FederationConfig
}

export interface FederationConfig {
  readonly privateIssuers: readonly string[]
  readonly fetchTimeoutSeconds: number
  readonly maxDocumentBytes: number
  readonly keysCacheSeconds: number
  readonly keysRefetchSeconds: number
  readonly clockSkewSeconds: number
  readonly maxAssertionLifetimeSeconds: number
  readonly publicIssuer: string | null
  readonly issuerAudiences: readonly string[]
}

export type ConfigInput = Partial<Omit<Config, 'keyRotation' | 'federation'>> & {
  keyRotation?: Partial<Config['keyRotation']>
  federation?: Partial<FederationConfig>
}

const KEYS = new Set(Object.keys(DEFAULTS))
/** The keys of each nested object: a layer's nested object is merged into the defaults' one. */
const NESTED: Record<string, Set<string>> = {
  keyRotation: new Set(Object.keys(DEFAULTS.keyRotation)),
  federation: new Set(Object.keys(DEFAULTS.federation)),
}
const ALGORITHMS = new Set(['RS256', 'ES256', 'EdDSA'])
const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])

function fail(message: string): never {
  throw new TypeError(`invalid configuration: ${message}`)
}

function checkUnknown(input: Record<string, unknown>, known: Set<string>, where: string) {
  for (const k of Object.keys(input)) if (!known.has(k)) fail(`unknown key '${k}' in ${where}`)
}

/** Reads `KEYLESS_*` variables. */
export function configFromEnv(env: NodeJS.ProcessEnv): ConfigInput {
  const out: { -readonly [K in keyof ConfigInput]: ConfigInput[K] } = {}
  if (env.KEYLESS_HOME) out.dataDir = env.KEYLESS_HOME
  if (env.KEYLESS_HOST) out.host = env.KEYLESS_HOST
  if (env.KEYLESS_PORT) out.port = Number(env.KEYLESS_PORT)
  if (env.KEYLESS_DATABASE_URL) out.databaseUrl = env.KEYLESS_DATABASE_URL
  if (env.KEYLESS_LOG_LEVEL) out.logLevel = env.KEYLESS_LOG_LEVEL
  if (env.KEYLESS_LOG_FILE) out.logFile = env.KEYLESS_LOG_FILE
  if (env.KEYLESS_SIGN_IN_LOG) out.signInLog = env.KEYLESS_SIGN_IN_LOG !== 'off'
  if (env.KEYLESS_LOG_RETENTION_DAYS) out.logRetentionDays = Number(env.KEYLESS_LOG_RETENTION_DAYS)
  if (env.KEYLESS_SIGNING_ALGORITHM)
    out.signingAlgorithm = env.KEYLESS_SIGNING_ALGORITHM as SigningAlgorithm
  return out
}

/** Reads a JSON config file; a missing default file is fine, a missing named file is not. */
export function configFromFile(path: string, required: boolean): ConfigInput {
  if (!existsSync(path)) {
    if (required) fail(`config file ${path} does not exist`)
    return {}
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    fail(`config file ${path} is not valid JSON (${(e as Error).message})`)
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    fail(`${path} must hold an object`)
  return parsed as ConfigInput
}

function positive(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
    fail(`${name} must be a positive number`)
  return v
}

export function resolveConfig(...layers: ConfigInput[]): Config {
  const merged: Record<string, unknown> = {
    ...DEFAULTS,
    keyRotation: { ...DEFAULTS.keyRotation },
    federation: { ...DEFAULTS.federation },
  }
  for (const layer of layers) {
    checkUnknown(layer as Record<string, unknown>, KEYS, 'configuration')
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue
      const nested = NESTED[k]
      if (nested) {
        if (!v || typeof v !== 'object' || Array.isArray(v)) fail(`${k} must be an object`)
        checkUnknown(v as Record<string, unknown>, nested, k)
        Object.assign(merged[k] as object, v)
      } else merged[k] = v
    }
  }
  const c = merged as unknown as Config
  if (typeof c.dataDir !== 'string' || !c.dataDir) fail('dataDir must be a path')
  if (!Number.isInteger(c.port) || c.port < 0 || c.port > 65535) fail('port must be 0–65535')
  if (!ALGORITHMS.has(c.signingAlgorithm))
    fail(`signingAlgorithm must be one of ${[...ALGORITHMS].join(', ')}`)
  if (!LEVELS.has(c.logLevel)) fail(`logLevel must be one of ${[...LEVELS].join(', ')}`)
  if (c.databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(c.databaseUrl)) {
    fail('databaseUrl must be a postgres:// URL')
  }
  for (const k of ['blobPort', 'queuePort', 'vaultPort'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 0 || c[k] > 65535) fail(`${k} must be 0–65535`)
  }
  if (!Number.isSafeInteger(c.blobMaxBytes) || c.blobMaxBytes < 1) {
    fail('blobMaxBytes must be a positive integer')
  }
  if (c.logFile !== undefined && (typeof c.logFile !== 'string' || c.logFile === '')) {
    fail('logFile must be a path or -')
  }
  if (c.vaultHostSuffix !== undefined && typeof c.vaultHostSuffix !== 'string') {
    fail('vaultHostSuffix must be a DNS name')
  }
  // "" turns off a default suffix (keyless up's): each vault on its own 127.0.0.1 listener.
  if (c.vaultHostSuffix === '') delete (c as { vaultHostSuffix?: string }).vaultHostSuffix
  if (typeof c.signInLog !== 'boolean') fail('signInLog must be true or false')
  positive('logRetentionDays', c.logRetentionDays)
  if (!Number.isSafeInteger(c.maxFederatedCredentials) || c.maxFederatedCredentials < 1) {
    fail('maxFederatedCredentials must be a positive integer')
  }
  positive('tokenLifetimeSeconds', c.tokenLifetimeSeconds)
  positive('appTokenLifetimeSeconds', c.appTokenLifetimeSeconds)
  positive('hostCertificateLifetimeSeconds', c.hostCertificateLifetimeSeconds)
  positive('joinTokenLifetimeSeconds', c.joinTokenLifetimeSeconds)
  for (const [k, v] of Object.entries(c.keyRotation)) positive(`keyRotation.${k}`, v)
  if (c.keyRotation.prePublishSeconds >= c.keyRotation.intervalSeconds) {
    fail('keyRotation.prePublishSeconds must be shorter than keyRotation.intervalSeconds')
  }
  if (
    !Array.isArray(c.managementAudiences) ||
    c.managementAudiences.some((a) => typeof a !== 'string')
  ) {
    fail('managementAudiences must be a list of strings')
  }
  checkFederation(c.federation)
  return Object.freeze({
    ...c,
    federation: Object.freeze({
      ...c.federation,
      privateIssuers: Object.freeze([...c.federation.privateIssuers]),
      issuerAudiences: Object.freeze([...c.federation.issuerAudiences]),
    }),
    dataDir: resolve(c.dataDir),
    ...(c.logFile !== undefined && c.logFile !== '-' && { logFile: resolve(c.logFile) }),
    keyRotation: Object.freeze({ ...c.keyRotation }),
    managementAudiences: Object.freeze([...c.managementAudiences]),
  })
}

function checkFederation(f: FederationConfig): void {
  if (!Array.isArray(f.privateIssuers) || f.privateIssuers.some((i) => typeof i !== 'string')) {
    fail('federation.privateIssuers must be a list of issuer URLs')
  }
  for (const issuer of f.privateIssuers) {
    if (!/^https:\/\//.test(issuer)) fail(`federation.privateIssuers: '${issuer}' is not https`)
  }
  for (const k of [
    'fetchTimeoutSeconds',
    'maxDocumentBytes',
    'keysCacheSeconds',
    'keysRefetchSeconds',
    'maxAssertionLifetimeSeconds',
  ] as const) {
    positive(`federation.${k}`, f[k])
  }
  if (typeof f.clockSkewSeconds !== 'number' || !(f.clockSkewSeconds >= 0)) {
    fail('federation.clockSkewSeconds must be a number of seconds')
  }
  if (f.publicIssuer !== null && !isPublicIssuerUrl(f.publicIssuer)) {
    fail('federation.publicIssuer must be an https URL without query or fragment, or null')
  }
  if (
    !Array.isArray(f.issuerAudiences) ||
    f.issuerAudiences.some((a) => typeof a !== 'string' || a === '')
  ) {
    fail('federation.issuerAudiences must be a list of audiences')
  }
}

function isPublicIssuerUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false
  try {
    const u = new URL(value)
    return u.protocol === 'https:' && !u.search && !u.hash && !u.username && !u.password
  } catch {
    return false
  }
}

/** Flags beat the environment, which beats the file (`<dataDir>/config.json` or `--config`). */
/** `base` sits between DEFAULTS and the file (keyless up's UP_DEFAULTS). */
export function loadConfig(
  flags: ConfigInput & { config?: string },
  env: NodeJS.ProcessEnv,
  base: ConfigInput = {},
): Config {
  const { config: file, ...flagLayer } = flags
  const envLayer = configFromEnv(env)
  const dataDir = flagLayer.dataDir ?? envLayer.dataDir ?? DEFAULTS.dataDir
  const fileLayer = configFromFile(file ?? join(dataDir, 'config.json'), file !== undefined)
  return resolveConfig(base, fileLayer, envLayer, flagLayer)
}
