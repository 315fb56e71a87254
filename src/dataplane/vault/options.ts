// What the vault service takes beyond the data-plane seam, its defaults, and the startup checks
// (a misuse is a TypeError at startup, STYLE §4).
import type { FastifyBaseLogger } from 'fastify'
import { urlHost } from '../../common/public-url.js'
import type { DataPlaneOptions } from '../options.js'

export interface VaultChangeEvent {
  kind: string
  /** The lower-cased resource id for `resource.*` events. */
  subject: string
  data: Record<string, unknown>
}

export interface VaultOptions {
  /** The server's TLS key and certificate. It must cover `host` (default 127.0.0.1), and with
   * `hostSuffix` also `*.<hostSuffix>`. */
  tls: { keyPem: string; certPem: string }
  /** Bind address of the listeners; default `127.0.0.1`. */
  host?: string
  /**
   * Serve every vault on one listener at `https://<vault>.<hostSuffix>:<port>/`, chosen by the
   * Host header, for machines where those names resolve. The challenge resource is then
   * `https://<hostSuffix>`, so clients pass Azure's challenge check unmodified. Without it each
   * vault gets its own listener at `https://127.0.0.1:<port>/`, and clients need
   * `disableChallengeResourceVerification: true`.
   */
  hostSuffix?: string
  /** Port of the single listener with `hostSuffix`; default 0 (a free port). */
  port?: number
  /** Soft-delete retention of vaults that do not set `softDeleteRetentionInDays`; default 90. */
  retentionDays?: number
  /** Follow vault creation and deletion from the change feed; without it, the directory is
   * polled every `pollIntervalMs`. */
  subscribe?: (listener: (event: VaultChangeEvent) => void) => () => void
  /** Default 1000 without `subscribe`, 30000 with it (a safety net). */
  pollIntervalMs?: number
  /** How often deleted secrets past their purge date are removed; default 60000. */
  pruneIntervalMs?: number
  logger?: FastifyBaseLogger
}

export type VaultServiceOptions = DataPlaneOptions & VaultOptions

export interface VaultSettings {
  host: string
  /** The host name in vault URLs: the bind address, or 127.0.0.1 for a wildcard bind. */
  urlHost: string
  hostSuffix?: string
  port: number
  retentionDays: number
  pollIntervalMs: number
  pruneIntervalMs: number
}

const SUFFIX =
  /^(?=.{1,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/

export function vaultSettings(o: VaultOptions): VaultSettings {
  if (typeof o.tls?.keyPem !== 'string' || typeof o.tls?.certPem !== 'string') {
    throw new TypeError('vault tls needs keyPem and certPem')
  }
  const hostSuffix = o.hostSuffix?.toLowerCase().replace(/^\.+|\.+$/g, '')
  if (hostSuffix !== undefined && !SUFFIX.test(hostSuffix)) {
    throw new TypeError(`vault hostSuffix '${o.hostSuffix}' is not a DNS name`)
  }
  const port = o.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError('vault port must be an integer from 0 to 65535')
  }
  const retentionDays = o.retentionDays ?? 90
  if (!Number.isInteger(retentionDays) || retentionDays < 7 || retentionDays > 90) {
    throw new TypeError('vault retentionDays must be an integer from 7 to 90')
  }
  const pollIntervalMs = o.pollIntervalMs ?? (o.subscribe ? 30_000 : 1000)
  const pruneIntervalMs = o.pruneIntervalMs ?? 60_000
  for (const [name, v] of [
    ['pollIntervalMs', pollIntervalMs],
    ['pruneIntervalMs', pruneIntervalMs],
  ] as const) {
    if (!Number.isInteger(v) || v < 10) throw new TypeError(`vault ${name} must be >= 10`)
  }
  const host = o.host ?? '127.0.0.1'
  return Object.freeze({
    host,
    urlHost: urlHost(host),
    ...(hostSuffix === undefined ? {} : { hostSuffix }),
    port,
    retentionDays,
    pollIntervalMs,
    pruneIntervalMs,
  })
}
