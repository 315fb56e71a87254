// What the CLI reports when a command fails, and the exit code that goes with it. Scripts branch
// on the code: 1 the API refused (or failed), 2 the command line is wrong, 3 the thing asked for
// does not exist, 4 there is no Keyless to talk to.
export const EXIT = Object.freeze({
  ok: 0,
  apiError: 1,
  usage: 2,
  notFound: 3,
  unreachable: 4,
})

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

export class CliError extends Error {
  readonly exitCode: ExitCode
  /** The API's error code (`ResourceNotFound`, `invalid_client`…), absent for local errors. */
  readonly code?: string

  constructor(exitCode: ExitCode, message: string, code?: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CliError'
    this.exitCode = exitCode
    this.code = code
  }
}

export const usageError = (message: string) => new CliError(EXIT.usage, message)

/** The line printed to stderr: `keyless: <code>: <message>`, or without a code for local errors. */
export function describeError(err: unknown): string {
  if (err instanceof CliError && err.code) return `keyless: ${err.code}: ${err.message}`
  return `keyless: ${err instanceof Error ? err.message : String(err)}`
}
