// The Key Vault secrets data plane (reference §1, §5, §7): what the composition root builds.
//
// Client notes:
// - Without `hostSuffix`, each vault's URL is `https://127.0.0.1:<port>/` and its challenge names
//   `https://vault.azure.net`. `SecretClient` checks that the vault host is a subdomain of the
//   challenge resource, which an IP address cannot be, so clients pass
//   `{ disableChallengeResourceVerification: true }`.
// - With `hostSuffix: 'vault.example.test'` every vault is `https://<vault>.vault.example.test:<port>/`
//   and the challenge names `https://vault.example.test`, so unmodified clients work where those
//   names resolve (`keyless run` makes them resolve for its program: `<dataDir>/vault-hosts`).
//   The TLS certificate must then also cover `*.vault.example.test`. Each vault keeps its
//   `https://127.0.0.1:<port>/` listener as well (ARM's `vaultUriByAddress`), as above.
import { join } from 'node:path'
import type { VaultChangeEvent, VaultOptions, VaultServiceOptions } from './options.js'
import { vaultSettings } from './options.js'
import { buildVaultApp } from './app.js'
import { challengeResource } from './authenticate.js'
import { createVaultListeners } from './listeners.js'
import { KEY_VAULTS_TYPE_KEY } from './vaults.js'

export type { VaultChangeEvent, VaultOptions, VaultServiceOptions }
export { challengeResource, KEY_VAULT_RESOURCE } from './authenticate.js'

export interface VaultService {
  start(): Promise<void>
  stop(): Promise<void>
  /** `properties.vaultUri` of a vault (ARM id, any casing), once its listener is up. */
  vaultUri(vaultResourceId: string): string | undefined
  /** The same, starting the vault's listener now if the vault exists but is not served yet
   * (e.g. right after its creation, before the change feed reports it). */
  resolveVaultUri(vaultResourceId: string): Promise<string | undefined>
  /** With a host suffix, the vault's by-address URL (after resolveVaultUri); else undefined. */
  vaultUriByAddress(vaultResourceId: string): string | undefined
  /** With a host suffix, the hosts file listing every vault name; else undefined. */
  readonly hostsFile: string | undefined
  /** For endpoints.json: `https://127.0.0.1:{port}/` or `https://{vault}.<suffix>:<port>/`. */
  readonly baseEndpoint: string
  /** The challenge resource clients ask tokens for. */
  readonly resource: string
}

const RELEVANT = new Set(['resource.created', 'resource.deleted', 'resourceGroup.deleted'])

export function createVaultService(o: VaultServiceOptions): VaultService {
  const settings = vaultSettings(o)
  const log = o.logger
  const hostsFile = settings.hostSuffix === undefined ? undefined : join(o.dataDir, 'vault-hosts')
  const listeners = createVaultListeners({
    store: o.store,
    settings,
    now: () => o.clock.now(),
    log,
    sharedPortFile: join(o.dataDir, 'vault-port'),
    ...(hostsFile === undefined ? {} : { hostsFile }),
    buildApp: (resolve, own) =>
      buildVaultApp({
        o,
        get resource() {
          return own ?? resource()
        },
        resolve,
        logger: log,
      }),
  })
  const resource = () => challengeResource(settings.hostSuffix, listeners.sharedPort())
  const timers: NodeJS.Timeout[] = []
  let unsubscribe: (() => void) | undefined
  const reconcile = () =>
    listeners.reconcile().catch((err) => log?.error({ err }, 'vault listeners sync failed'))

  const isVaultEvent = (e: VaultChangeEvent) =>
    RELEVANT.has(e.kind) &&
    (e.kind === 'resourceGroup.deleted' ||
      String(e.data.type ?? '').toLowerCase() === KEY_VAULTS_TYPE_KEY)

  return {
    async start() {
      await listeners.start()
      if (o.subscribe) {
        unsubscribe = o.subscribe((e) => {
          if (isVaultEvent(e)) void reconcile()
        })
      }
      const prune = () =>
        Promise.all([
          o.store.vaultSecrets.prune(o.clock.now()),
          o.store.vaultKeys.prune(o.clock.now()),
        ]).catch((err) => log?.error({ err }, 'purging deleted secrets and keys failed'))
      timers.push(setInterval(reconcile, settings.pollIntervalMs))
      timers.push(setInterval(prune, settings.pruneIntervalMs))
      for (const t of timers) t.unref()
    },
    async stop() {
      unsubscribe?.()
      for (const t of timers.splice(0)) clearInterval(t)
      await listeners.stop()
    },
    vaultUri: (id) => listeners.vaultUri(id),
    resolveVaultUri: (id) => listeners.ensure(id),
    vaultUriByAddress: (id) => listeners.vaultUriByAddress(id),
    hostsFile,
    get baseEndpoint() {
      return listeners.baseEndpoint()
    },
    get resource() {
      return resource()
    },
  }
}
