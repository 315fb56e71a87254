// Shared setup: a made-up service audience (tokens for it: appToken in test/helpers/tokens.ts)
// and forgeries of a genuine token.
import { generateKeyPairSync, createHmac } from 'node:crypto'
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose'
import type { KeylessProcess } from '../../helpers/keyless.js'
import { https } from '../../helpers/https.js'

export const AUDIENCE = 'api://orders'

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')

/** Forged variants of a genuine token, each of which a verifier must refuse. */
export async function forgeries(k: KeylessProcess, genuine: string): Promise<[string, string][]> {
  const header = decodeProtectedHeader(genuine)
  const claims = decodeJwt(genuine)
  const [h, , sig] = genuine.split('.')
  const jwks = (await https(k.endpoints.jwksUri, { ca: k.ca })).json()
  const publicPem = `-----BEGIN CERTIFICATE-----\n${jwks.keys[0].x5c[0]}\n-----END CERTIFICATE-----\n`
  const hsHeader = b64({ alg: 'HS256', typ: 'JWT', kid: header.kid })
  const hsBody = b64(claims)
  const hsSig = createHmac('sha256', publicPem).update(`${hsHeader}.${hsBody}`).digest('base64url')
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const foreign = (kid: string) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid }).sign(privateKey)
  return [
    ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`],
    ['HS256 signed with the public key', `${hsHeader}.${hsBody}.${hsSig}`],
    ['an unknown kid', await foreign('unknown-kid')],
    ['a known kid with another key', await foreign(String(header.kid))],
    [
      'a tampered payload',
      `${h}.${b64({ ...claims, oid: '00000000-0000-0000-0000-000000000000' })}.${sig}`,
    ],
  ]
}
