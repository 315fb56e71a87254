// What every API command shares: the global options (`--data-dir`, `-o/--output`, `--query`,
// `--subscription`), a context holding the client and the printer, and one place that turns the
// options into both.
import { Command, InvalidArgumentError, Option } from 'commander'
import { createArmClient, type ArmClient } from './client.js'
import { loadInstallation, resolveDataDir } from './installation.js'
import { CliError, EXIT } from './errors.js'
import {
  defaultFormat,
  OUTPUT_FORMATS,
  queryProblem,
  render,
  type Column,
  type OutputFormat,
} from './output.js'

export interface GlobalFlags {
  dataDir?: string
  output?: OutputFormat
  query?: string
  subscription?: string
}

/** The options every command accepts; also accepted before the command (`keyless -o json …`). */
export const GLOBAL_OPTION_KEYS = ['dataDir', 'output', 'query', 'subscription'] as const

export function addGlobalOptions(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'Keyless data directory (default: $KEYLESS_HOME, else ./.keyless)')
    .addOption(
      new Option(
        '-o, --output <format>',
        'output format (default: table on a terminal, else json)',
      ).choices(OUTPUT_FORMATS),
    )
    .option('--query <jmespath>', 'JMESPath query applied to the JSON result (as in az)')
    .option(
      '--subscription <id>',
      "subscription id (default: the installation's subscription from endpoints.json)",
    )
}

export interface Context {
  readonly format: OutputFormat
  /** The `--query` expression, if any (commands that print several shapes apply it too). */
  readonly query?: string
  readonly client: ArmClient
  readonly subscriptionId: string
  /**
   * Prints `json` as given, or a table of `columns` over `rows` (by default `json` itself: one
   * row for an object, one per item of an array).
   */
  print<T>(json: unknown, columns: readonly Column<T>[], rows?: readonly T[]): void
}

export function createContext(flags: GlobalFlags, env: NodeJS.ProcessEnv): Context {
  const format = flags.output ?? defaultFormat(process.stdout.isTTY)
  const problem = flags.query === undefined ? undefined : queryProblem(flags.query)
  if (problem) throw new CliError(EXIT.usage, problem)
  let client: ArmClient | undefined
  const getClient = () =>
    (client ??= createArmClient(loadInstallation(resolveDataDir(flags.dataDir, env))))
  return {
    format,
    query: flags.query,
    get client() {
      return getClient()
    },
    get subscriptionId() {
      return flags.subscription ?? getClient().subscriptionId
    },
    print<T>(json: unknown, columns: readonly Column<T>[], rows?: readonly T[]) {
      const text = render(json, { format, query: flags.query, columns, rows })
      if (text !== undefined) process.stdout.write(text + '\n')
    },
  }
}

/**
 * Adds the global options to `cmd` and runs `handler` with the context, the positional
 * arguments and the command's options.
 */
export function apiCommand<O extends object>(
  cmd: Command,
  handler: (ctx: Context, args: string[], opts: O & GlobalFlags) => Promise<void>,
): Command {
  return addGlobalOptions(cmd).action(async (...params: unknown[]) => {
    const command = params[params.length - 1] as Command
    const opts = command.opts<O & GlobalFlags>()
    await handler(createContext(opts, process.env), command.processedArgs as string[], opts)
  })
}

/**
 * Global options given before the command name (`keyless --data-dir d vm list`) reach the
 * command that runs, unless it was given its own.
 */
export function inheritGlobalOptions(program: Command): void {
  program.hook('preAction', (_root, action) => {
    for (const key of GLOBAL_OPTION_KEYS) {
      if (!action.options.some((o) => o.attributeName() === key)) continue
      if (action.getOptionValue(key) !== undefined) continue
      for (let c = action.parent; c; c = c.parent) {
        const value: unknown = c.getOptionValue(key)
        if (value !== undefined) {
          action.setOptionValue(key, value)
          break
        }
      }
    }
  })
}

/** `--tags k=v k2=v2` (a bare `k` is an empty value, as in the Azure CLI). */
export function parseTag(value: string, previous: Record<string, string> | undefined) {
  const at = value.indexOf('=')
  const key = at < 0 ? value : value.slice(0, at)
  if (!key.trim()) throw new InvalidArgumentError(`'${value}' is not a tag: write key=value`)
  return { ...previous, [key]: at < 0 ? '' : value.slice(at + 1) }
}

export const tagsOption = () =>
  new Option('--tags <key=value...>', 'tags, space-separated key=value pairs').argParser(parseTag)

export const groupOption = (description = 'resource group') =>
  new Option('-g, --resource-group <group>', description).makeOptionMandatory()

const withExamples = new WeakSet<Command>()

/** Whether `examples()` gave the command an Examples section (help-examples.ts fills the rest). */
export const hasExamples = (cmd: Command): boolean => withExamples.has(cmd)

/** Appends an "Examples:" section (and a note under it) to a command's help. */
export function examples(cmd: Command, lines: readonly string[], note?: string): Command {
  withExamples.add(cmd)
  const text = lines.map((l) => `  $ ${l}`).join('\n')
  return cmd.addHelpText('after', `\nExamples:\n${text}${note ? `\n\n${note}` : ''}`)
}
