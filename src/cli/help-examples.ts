// One example for each command whose own file gives none, as `az <command> --help` always shows
// one. Commands built from a shared description (resource-commands.ts) make their own; these are
// the hand-written ones. cli.help test checks that every command ends up with an example.
import type { Command } from 'commander'
import { examples, hasExamples } from './command.js'

const EXAMPLES: Record<string, string> = {
  up: 'keyless up --data-dir ./.keyless --port 8443',
  'server start':
    'keyless server --database-url postgres://keyless@db/keyless --master-key-file /etc/keyless/master.key --public-url https://keyless.example.test:8443',
  'server rotate-master-key':
    'keyless server rotate-master-key --database-url postgres://keyless@db/keyless --old old.key --new new.key',
  'server credentials':
    'keyless server credentials --database-url postgres://keyless@db/keyless --master-key-file master.key --public-url https://keyless.example.test:8443 --data-dir ./client',
  'server rotate-ca':
    'keyless server rotate-ca --database-url postgres://keyless@db/keyless --master-key-file master.key --public-url https://keyless.example.test:8443',
  'server retire-ca':
    'keyless server retire-ca --database-url postgres://keyless@db/keyless --master-key-file master.key --public-url https://keyless.example.test:8443',
  'ca rotate': 'keyless ca rotate --data-dir ./.keyless',
  'ca retire': 'keyless ca retire --data-dir ./.keyless',
  'agent fault set':
    'keyless agent fault set --as <web app id> --fault 503:first=2 --fault delay:200ms',
  'agent fault clear': 'keyless agent fault clear --as <web app id>',
  'agent fault list': 'keyless agent fault list -o json',
  run: 'keyless run --as <web app id> -- node app.js',
  'env list': 'keyless env list -o table',
  'env remove': 'keyless env remove <run id>',
  'runs list': 'keyless runs list -o json',
  'runs remove': 'keyless runs remove <run id>',
  'runs add': 'keyless runs add --as <vm id> --netns vm1',
  status: 'keyless status -o json',
  'group create': 'keyless group create rg1 -l westeurope --tags env=dev',
  'group show': 'keyless group show rg1 --query properties.provisioningState -o tsv',
  'group list': 'keyless group list -o table',
  'vm identity show': 'keyless vm identity show vm1 -g rg1 --query principalId -o tsv',
  'webapp identity show': 'keyless webapp identity show app1 -g rg1 -o json',
  'webapp slot identity show': 'keyless webapp slot identity show app1 staging -g rg1 -o json',
  'identity create': 'keyless identity create id1 -g rg1 -o table',
  'identity show': 'keyless identity show id1 -g rg1 --query clientId -o tsv',
  'identity list': 'keyless identity list -g rg1 -o table',
  'identity delete': 'keyless identity delete id1 -g rg1 --yes',
  'role definition list': 'keyless role definition list --custom-only -o table',
  'role definition show': 'keyless role definition show "Key Vault Secrets User" -o json',
  'role definition delete': 'keyless role definition delete "Orders Reader"',
  'host list': 'keyless host list -o table',
}

/** The command's words after the program's name: `vm identity show`. */
function pathOf(cmd: Command): string {
  const words: string[] = []
  for (let c: Command | null = cmd; c?.parent; c = c.parent) words.unshift(c.name())
  return words.join(' ')
}

/** Every command without subcommands (but `help`), depth first. */
export function leafCommands(cmd: Command): Command[] {
  const own = cmd.commands.filter((c) => c.name() !== 'help')
  return own.length === 0 ? [cmd] : own.flatMap(leafCommands)
}

/** Adds the table's example to each leaf that has none; returns the paths still without one. */
export function addMissingExamples(program: Command): string[] {
  const missing: string[] = []
  for (const cmd of leafCommands(program)) {
    if (hasExamples(cmd)) continue
    const line = EXAMPLES[pathOf(cmd)]
    if (line === undefined) missing.push(pathOf(cmd))
    else examples(cmd, [line])
  }
  return missing
}
