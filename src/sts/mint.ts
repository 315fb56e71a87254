// Signing an access token: the header names the key twice, as Entra's v1 tokens do
// (`kid` and `x5t` carry the same certificate thumbprint).
import { SignJWT } from 'jose'
import type { AccessTokenClaims } from '../domain/token-claims.js'
import type { LoadedKey } from './key-ring.js'

export function signAccessToken(claims: AccessTokenClaims, key: LoadedKey): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ typ: 'JWT', alg: key.alg, kid: key.kid, x5t: key.kid })
    .sign(key.privateKey)
}
