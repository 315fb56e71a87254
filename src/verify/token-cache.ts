// Tokens already verified, remembered until they expire: the same cache Keyless's own services
// use (common/access-token.ts), keyed by the exact token string and bounded in size and by expiry.
export { VerifiedTokenCache } from '../common/access-token.js'

// 12 base64url characters of a signature: 72 random bits. V8 copies substrings this short, so a
// mark does not keep its token alive.
const MARK_LENGTH = 12

/**
 * Admission to the cache on a token's second verification (a "doorkeeper", as in TinyLFU): a
 * token presented once is never stored, so a stream of tokens seen once costs no memory and
 * evicts nothing, while a client reusing its token is cached from its second request on.
 * Tokens are told apart by the end of their signature; a collision only admits a token one
 * verification early.
 */
export class Doorkeeper {
  readonly #max: number
  readonly #seen = new Set<string>()

  constructor(max: number) {
    this.#max = max
  }

  /** True when `token` was presented before (it may be cached now); false the first time. */
  admit(token: string): boolean {
    const mark = token.slice(-MARK_LENGTH)
    if (this.#seen.delete(mark)) return true
    if (this.#seen.size >= this.#max) this.#seen.clear()
    this.#seen.add(mark)
    return false
  }
}
