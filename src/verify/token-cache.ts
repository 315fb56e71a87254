// Tokens already verified, remembered until they expire. The cache is keyed by the exact token
// string, so a hit means the same bytes whose signature, issuer and audience were checked; only
// the time-dependent checks are repeated. It is bounded in size (least recently used leaves
// first) and by expiry; nothing enters it without full verification.
export class VerifiedTokenCache<T extends { exp?: number; nbf?: number }> {
  readonly #max: number
  readonly #entries = new Map<string, T>()

  constructor(max: number) {
    this.#max = max
  }

  get(token: string, nowSeconds: number, toleranceSeconds: number): T | undefined {
    const hit = this.#entries.get(token)
    if (!hit) return undefined
    if ((hit.exp ?? 0) + toleranceSeconds <= nowSeconds) {
      this.#entries.delete(token)
      return undefined
    }
    if (hit.nbf !== undefined && hit.nbf - toleranceSeconds > nowSeconds) return undefined
    this.#entries.delete(token)
    this.#entries.set(token, hit)
    return hit
  }

  set(token: string, claims: T): void {
    if (this.#max <= 0) return
    this.#entries.delete(token)
    this.#entries.set(token, claims)
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!)
  }

  get size(): number {
    return this.#entries.size
  }
}
