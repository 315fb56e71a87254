// The signing-key schedule, as pure rules over key timestamps. Three invariants:
// 1. a key is published (in JWKS) from `createdAt`, and signs only from `activateAt`, which is at
//    least `prePublishMs` later for every key but the very first (nobody can have cached a JWKS
//    before the first start), so verifiers that cache JWKS for minutes already hold it;
// 2. a key signs until `retireAt`; its successor activates exactly then;
// 3. a key stays published until `expireAt` = retireAt + the longest token lifetime + skew, so
//    every token it signed has expired before it leaves JWKS.

export interface KeyTimes {
  kid: string
  createdAt: number
  activateAt: number
  retireAt: number
  expireAt: number
}

export interface RotationPolicy {
  /** How long a key signs. */
  intervalMs: number
  /** How long a key is published before it signs. */
  prePublishMs: number
  /** The longest lifetime of any token a key may sign. */
  maxTokenLifetimeMs: number
  /** Allowance for clock skew between Keyless and verifiers. */
  skewMs: number
}

export interface RotationPlan {
  /** Times for a new key to create now, if one is needed. */
  create?: Omit<KeyTimes, 'kid'>
  /** Kids whose expireAt has passed. */
  prune: string[]
}

/** The key that signs at `now`: the most recently activated key that is not yet retired. */
export function selectSigningKey<K extends KeyTimes>(
  keys: readonly K[],
  now: number,
): K | undefined {
  let best: K | undefined
  for (const k of keys) {
    if (k.createdAt > now || k.activateAt > now || k.retireAt <= now) continue
    if (
      !best ||
      k.activateAt > best.activateAt ||
      (k.activateAt === best.activateAt && k.kid > best.kid)
    )
      best = k
  }
  return best
}

/** Keys to publish at `now`. */
export function publishedKeys<K extends KeyTimes>(keys: readonly K[], now: number): K[] {
  return keys.filter((k) => k.createdAt <= now && now < k.expireAt)
}

/** The latest `exp` a token signed at `now` by `key` may carry. */
export function latestExpiry(key: KeyTimes, policy: RotationPolicy, now: number): number {
  return Math.min(now + policy.maxTokenLifetimeMs, key.expireAt - policy.skewMs)
}

function timesFrom(
  activateAt: number,
  createdAt: number,
  policy: RotationPolicy,
): Omit<KeyTimes, 'kid'> {
  const retireAt = activateAt + policy.intervalMs
  return {
    createdAt,
    activateAt,
    retireAt,
    expireAt: retireAt + policy.maxTokenLifetimeMs + policy.skewMs,
  }
}

export function planRotation(
  keys: readonly KeyTimes[],
  now: number,
  policy: RotationPolicy,
): RotationPlan {
  const prune = keys.filter((k) => k.expireAt <= now).map((k) => k.kid)
  const live = keys.filter((k) => k.retireAt > now)
  const current = selectSigningKey(live, now)
  if (!current) {
    // Nothing can sign now (first start, or the server was down past a whole interval). A key
    // created now is in the store, hence in JWKS, before it signs its first token.
    const pending = live.some((k) => k.activateAt > now)
    return pending ? { prune } : { create: timesFrom(now, now, policy), prune }
  }
  const successor = live.find((k) => k.activateAt >= current.retireAt)
  if (!successor && now >= current.retireAt - policy.prePublishMs) {
    return { create: timesFrom(current.retireAt, now, policy), prune }
  }
  return { prune }
}

/** Validates a policy once at startup: a key must outlive its own pre-publication. */
export function assertRotationPolicy(policy: RotationPolicy): void {
  for (const [name, v] of Object.entries(policy)) {
    if (!Number.isFinite(v) || v < 0) throw new TypeError(`invalid key rotation ${name}: ${v}`)
  }
  if (policy.prePublishMs >= policy.intervalMs) {
    throw new TypeError('key rotation prePublish must be shorter than the rotation interval')
  }
}
