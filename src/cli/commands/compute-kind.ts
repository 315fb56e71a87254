// A compute resource type as the CLI sees it (one table entry per type: vm, webapp, webapp
// slot) and the helpers its commands share.
import type { Command } from 'commander'
import type { Context } from '../command.js'
import { API_VERSIONS, resourcePath, userAssignedIdentityId } from '../arm-paths.js'
import { parseIdentityArgs } from '../identity-args.js'

export interface NameArgument {
  arg: string
  description: string
  sample: string
}

export interface CreateDefaults {
  location: string
  kind?: string | null
}

export interface ComputeKind {
  /** The command word: `vm`, `webapp`, `slot`. */
  command: string
  /** How the commands call it: `virtual machine`. */
  label: string
  /** The words before the command in examples: `keyless` or `keyless webapp`. */
  prefix: string
  /** ARM type, e.g. `Microsoft.Web/sites/slots`. */
  type: string
  /** One positional name per level of the type: `[app, slot]` for a slot. */
  names: readonly NameArgument[]
  /** The table shows `kind` (App Service: app or functionapp). */
  showKind?: boolean
  /** Adds create options of this type (e.g. `--kind`). */
  createOptions?: (cmd: Command) => Command
  /** Location and kind when `-l` is not given; by default the group's location. */
  createDefaults?: (ctx: Context, group: string, names: string[]) => Promise<CreateDefaults>
  /** `kind` from the create options. */
  kindOf?: (opts: object) => string | undefined
}

export interface Located {
  resourceGroup: string
}

export const words = (kind: ComputeKind) => `${kind.prefix} ${kind.command}`
export const samples = (names: readonly NameArgument[]) => names.map((n) => n.sample).join(' ')

export function withNames(cmd: Command, names: readonly NameArgument[]): Command {
  for (const n of names) cmd.argument(`<${n.arg}>`, n.description)
  return cmd
}

export function path(ctx: Context, kind: ComputeKind, group: string, names: string[]): string {
  return resourcePath(ctx.subscriptionId, group, kind.type, names)
}

export const apiVersion = (kind: ComputeKind) => API_VERSIONS[kind.type]!

/** `--assign-identity` and `--identities` values, with bare names resolved in `group`. */
export function identityRequest(ctx: Context, group: string, values: readonly string[]) {
  return parseIdentityArgs(values, (name) =>
    userAssignedIdentityId(ctx.subscriptionId, group, name),
  )
}
