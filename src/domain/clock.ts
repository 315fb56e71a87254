// Time is an input: domain rules take `now` (epoch milliseconds) as an argument, and the
// contexts around them receive a Clock so tests can freeze or advance it (SPIRE `clock`).
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number
}

export const epochSeconds = (ms: number): number => Math.floor(ms / 1000)
