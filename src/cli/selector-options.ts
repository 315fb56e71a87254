// `--allow-uid`, `--allow-gid`, `--allow-unit`, `--allow-cgroup`, `--allow-exe`, `--allow-sha256`
// on the commands that attach identities: process selectors (a Keyless extension,
// domain/process-selectors.ts) put on every identity the command names, as `keylessSelectors`
// of `identity` (system-assigned) and of each user-assigned value. The server validates them.
import { Option, type Command } from 'commander'
import { SELECTORS_PROPERTY, SELECTOR_KINDS } from '../domain/process-selectors.js'
import type { ArmIdentity } from './identity-args.js'

const DESCRIPTIONS: Record<(typeof SELECTOR_KINDS)[number], string> = {
  uid: 'only processes running as one of these uids get its tokens',
  gid: 'only processes whose effective gid is one of these',
  unit: 'only processes of one of these systemd units (e.g. app.service)',
  cgroup: 'only processes in a cgroup under one of these paths (cgroup v2)',
  exe: 'only processes running one of these executables (absolute path)',
  sha256: 'only processes whose executable has one of these SHA-256 hashes',
}

export type SelectorOptions = Partial<Record<`allow${Capitalize<string>}`, string[]>>

const optionKey = (kind: string) => `allow${kind[0]!.toUpperCase()}${kind.slice(1)}`

export function addSelectorOptions(cmd: Command): Command {
  for (const kind of SELECTOR_KINDS) {
    cmd.addOption(new Option(`--allow-${kind} <${kind}...>`, DESCRIPTIONS[kind]))
  }
  return cmd
}

/** The `keylessSelectors` the options give; undefined when none was given. */
export function selectorsOf(opts: object): Record<string, string[]> | undefined {
  const out: Record<string, string[]> = {}
  for (const kind of SELECTOR_KINDS) {
    const values = (opts as Record<string, string[] | undefined>)[optionKey(kind)]
    if (values?.length) out[kind] = values
  }
  return Object.keys(out).length ? out : undefined
}

/** `identity` with the selectors on the system identity (if named) and each listed one. */
export function withSelectors(
  identity: ArmIdentity,
  system: boolean,
  selectors: Record<string, string[]> | undefined,
): ArmIdentity {
  if (!selectors) return identity
  const out: ArmIdentity & Record<string, unknown> = { ...identity }
  if (system) out[SELECTORS_PROPERTY] = selectors
  if (identity.userAssignedIdentities) {
    out.userAssignedIdentities = Object.fromEntries(
      Object.entries(identity.userAssignedIdentities).map(([id, v]) => [
        id,
        v === null ? null : { ...v, [SELECTORS_PROPERTY]: selectors },
      ]),
    )
  }
  return out
}
