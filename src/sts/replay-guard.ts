// Each client assertion is accepted once (RFC 7523 §3 item 7: "jti" may be used to prevent
// replay): its id is remembered until the assertion could no longer pass verification. Ids are
// filed under the second they may be forgotten, and each second's batch is dropped once, when
// the clock passes it, so a call costs O(1) amortized however many ids are held.

export interface ReplayGuard {
  /**
   * True the first time `id` is presented, false after. `forgetAt` (epoch ms) is when the
   * assertion stops being acceptable (its exp plus the clock tolerance); `now` is epoch ms.
   */
  firstUse(id: string, forgetAt: number, now: number): boolean
  readonly size: number
}

export function createReplayGuard(): ReplayGuard {
  const seen = new Set<string>()
  const bySecond = new Map<number, string[]>()
  let sweptTo = -Infinity

  // At most one pass per second of clock, over the seconds still holding ids (a few hundred:
  // assertions live minutes), so its cost spreads over every call of that second.
  function sweep(nowSecond: number): void {
    if (nowSecond <= sweptTo) return
    sweptTo = nowSecond
    for (const [second, ids] of bySecond) {
      if (second >= nowSecond) continue
      for (const id of ids) seen.delete(id)
      bySecond.delete(second)
    }
  }

  return {
    firstUse(id, forgetAt, now) {
      sweep(Math.floor(now / 1000))
      if (seen.has(id)) return false
      seen.add(id)
      // Kept through the whole second of forgetAt: never forgotten early.
      const second = Math.floor(forgetAt / 1000) + 1
      const ids = bySecond.get(second)
      if (ids) ids.push(id)
      else bySecond.set(second, [id])
      return true
    },
    get size() {
      return seen.size
    },
  }
}
