// Which request runs which operation, under which data action (reference §7), in one table
// (oidcp's `use(() => checkMaxAge, ...)` style). Each route names the secret it touches, or none
// for vault-wide lists, and that decides the RBAC scope; the check runs before the operation.
import type { VerifiedClaims } from '../../common/access-token.js'
import type { PageRequest } from '../../store/store.js'
import { SecretActions, type VaultDataAction } from './authorize.js'
import type { openKeyBackup } from './key-backup.js'
import { decodeBackup, encodeBackup, type RestoredVersion } from './backup.js'
import {
  checkName,
  checkVersion,
  maxResultsOf,
  parseRestoreBody,
  parseSetBody,
} from './requests.js'
import { parseUpdateBody } from './requests.js'
import * as secrets from './secrets.js'
import type { SecretContext } from './secrets.js'
import type { VaultTarget } from './vaults.js'

export interface Operation {
  c: SecretContext
  vault: VaultTarget
  caller: VerifiedClaims
  apiVersion: string
  params: Record<string, string>
  query: URLSearchParams
  body: unknown
  /** Set by the restore route once its blob is opened. */
  restored?: { name: string; versions: RestoredVersion[] }
  /** Set by the key restore route once its blob is opened. */
  restoredKey?: Awaited<ReturnType<typeof openKeyBackup>>
}

export interface OperationResult {
  status?: number
  body?: unknown
}

export interface Route {
  method: 'GET' | 'PUT' | 'PATCH' | 'DELETE' | 'POST'
  url: string
  action: VaultDataAction
  /** Which objects the route is about: it decides the RBAC scope's collection. */
  collection: 'secrets' | 'keys'
  /** The object the operation is about (its RBAC scope); absent: the vault is the scope. */
  object?: (op: Operation) => string | Promise<string>
  run: (op: Operation) => Promise<OperationResult>
}

export const named = (op: Operation) => checkName(op.params.name ?? '')
const version = (op: Operation) => checkVersion(op.params.name ?? '', op.params.version)
export const ok = async (body: unknown | Promise<unknown>): Promise<OperationResult> => ({
  body: await body,
})

/** One page of a list, with an absolute `nextLink` that carries the api-version (or null). */
export async function page(
  op: Operation,
  path: string,
  list: (page: PageRequest) => Promise<{ items: unknown[]; next?: string }>,
): Promise<OperationResult> {
  const limit = maxResultsOf(op.query.get('maxresults') ?? undefined)
  const after = op.query.get('$skiptoken') ?? undefined
  const p = await list({ limit, ...(after ? { after } : {}) })
  const next =
    p.next === undefined
      ? null
      : `${op.vault.uri}${path}?api-version=${op.apiVersion}&maxresults=${limit}&$skiptoken=${p.next}`
  return { body: { value: p.items, nextLink: next } }
}

export const ROUTES: readonly Route[] = [
  {
    method: 'PUT',
    url: '/secrets/:name',
    action: SecretActions.setSecret,
    collection: 'secrets',
    object: named,
    run: (op) => ok(secrets.setSecret(op.c, op.vault, named(op), parseSetBody(op.body))),
  },
  {
    method: 'GET',
    url: '/secrets/:name',
    action: SecretActions.getSecret,
    collection: 'secrets',
    object: named,
    run: (op) => ok(secrets.getSecret(op.c, op.vault, named(op))),
  },
  {
    method: 'GET',
    url: '/secrets/:name/:version',
    action: SecretActions.getSecret,
    collection: 'secrets',
    object: named,
    run: (op) => ok(secrets.getSecret(op.c, op.vault, named(op), version(op))),
  },
  ...['/secrets/:name', '/secrets/:name/:version'].map((url): Route => ({
    method: 'PATCH',
    url,
    action: SecretActions.update,
    collection: 'secrets',
    object: named,
    run: (op) =>
      ok(secrets.updateSecret(op.c, op.vault, named(op), version(op), parseUpdateBody(op.body))),
  })),
  {
    method: 'GET',
    url: '/secrets',
    collection: 'secrets',
    action: SecretActions.readMetadata,
    run: (op) => page(op, 'secrets', (p) => secrets.listSecrets(op.c, op.vault, p)),
  },
  {
    method: 'GET',
    url: '/secrets/:name/versions',
    action: SecretActions.readMetadata,
    collection: 'secrets',
    object: named,
    run: (op) =>
      page(op, `secrets/${named(op)}/versions`, (p) =>
        secrets.listSecretVersions(op.c, op.vault, named(op), p),
      ),
  },
  {
    method: 'DELETE',
    url: '/secrets/:name',
    action: SecretActions.delete,
    collection: 'secrets',
    object: named,
    run: (op) => ok(secrets.deleteSecret(op.c, op.vault, named(op))),
  },
  {
    method: 'GET',
    url: '/deletedsecrets',
    collection: 'secrets',
    action: SecretActions.readMetadata,
    run: (op) => page(op, 'deletedsecrets', (p) => secrets.listDeletedSecrets(op.c, op.vault, p)),
  },
  {
    method: 'GET',
    url: '/deletedsecrets/:name',
    action: SecretActions.readMetadata,
    collection: 'secrets',
    object: named,
    run: (op) => ok(secrets.getDeletedSecret(op.c, op.vault, named(op))),
  },
  {
    method: 'POST',
    url: '/deletedsecrets/:name/recover',
    action: SecretActions.recover,
    collection: 'secrets',
    object: named,
    run: (op) => ok(secrets.recoverDeletedSecret(op.c, op.vault, named(op))),
  },
  {
    method: 'DELETE',
    url: '/deletedsecrets/:name',
    action: SecretActions.purge,
    collection: 'secrets',
    object: named,
    run: async (op) => {
      await secrets.purgeDeletedSecret(op.c, op.vault, named(op))
      return { status: 204 }
    },
  },
  {
    method: 'POST',
    url: '/secrets/:name/backup',
    action: SecretActions.backup,
    collection: 'secrets',
    object: named,
    run: async (op) => {
      const versions = await secrets.readAllVersions(op.c, op.vault, named(op))
      return { body: { value: await encodeBackup(named(op), versions, op.c.key) } }
    },
  },
  {
    method: 'POST',
    url: '/secrets/restore',
    action: SecretActions.restore,
    // The name is inside the blob: open it (400 when it is not ours) to know the scope.
    collection: 'secrets',
    object: async (op) => {
      op.restored = await decodeBackup(parseRestoreBody(op.body), op.c.key)
      return op.restored.name
    },
    run: (op) => {
      const r = op.restored!
      return ok(secrets.writeRestoredVersions(op.c, op.vault, r.name, r.versions))
    },
  },
]
