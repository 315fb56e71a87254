// The key routes, in the same table form as the secret routes: which request runs which key
// operation under which data action. A key's scope is `<vault>/keys/<name>`; lists are scoped
// to the vault. Cryptographic operations exist with and without a version in the path.
import { KeyActions, type KeyAction } from './authorize.js'
import { backupKey, openKeyBackup, restoreKey } from './key-backup.js'
import { decryptWith, encryptWith, signDigest, verifyDigest } from './key-operations.js'
import { parseCreateBody, parseImportBody, parseRotationPolicyBody } from './key-requests.js'
import * as keys from './keys.js'
import { VaultErrors } from './errors.js'
import { parseRestoreBody } from './requests.js'
import { named, ok, page, type Operation, type OperationResult, type Route } from './routes.js'

const VERSION = /^[0-9a-fA-F]{32}$/

/** A version from the path: empty means the latest; anything but 32 hex digits is not found. */
function version(op: Operation): string | undefined {
  const v = op.params.version
  if (v === undefined || v === '') return undefined
  if (!VERSION.test(v)) throw VaultErrors.keyNotFound(`${named(op)}/${v.slice(0, 64)}`)
  return v.toLowerCase()
}

const route = (
  method: Route['method'],
  url: string,
  action: KeyAction,
  run: (op: Operation) => Promise<OperationResult>,
  object: Route['object'] = named,
): Route => ({ method, url, action, collection: 'keys', object, run })

const vaultWide = (
  method: Route['method'],
  url: string,
  action: KeyAction,
  run: (op: Operation) => Promise<OperationResult>,
): Route => ({ method, url, action, collection: 'keys', run })

type CryptoRun = (op: Operation) => Promise<unknown>
const CRYPTO: [string, KeyAction, CryptoRun][] = [
  ['sign', KeyActions.sign, (op) => signDigest(op.c, op.vault, named(op), version(op), op.body)],
  [
    'verify',
    KeyActions.verify,
    (op) => verifyDigest(op.c, op.vault, named(op), version(op), op.body),
  ],
  [
    'encrypt',
    KeyActions.encrypt,
    (op) => encryptWith(op.c, op.vault, named(op), version(op), op.body, 'encrypt'),
  ],
  [
    'decrypt',
    KeyActions.decrypt,
    (op) => decryptWith(op.c, op.vault, named(op), version(op), op.body, 'decrypt'),
  ],
  [
    'wrapkey',
    KeyActions.wrap,
    (op) => encryptWith(op.c, op.vault, named(op), version(op), op.body, 'wrapKey'),
  ],
  [
    'unwrapkey',
    KeyActions.unwrap,
    (op) => decryptWith(op.c, op.vault, named(op), version(op), op.body, 'unwrapKey'),
  ],
]

export const KEY_ROUTES: readonly Route[] = [
  route('POST', '/keys/:name/create', KeyActions.create, (op) =>
    ok(keys.createKey(op.c, op.vault, named(op), parseCreateBody(op.body))),
  ),
  route('PUT', '/keys/:name', KeyActions.import, (op) =>
    ok(keys.importKey(op.c, op.vault, named(op), parseImportBody(op.body))),
  ),
  route('GET', '/keys/:name', KeyActions.read, (op) => ok(keys.getKey(op.c, op.vault, named(op)))),
  route('GET', '/keys/:name/:version', KeyActions.read, (op) =>
    ok(keys.getKey(op.c, op.vault, named(op), version(op))),
  ),
  ...['/keys/:name', '/keys/:name/:version'].map((url) =>
    route('PATCH', url, KeyActions.update, (op) =>
      ok(keys.updateKey(op.c, op.vault, named(op), version(op), op.body)),
    ),
  ),
  vaultWide('GET', '/keys', KeyActions.read, (op) =>
    page(op, 'keys', (p) => keys.listKeys(op.c, op.vault, p)),
  ),
  route('GET', '/keys/:name/versions', KeyActions.read, (op) =>
    page(op, `keys/${named(op)}/versions`, (p) =>
      keys.listKeyVersions(op.c, op.vault, named(op), p),
    ),
  ),
  route('DELETE', '/keys/:name', KeyActions.delete, (op) =>
    ok(keys.deleteKey(op.c, op.vault, named(op))),
  ),
  vaultWide('GET', '/deletedkeys', KeyActions.read, (op) =>
    page(op, 'deletedkeys', (p) => keys.listDeletedKeys(op.c, op.vault, p)),
  ),
  route('GET', '/deletedkeys/:name', KeyActions.read, (op) =>
    ok(keys.getDeletedKey(op.c, op.vault, named(op))),
  ),
  route('POST', '/deletedkeys/:name/recover', KeyActions.recover, (op) =>
    ok(keys.recoverDeletedKey(op.c, op.vault, named(op))),
  ),
  route('DELETE', '/deletedkeys/:name', KeyActions.purge, async (op) => {
    await keys.purgeDeletedKey(op.c, op.vault, named(op))
    return { status: 204 }
  }),
  route('POST', '/keys/:name/backup', KeyActions.backup, async (op) => ({
    body: { value: await backupKey(op.c, op.vault, named(op)) },
  })),
  route(
    'POST',
    '/keys/restore',
    KeyActions.restore,
    (op) => ok(restoreKey(op.c, op.vault, op.restoredKey!)),
    // The name is inside the blob: open it (400 when it is not ours) to know the scope.
    async (op) => {
      op.restoredKey = await openKeyBackup(parseRestoreBody(op.body), op.c)
      return op.restoredKey.name
    },
  ),
  route('POST', '/keys/:name/rotate', KeyActions.rotate, (op) =>
    ok(keys.rotateKey(op.c, op.vault, named(op))),
  ),
  route('GET', '/keys/:name/rotationpolicy', KeyActions.readPolicy, (op) =>
    ok(keys.getRotationPolicy(op.c, op.vault, named(op))),
  ),
  route('PUT', '/keys/:name/rotationpolicy', KeyActions.writePolicy, (op) =>
    ok(keys.setRotationPolicy(op.c, op.vault, named(op), parseRotationPolicyBody(op.body))),
  ),
  ...CRYPTO.flatMap(([path, action, run]) =>
    ['/keys/:name', '/keys/:name/:version'].map((prefix) =>
      route('POST', `${prefix}/${path}`, action, (op) => ok(run(op))),
    ),
  ),
]
