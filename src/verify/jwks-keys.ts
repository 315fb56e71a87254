// The verification key of a token. jose's remote JWKS set does the work: it fetches the set,
// refreshes it when stale and on an unknown `kid` (at most once per cooldown), and decides which
// key fits a header (kid, alg, kty, use, key_ops). What it decided is remembered for as long as
// the set it came from is the current one (jose stamps each set it fetches in the `jwksCache`
// object it is given) and fresh:
// - per (kid, alg), for its key function;
// - per protected header, exactly as encoded, once a token with that header has verified: every
//   token of a Keyless key carries the same header bytes, so the next one is handed to jwtVerify
//   with its key directly, sparing jose the key function (and its await) on every call.
import {
  createRemoteJWKSet,
  customFetch,
  jwksCache,
  type CryptoKey,
  type ExportedJWKSCache,
  type FetchImplementation,
  type FlattenedJWSInput,
  type JWKSCacheInput,
  type JWSHeaderParameters,
} from 'jose'

export interface JwksKeysOptions {
  cooldownDuration: number
  cacheMaxAge: number
  fetch: FetchImplementation
}

/** Headers remembered at most: a key has one, a rotation adds one. */
const MAX_HEADERS = 64

export function createJwksKeys(url: URL, o: JwksKeysOptions) {
  const fetched: Partial<ExportedJWKSCache> = {}
  const remote = createRemoteJWKSet(url, {
    cooldownDuration: o.cooldownDuration,
    cacheMaxAge: o.cacheMaxAge,
    [customFetch]: o.fetch,
    [jwksCache]: fetched as JWKSCacheInput,
  })
  // What jose chose from the set fetched at `setOf` (its `uat`); a new set starts afresh.
  let setOf: number | undefined
  let byKid = new Map<string | undefined, Map<string, CryptoKey>>()
  let byHeader = new Map<string, CryptoKey>()
  const current = () => setOf === fetched.uat && remote.fresh

  function startSet(uat: number) {
    if (setOf === uat) return
    setOf = uat
    byKid = new Map()
    byHeader = new Map()
  }

  async function ask(header: JWSHeaderParameters, token: FlattenedJWSInput) {
    const before = fetched.uat
    const key = await remote(header, token)
    // Remembered only if no other set was fetched meanwhile: the key is from set `before`.
    if (before !== undefined && fetched.uat === before) {
      startSet(before)
      const byAlg = byKid.get(header.kid) ?? new Map<string, CryptoKey>()
      byKid.set(header.kid, byAlg.set(header.alg!, key))
    }
    return key
  }

  return {
    /** A jose key function: `jwtVerify(token, getKey, options)`. */
    getKey(header: JWSHeaderParameters, token: FlattenedJWSInput): CryptoKey | Promise<CryptoKey> {
      if (current()) {
        const key = byKid.get(header.kid)?.get(header.alg!)
        if (key) return key
      }
      return ask(header, token)
    },

    /** The key a token with this encoded protected header verified with, while still current. */
    keyForHeader(encodedHeader: string): CryptoKey | undefined {
      return current() ? byHeader.get(encodedHeader) : undefined
    },

    /** Records the key jwtVerify resolved for a token that verified. */
    rememberHeader(encodedHeader: string, key: CryptoKey): void {
      if (!current()) return
      byHeader.set(encodedHeader, key)
      if (byHeader.size > MAX_HEADERS) byHeader.delete(byHeader.keys().next().value!)
    },
  }
}
