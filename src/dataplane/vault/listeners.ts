// Which listener serves which vault, kept in step with the directory. By default every
// `Microsoft.KeyVault/vaults` resource gets its own HTTPS listener, because the SDK wants a vault
// at a host root and `<vault>.vault.localhost` names do not resolve everywhere; its port is
// remembered in the store so that the vault's URL survives a restart. With `hostSuffix`, one
// listener serves every vault by its Host header, `<vault>.<hostSuffix>` (its `vaultUri`), and
// each vault keeps its own listener too (`vaultUriByAddress`), for programs where the names do
// not resolve; `hostsFile` is kept listing every name for `keyless run`.
import { existsSync, readFileSync } from 'node:fs'
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify'
import { rewriteInPlace, writeFileAtomic } from '../../common/files.js'
import { KEY_VAULT_RESOURCE } from './authenticate.js'
import { vaultHostsFile } from './hosts-file.js'
import type { ResourceRow } from '../../store/schema.js'
import type { Store } from '../../store/store.js'
import type { VaultSettings } from './options.js'
import { KEY_VAULTS_TYPE_KEY, vaultTarget, type VaultTarget } from './vaults.js'

/** `resource` overrides the challenge resource (a by-address listener names Azure's own). */
export type BuildApp = (
  resolve: (request: FastifyRequest) => Promise<VaultTarget | undefined>,
  resource?: string,
) => Promise<FastifyInstance>

export interface ListenerDeps {
  store: Store
  settings: VaultSettings
  buildApp: BuildApp
  now: () => number
  log?: FastifyBaseLogger
  /** Where the shared listener's port is remembered when `settings.port` is 0 (hostSuffix
   * mode), so that vault URLs survive a restart there too. */
  sharedPortFile?: string
  /** With hostSuffix: the hosts file (machine's /etc/hosts plus every vault name) kept here. */
  hostsFile?: string
  /** The machine's hosts file the generated one starts from; default /etc/hosts. */
  systemHostsFile?: string
}

/** How long a deleted vault's listener keeps answering 404 before it closes. */
const RETIRE_GRACE_MS = 1000

function rememberedPort(file: string | undefined): number | undefined {
  if (file === undefined || !existsSync(file)) return undefined
  const port = Number(readFileSync(file, 'utf8').trim())
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined
}

export interface VaultListeners {
  /** Starts the shared listener (hostSuffix mode) and serves the vaults that exist now. */
  start(): Promise<void>
  stop(): Promise<void>
  /** Brings the listeners in step with the vaults in the store. */
  reconcile(): Promise<void>
  vaultUri(vaultKey: string): string | undefined
  /** With hostSuffix, the vault's own listener's `https://127.0.0.1:<port>/`; else undefined. */
  vaultUriByAddress(vaultKey: string): string | undefined
  /** Starts serving the vault now if it exists and is not served yet. */
  ensure(vaultKey: string): Promise<string | undefined>
  /** `https://127.0.0.1:{port}/` or `https://{vault}.<suffix>:<port>/`. */
  baseEndpoint(): string
  /** The shared listener's port (hostSuffix mode, once started). */
  sharedPort(): number | undefined
}

