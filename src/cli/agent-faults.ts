// `keyless agent fault set|clear|list`: faults the local agent plays for users' retry code
// (agent/faults.ts), per compute resource (`--as`) or per run (`--run`). Only the agent's
// operator can set them: the commands talk to its control socket, as `keyless runs` does.
import { InvalidArgumentError, Option, type Command } from 'commander'
import type { FaultSetView } from '../agent/index.js'
import { formatFault, parseFault } from '../domain/fault-plan.js'
import { CliError, EXIT } from './errors.js'
import { defaultFormat, OUTPUT_FORMATS, render, type Column, type OutputFormat } from './output.js'
import { controlRequest, locateAgent } from './run.js'

interface FaultFlags {
  as?: string
  run?: string
  fault?: string[]
  dataDir?: string
  stateDir?: string
  output?: OutputFormat
}

/** `--fault <spec>`, repeatable, checked before anything is sent (normalised as the agent has it). */
export function faultOption(): Option {
  return new Option(
    '--fault <spec>',
    'inject a fault: 404|410|429|500|503[:<p>|:first=<n>] or delay:<n>ms[:<p>|:first=<n>]; repeatable',
  ).argParser((value: string, previous: string[] = []) => {
    try {
      return [...previous, formatFault(parseFault(value))]
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message)
    }
  })
}

interface Row {
  target: string
  spec: string
  injected: number
}

const columns: Column<Row>[] = [
  { header: 'Target', value: (r) => r.target },
  { header: 'Fault', value: (r) => r.spec },
  { header: 'Injected', value: (r) => r.injected },
]

export const describeTarget = (t: FaultSetView['target']) =>
  'runId' in t ? `run ${t.runId}` : t.resourceId

const rowsOf = (sets: FaultSetView[]): Row[] =>
  sets.flatMap((s) => s.faults.map((f) => ({ target: describeTarget(s.target), ...f })))

function targetOf(flags: FaultFlags, required: boolean): Record<string, string> {
  if (flags.as && flags.run) throw new CliError(EXIT.usage, 'give either --as or --run, not both')
  if (flags.as) return { resourceId: flags.as }
  if (flags.run) return { runId: flags.run }
  if (required) throw new CliError(EXIT.usage, 'name the target: --as <resource-id> or --run <id>')
  return {}
}

const common = (cmd: Command) =>
  cmd
    .option('--data-dir <dir>', 'Keyless data directory (default: $KEYLESS_HOME, else ./.keyless)')
    .option('--state-dir <dir>', 'state directory of a `keyless agent` (instead of --data-dir)')
    .addOption(
      new Option('-o, --output <format>', 'output format (default: table at a terminal)').choices(
        OUTPUT_FORMATS,
      ),
    )

const targeted = (cmd: Command) =>
  common(cmd)
    .option('--as <resource-id>', 'every request made as this compute resource')
    .option('--run <id>', 'the requests of one run (`keyless runs list`)')

function print(rows: Row[], flags: FaultFlags, data: unknown): void {
  const format = flags.output ?? defaultFormat(process.stdout.isTTY)
  const text = render(data, { format, columns, rows })
  if (text !== undefined) process.stdout.write(text + '\n')
}

export function registerAgentFaults(program: Command): void {
  const agent = program.commands.find((c) => c.name() === 'agent')
  if (!agent) throw new TypeError('register `keyless agent` first')
  const fault = agent
    .command('fault')
    .description("faults the agent injects into its identity endpoints, to test clients' retries")
  targeted(fault.command('set').description("replace a target's faults"))
    .addOption(faultOption().makeOptionMandatory())
    .action(async (flags: FaultFlags) => {
      const { socket } = locateAgent(flags, process.env)
      const set = await controlRequest<FaultSetView>(socket, 'PUT', '/faults', {
        ...targetOf(flags, true),
        faults: flags.fault,
      })
      print(rowsOf([set]), flags, set)
    })
  targeted(fault.command('clear').description("remove a target's faults (no target: all)")).action(
    async (flags: FaultFlags) => {
      const { socket } = locateAgent(flags, process.env)
      const query = new URLSearchParams(targetOf(flags, false)).toString()
      const r = await controlRequest<{ cleared: number }>(
        socket,
        'DELETE',
        `/faults${query ? `?${query}` : ''}`,
      )
      console.error(`${r.cleared} fault plan(s) cleared`)
    },
  )
  common(
    fault.command('list').description('the faults set, and how many answers each changed'),
  ).action(async (flags: FaultFlags) => {
    const { socket } = locateAgent(flags, process.env)
    const { value } = await controlRequest<{ value: FaultSetView[] }>(socket, 'GET', '/faults')
    print(rowsOf(value), flags, value)
  })
}
