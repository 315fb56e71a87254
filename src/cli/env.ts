// `keyless env --as <resource>`: what `keyless run` would give a program, as shell exports
// (`eval "$(keyless env --as …)"`). The run is bound to the caller's uid and expires after
// `--ttl` (default 12 h); `keyless runs list|remove` show and end runs before that.
import { InvalidArgumentError, type Command } from 'commander'
import { createRunEnvironment, runOptions, type RunFlags } from './run.js'
import { addRunCommands } from './runs.js'

export const DEFAULT_ENV_TTL_SECONDS = 12 * 3600
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 }

/** POSIX single quotes: nothing inside is special except the quote itself. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}

/** `90`, `90s`, `30m`, `12h`, `7d` → seconds (a positive whole number). */
export function parseTtl(text: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(text.trim())
  const seconds = m ? Number(m[1]) * UNITS[m[2] || 's']! : NaN
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new InvalidArgumentError('expected a duration such as 3600, 30m, 12h or 7d')
  }
  return seconds
}

export function registerEnv(program: Command): void {
  const env = program.command('env')
  runOptions(
    env
      .description('print the environment of a run as shell exports (the run expires after --ttl)')
      .option('--ttl <duration>', 'lifetime of the run (e.g. 30m, 12h, 7d)', parseTtl),
    { asRequired: false },
  ).action(async (flags: RunFlags & { ttl?: number }) => {
    if (flags.as === undefined)
      env.error("error: required option '--as <resource-id>' not specified")
    const { run, vars } = await createRunEnvironment(flags, process.env, {
      uid: process.getuid?.(),
      ttlSeconds: flags.ttl ?? DEFAULT_ENV_TTL_SECONDS,
    })
    const until = run.expiresAt ? ` until ${new Date(run.expiresAt).toISOString()}` : ''
    const lines = [`# keyless run ${run.id} as ${run.resourceId} (${run.protocol})${until}`]
    for (const [k, v] of Object.entries(vars)) lines.push(`export ${k}=${shellQuote(v)}`)
    process.stdout.write(lines.join('\n') + '\n')
  })
  addRunCommands(env)
}
