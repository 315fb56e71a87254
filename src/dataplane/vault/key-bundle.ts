// Key rows shaped into Key Vault's JSON: a KeyBundle carries the public JWK only (the private
// members never leave the sealed column), KeyItems carry the `kid`. Ids are root-based URLs
// (`<vaultUri>keys/<name>/<version>`), from which the SDK derives name, version and vault.
import type { JsonWebKey } from 'node:crypto'
import type { KeyRotationPolicy } from '../../domain/vault-keys.js'
import type { VaultKeyRow } from '../../store/schema.js'
import { attributes, deletedFields, parseTags } from './bundle.js'
import type { VaultTarget } from './vaults.js'

export function keyId(v: VaultTarget, row: VaultKeyRow, versioned = true): string {
  return `${v.uri}keys/${row.name}${versioned ? `/${row.version}` : ''}`
}

/** The public members of a stored JWK, and nothing else, whatever the column holds. */
function publicMembers(row: VaultKeyRow) {
  const jwk = JSON.parse(row.public_jwk) as JsonWebKey
  return row.kty === 'RSA'
    ? { kty: 'RSA', n: jwk.n, e: jwk.e }
    : { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y }
}

function common(v: VaultTarget, row: VaultKeyRow) {
  const tags = parseTags(row.tags)
  return {
    attributes: { ...attributes(v, row), exportable: false },
    ...(tags === undefined ? {} : { tags }),
  }
}

export function keyBundle(v: VaultTarget, row: VaultKeyRow) {
  return {
    key: {
      kid: keyId(v, row),
      key_ops: JSON.parse(row.key_ops) as string[],
      ...publicMembers(row),
    },
    ...common(v, row),
  }
}

/** A KeyItem of `GET /keys` (unversioned kid) or `GET /keys/{n}/versions` (versioned). */
export function keyItem(v: VaultTarget, row: VaultKeyRow, versioned: boolean) {
  return { kid: keyId(v, row, versioned), ...common(v, row) }
}

export function deletedKeyBundle(v: VaultTarget, row: VaultKeyRow) {
  return { ...deletedFields(v, row, 'deletedkeys'), ...keyBundle(v, row) }
}

export function deletedKeyItem(v: VaultTarget, row: VaultKeyRow) {
  return { ...deletedFields(v, row, 'deletedkeys'), ...keyItem(v, row, false) }
}

const seconds = (ms: number) => Math.floor(ms / 1000)

/** A KeyRotationPolicy; a key without one has Key Vault's default (notify 30 days before). */
export function rotationPolicyBody(
  v: VaultTarget,
  name: string,
  stored?: { policy: KeyRotationPolicy; created: number; updated: number },
) {
  const id = `${v.uri}keys/${name}/rotationpolicy`
  if (stored === undefined) {
    return {
      id,
      lifetimeActions: [{ trigger: { timeBeforeExpiry: 'P30D' }, action: { type: 'Notify' } }],
      attributes: {},
    }
  }
  return {
    id,
    lifetimeActions: stored.policy.lifetimeActions,
    attributes: {
      ...(stored.policy.expiryTime === undefined ? {} : { expiryTime: stored.policy.expiryTime }),
      created: seconds(stored.created),
      updated: seconds(stored.updated),
    },
  }
}
