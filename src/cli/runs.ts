// `keyless runs list|remove`: the runs the local agent serves (those of `keyless run` end with
// their program; those of `keyless env` when they expire, or when removed here).
import { Option, type Command } from 'commander'
import type { Run } from '../agent/index.js'
import { defaultFormat, OUTPUT_FORMATS, render, type Column, type OutputFormat } from './output.js'
import { controlRequest, locateAgent } from './run.js'

const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString())

const runColumns: Column<Run>[] = [
  { header: 'Id', value: (r) => r.id },
  { header: 'Protocol', value: (r) => r.protocol },
  { header: 'Uid', value: (r) => r.uid },
  { header: 'Pid', value: (r) => r.pid },
  { header: 'Expires', value: (r) => iso(r.expiresAt) },
  { header: 'Resource', value: (r) => r.resourceId },
]

interface AgentFlags {
  dataDir?: string
  stateDir?: string
  output?: OutputFormat
  query?: string
}

const agentOptions = (cmd: Command) =>
  cmd
    .option('--data-dir <dir>', 'Keyless data directory (default: $KEYLESS_HOME, else ./.keyless)')
    .option('--state-dir <dir>', 'state directory of a `keyless agent` (instead of --data-dir)')

export function registerRuns(program: Command): void {
  addRunCommands(program.command('runs').description('runs registered with the local agent'))
}

/** `list` and `remove` under `parent` (`keyless runs …`, and `keyless env list|remove`). */
export function addRunCommands(parent: Command): void {
  agentOptions(parent.command('list').description('list the runs'))
    .addOption(
      new Option('-o, --output <format>', 'output format (default: table at a terminal)').choices(
        OUTPUT_FORMATS,
      ),
    )
    .option('--query <jmespath>', 'JMESPath query applied to the JSON result')
    .action(async (flags: AgentFlags) => {
      const { socket } = locateAgent(flags, process.env)
      const { value } = await controlRequest<{ value: Run[] }>(socket, 'GET', '/runs')
      const format = flags.output ?? defaultFormat(process.stdout.isTTY)
      const text = render(value, { format, query: flags.query, columns: runColumns })
      if (text !== undefined) process.stdout.write(text + '\n')
    })
  agentOptions(parent.command('remove').description('remove a run: its callers get no more tokens'))
    .argument('<id>', 'the run id (as `keyless env` printed it, or from `keyless runs list`)')
    .action(async (id: string, flags: AgentFlags) => {
      const { socket } = locateAgent(flags, process.env)
      await controlRequest(socket, 'DELETE', `/runs/${encodeURIComponent(id)}`)
    })
}