async function listVaults(store: Store): Promise<ResourceRow[]> {
  const rows: ResourceRow[] = []
  let after: string | undefined
  do {
    const page = await store.resources.list(
      { typeKey: KEY_VAULTS_TYPE_KEY },
      { limit: 1000, ...(after ? { after } : {}) },
    )
    rows.push(...page.items)
    after = page.next
  } while (after !== undefined)
  // Oldest first: with hostSuffix the first vault of a name keeps it.
  return rows.sort((a, b) => a.created_at - b.created_at || (a.key < b.key ? -1 : 1))
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<number> {
  await app.listen({ host, port })
  const address = app.server.address()
  return typeof address === 'object' && address !== null ? address.port : port
}

export function createVaultListeners(d: ListenerDeps): VaultListeners {
  const { store, settings } = d
  const suffix = settings.hostSuffix
  const served = new Map<string, { uri: string; addressUri?: string; app?: FastifyInstance }>()
  const byName = new Map<string, string>()
  let shared: { app: FastifyInstance; port: number } | undefined
  let chain: Promise<unknown> = Promise.resolve()
  let lastMissReconcile = 0
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn)
    chain = run.catch(() => undefined)
    return run
  }

  const target = async (key: string, uri: string) => {
    const row = await store.resources.fetch(key)
    return row === undefined ? undefined : vaultTarget(row, uri, settings.retentionDays)
  }

  /** The vault's own listener at `https://<urlHost>:<port>/`, its port remembered. */
  async function bindOwn(row: ResourceRow): Promise<{ uri: string; app: FastifyInstance }> {
    const app = await d.buildApp(
      async () => {
        const s = served.get(row.key)
        const uri = s?.addressUri ?? s?.uri
        return uri === undefined ? undefined : target(row.key, uri)
      },
      suffix === undefined ? undefined : KEY_VAULT_RESOURCE,
    )
    const remembered = (await store.vaultEndpoints.fetch(row.key))?.port
    let port: number
    try {
      port = await listen(app, settings.host, remembered ?? 0)
    } catch (err) {
      if (remembered === undefined) throw err
      d.log?.warn({ err, vault: row.id, port: remembered }, 'vault port taken, using another')
      port = await listen(app, settings.host, 0)
    }
    if (port !== remembered) {
      await store.vaultEndpoints.save({ vault_key: row.key, port, updated_at: d.now() })
    }
    return { uri: `https://${settings.urlHost}:${port}/`, app }
  }

  async function add(row: ResourceRow): Promise<void> {
    if (served.has(row.key)) return
    if (suffix === undefined) {
      served.set(row.key, await bindOwn(row))
      return
    }
    const name = row.name.toLowerCase()
    const holder = byName.get(name)
    if (holder !== undefined && holder !== row.key) {
      d.log?.warn({ vault: row.id }, 'another vault already serves this name; not served')
      return
    }
    const own = await bindOwn(row)
    byName.set(name, row.key)
    served.set(row.key, {
      uri: `https://${name}.${suffix}:${shared?.port ?? settings.port}/`,
      addressUri: own.uri,
      app: own.app,
    })
  }

  // Rewritten in place (the same inode): running programs have it bind-mounted over /etc/hosts.
  let hostsWritten: string | undefined
  function syncHostsFile(): void {
    if (suffix === undefined || d.hostsFile === undefined) return
    const system = d.systemHostsFile ?? '/etc/hosts'
    const base = existsSync(system) ? readFileSync(system, 'utf8') : '127.0.0.1 localhost\n'
    const text = vaultHostsFile(base, byName.keys(), suffix, settings.urlHost)
    if (text === hostsWritten) return
    try {
      rewriteInPlace(d.hostsFile, text, 0o600)
      hostsWritten = text
    } catch (err) {
      d.log?.error({ err, file: d.hostsFile }, 'vault hosts file not written')
    }
  }

  // A deleted vault's listener answers 404 VaultNotFound for a moment before it closes: a client
  // that raced the deletion gets the vault's own error, not a reset connection.
  const retiring = new Map<FastifyInstance, NodeJS.Timeout>()
  const close = (app: FastifyInstance) =>
    app.close().catch((err: unknown) => d.log?.error({ err }, 'vault listener failed to close'))

  async function remove(key: string): Promise<void> {
    const s = served.get(key)
    served.delete(key)
    for (const [name, holder] of byName) if (holder === key) byName.delete(name)
    const app = s?.app
    if (app === undefined) return
    const timer = setTimeout(() => {
      retiring.delete(app)
      void close(app)
    }, RETIRE_GRACE_MS)
    timer.unref()
    retiring.set(app, timer)
  }

  const reconcile = () =>
    exclusive(async () => {
      const rows = await listVaults(store)
      const keys = new Set(rows.map((r) => r.key))
      for (const key of [...served.keys()]) if (!keys.has(key)) await remove(key)
      for (const row of rows) {
        try {
          await add(row)
        } catch (err) {
          d.log?.error({ err, vault: row.id }, 'vault listener failed to start')
        }
      }
      syncHostsFile()
    })

  async function resolveByHost(request: FastifyRequest): Promise<VaultTarget | undefined> {
    const host = (request.headers.host ?? '').replace(/:\d+$/, '').toLowerCase()
    if (suffix === undefined || !host.endsWith(`.${suffix}`)) return undefined
    const name = host.slice(0, -(suffix.length + 1))
    let key = byName.get(name)
    // A vault created a moment ago may not be in the map yet (looked for at most twice a second,
    // so that made-up host names cannot keep the store busy).
    if (key === undefined && !name.includes('.') && d.now() - lastMissReconcile >= 500) {
      lastMissReconcile = d.now()
      await reconcile()
      key = byName.get(name)
    }
    const s = key === undefined ? undefined : served.get(key)
    return s === undefined || key === undefined ? undefined : target(key, s.uri)
  }

  return {
    async start() {
      if (suffix !== undefined) {
        const app = await d.buildApp(resolveByHost)
        const remembered = settings.port === 0 ? rememberedPort(d.sharedPortFile) : undefined
        let port: number
        try {
          port = await listen(app, settings.host, remembered ?? settings.port)
        } catch (err) {
          if (remembered === undefined) throw err
          d.log?.warn({ err, port: remembered }, 'vault port taken, using another')
          port = await listen(app, settings.host, 0)
        }
        if (settings.port === 0 && d.sharedPortFile && port !== remembered) {
          writeFileAtomic(d.sharedPortFile, `${port}\n`, 0o600)
        }
        shared = { app, port }
      }
      await reconcile()
    },
    async stop() {
      await exclusive(async () => {
        for (const key of [...served.keys()]) await remove(key)
        for (const [app, timer] of retiring) {
          clearTimeout(timer)
          await close(app)
        }
        retiring.clear()
        await shared?.app.close()
        shared = undefined
      })
    },
    reconcile,
    vaultUri: (key) => served.get(key.toLowerCase())?.uri,
    vaultUriByAddress: (key) => served.get(key.toLowerCase())?.addressUri,
    async ensure(vaultKey) {
      const key = vaultKey.toLowerCase()
      if (!served.has(key)) {
        await exclusive(async () => {
          const row = await store.resources.fetch(key)
          if (row !== undefined && row.type_key === KEY_VAULTS_TYPE_KEY) await add(row)
          syncHostsFile()
        })
      }
      return served.get(key)?.uri
    },
    sharedPort: () => shared?.port,
    baseEndpoint: () =>
      suffix === undefined
        ? `https://${settings.urlHost}:{port}/`
        : `https://{vault}.${suffix}:${shared?.port ?? settings.port}/`,
  }
}
