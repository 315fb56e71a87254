// Bounded shutdown for `keyless up`. The first SIGTERM or SIGINT closes the listeners (requests
// in flight may finish) and exits; whatever is still running at the deadline is cut off, and a
// second signal exits at once. Nothing here writes to stdout or stderr, whose reader may be gone
// (a closed pipe) or asleep (a full one): the logger writes to a file, asynchronously.
export interface ShutdownOptions {
  /** Closes everything in order; resolves when the process may exit. */
  close: () => Promise<void>
  /** Runs synchronously before any exit, even a forced one (unpublish endpoints.json). */
  releaseSync: () => void
  log: (fields: Record<string, unknown>, message: string) => void
  /** From the first signal to the forced exit. */
  deadlineMs?: number
  exit?: (code: number) => void
}

/** Well inside the 5 s a supervisor (or the operator) is promised. */
export const SHUTDOWN_DEADLINE_MS = 4000

export function handleShutdownSignals(o: ShutdownOptions): void {
  const exit = o.exit ?? ((code: number) => process.exit(code))
  const deadlineMs = o.deadlineMs ?? SHUTDOWN_DEADLINE_MS
  let closing = false
  const finish = (code: number) => {
    try {
      o.releaseSync()
    } finally {
      exit(code)
    }
  }
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      o.log({ signal }, 'second signal: exiting now')
      return finish(1)
    }
    closing = true
    o.log({ signal, deadlineMs }, 'shutting down')
    setTimeout(() => {
      o.log({ deadlineMs }, 'shutdown deadline reached: exiting with requests still open')
      finish(1)
    }, deadlineMs).unref()
    o.close().then(
      () => finish(0),
      (err: unknown) => {
        o.log({ err }, 'shutdown failed')
        finish(1)
      },
    )
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}

/** A terminal that went away must not crash or stall the server: write errors are dropped. */
export function ignoreBrokenStdio(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined)
}
