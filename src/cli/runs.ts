// `keyless runs list|add|remove` (also `keyless env list|remove`): the runs the local agent
// serves (those of `keyless run` end with their program; those of `keyless env` when they
// expire, or when removed here). `add --netns` places a VM in its network namespace: IMDS at
// 169.254.169.254:80 there, until removed.
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
  { header: 'Netns', value: (r) => r.netns ?? '' },
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
  const runs = program.command('runs').description('runs registered with the local agent')
  addRunCommands(runs)
  agentOptions(
    runs
      .command('add')
      .description(
        "serve a VM's identities at 169.254.169.254:80 inside its network namespace, as Azure IMDS (needs root)",
      ),
  )
    .requiredOption('--as <resource-id>', 'ARM id of the compute resource (placed on this host)')
    .requiredOption('--netns <name>', 'the network namespace (created if absent)')
    .addOption(outputOption())
    .action(async (flags: AgentFlags & { as: string; netns: string }) => {
      const { socket } = locateAgent(flags, process.env)
      const run = await controlRequest<Run>(socket, 'POST', '/runs', {
        resourceId: flags.as,
        protocol: 'imds',
        netns: flags.netns,
      })
      const format = flags.output ?? defaultFormat(process.stdout.isTTY)
      const text = render(run, { format, columns: runColumns })
      if (text !== undefined) process.stdout.write(text + '\n')
    })
}

/** `list` and `remove` under `parent` (`keyless runs …`, and `keyless env list|remove`). */
const outputOption = () =>
  new Option('-o, --output <format>', 'output format (default: table at a terminal)').choices(
    OUTPUT_FORMATS,
  )

export function addRunCommands(parent: Command): void {
  agentOptions(parent.command('list').description('list the runs'))
    .addOption(outputOption())
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
