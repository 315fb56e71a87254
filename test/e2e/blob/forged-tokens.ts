// Tokens an attacker would try, built from a genuine one: unsigned, HMAC-signed with the public
// key, signed by an unknown key, tampered with, and (signed with Keyless's real key, read from the
// data directory as only an insider could) expired, not yet valid, for another audience, from
// another issuer or tenant. Each must be refused although every other claim is genuine.
import { createHmac, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { SignJWT, type JWTPayload } from 'jose'
import { openStore } from '../../../src/store/index.js'
import { decryptPrivateKey } from '../../../src/sts/key-material.js'
import { signingWrapKey } from '../../helpers/keyless.js'

const b64 = (x: object | string) =>
  Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url')

export function decode(token: string): { header: any; payload: any } {
  const [h, p] = token.split('.')
  return {
    header: JSON.parse(Buffer.from(h as string, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p as string, 'base64url').toString()),
  }
}

/** The key Keyless signs with now, from the data directory. */
export async function currentSigningKey(dataDir: string) {
  const masterKey = signingWrapKey(dataDir)
  const store = await openStore({ sqliteFile: join(dataDir, 'keyless.db') })
  try {
    const now = Date.now()
    const row = (await store.signingKeys.list()).find(
      (k) => k.activate_at <= now && now < k.retire_at,
    )
    if (!row) throw new Error('no active signing key')
    return {
      kid: row.kid,
      alg: row.alg,
      privateKey: await decryptPrivateKey(row.private_key_enc, masterKey),
      publicPem: createPublicKey(await decryptPrivateKey(row.private_key_enc, masterKey))
        .export({ type: 'spki', format: 'pem' })
        .toString(),
    }
  } finally {
    await store.close()
  }
}

export interface Attack {
  name: string
  token: string
  /** The AuthenticationErrorDetail the service answers with. */
  detail: RegExp
}

export async function attacks(
  genuine: string,
  dataDir: string,
  tenantId: string,
): Promise<Attack[]> {
  const { header, payload } = decode(genuine)
  const key = await currentSigningKey(dataDir)
  const now = Math.floor(Date.now() / 1000)
  const sign = (claims: JWTPayload) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.kid })
      .sign(key.privateKey)
  const hmacHeader = b64({ ...header, alg: 'HS256' })
  const hmacBody = `${hmacHeader}.${b64(payload)}`
  const hmac = createHmac('sha256', key.publicPem).update(hmacBody).digest('base64url')
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  const otherTenant = randomUUID()
  const [h, , s] = genuine.split('.')
  return [
    {
      name: 'alg none',
      token: `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`,
      detail: /malformed/,
    },
    {
      name: 'HS256 signed with the public key',
      token: `${hmacBody}.${hmac}`,
      detail: /malformed|Signature/,
    },
    {
      name: 'an unknown kid',
      token: await new SignJWT(payload)
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: randomUUID() })
        .sign(stranger),
      detail: /^Signature validation failed/,
    },
    {
      name: 'a tampered payload',
      token: `${h}.${b64({ ...payload, oid: randomUUID() })}.${s}`,
      detail: /^Signature validation failed/,
    },
    {
      name: 'an expired token',
      token: await sign({ ...payload, iat: now - 7200, nbf: now - 7200, exp: now - 3600 }),
      detail: /^Lifetime validation failed. The token is expired./,
    },
    {
      name: 'a token not yet valid',
      token: await sign({ ...payload, iat: now + 3600, nbf: now + 3600, exp: now + 7200 }),
      detail: /^Lifetime validation failed. The token is not yet valid./,
    },
    {
      name: 'a token for another audience',
      token: await sign({ ...payload, aud: 'https://vault.azure.net' }),
      detail: /^Audience validation failed/,
    },
    {
      name: 'a token from another issuer',
      token: await sign({ ...payload, iss: `https://login.example.com/${tenantId}/` }),
      detail: /^Issuer validation failed/,
    },
    {
      name: 'a token of another tenant',
      token: await sign({
        ...payload,
        tid: otherTenant,
        iss: String(payload.iss).replace(tenantId, otherTenant),
      }),
      detail: /^Issuer validation failed/,
    },
  ]
}
