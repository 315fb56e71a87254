// The real clock, for the composition roots (server/start.ts, agent/index.ts) to inject; every
// other module receives a Clock (domain/clock.ts) and never reads the time itself.
import type { Clock } from '../domain/clock.js'

export const systemClock: Clock = Object.freeze({ now: () => Date.now() })
