// `keyless env --as <resource>`: what `keyless run` would give a program, as shell exports
// (`eval "$(keyless env --as …)"`). The run stays registered until deleted with its id.
import type { Command } from 'commander'
import { createRunEnvironment, runOptions, type RunFlags } from './run.js'

/** POSIX single quotes: nothing inside is special except the quote itself. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}

export function registerEnv(program: Command): void {
  runOptions(
    program
      .command('env')
      .description('print the environment of a run as shell exports (the run stays registered)'),
  ).action(async (flags: RunFlags) => {
    const { run, vars } = await createRunEnvironment(flags, process.env)
    const lines = [`# keyless run ${run.id} as ${run.resourceId} (${run.protocol})`]
    for (const [k, v] of Object.entries(vars)) lines.push(`export ${k}=${shellQuote(v)}`)
    process.stdout.write(lines.join('\n') + '\n')
  })
}
