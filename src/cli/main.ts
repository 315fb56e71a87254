// The `keyless` command. Every command but `up` talks to the HTTP API like any other client.
import { Command, CommanderError } from 'commander'
import { registerUp } from './up.js'
import { registerServer } from './server.js'
import { registerCa } from './ca.js'
import { registerAgent } from './agent.js'
import { registerAgentFaults } from './agent-faults.js'
import { registerRun } from './run.js'
import { registerEnv } from './env.js'
import { registerStatus } from './status.js'
import { registerRuns } from './runs.js'
import { addGlobalOptions, inheritGlobalOptions } from './command.js'
import { CliError, describeError, EXIT } from './errors.js'
import { registerGroup } from './commands/group.js'
import { registerVm } from './commands/vm.js'
import { registerWebapp } from './commands/webapp.js'
import { registerIdentity } from './commands/identity.js'
import { registerSp } from './commands/sp.js'
import { registerRole } from './commands/role.js'
import { registerAccess } from './commands/access.js'
import { registerHost } from './commands/host.js'
import { registerVault } from './commands/vault.js'
import { registerStorage } from './commands/storage.js'
import { registerCompletion } from './completion.js'
import { registerLogs } from './commands/logs.js'
import { addMissingExamples } from './help-examples.js'
import { registerAzCloud } from './az-cloud.js'
import { registerIssuer } from './issuer.js'
import { registerOidc } from './commands/oidc.js'
import { registerPortal } from './commands/portal.js'

const program = new Command()
  .name('keyless')
  .description('Azure managed identities for your own machines')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  // Options before a command name are the program's; after it, the command's (so that
  // `keyless up --data-dir d` reaches `up`). Set before any command: subcommands copy it.
  .enablePositionalOptions()
  // Usage errors exit 2, help and --version 0 (commander would exit 1 for both kinds of error).
  .exitOverride((err: CommanderError) => {
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage)
  })
addGlobalOptions(program)
program.addHelpText(
  'after',
  `
Exit codes: 0 success, 1 the API refused or failed, 2 usage error, 3 not found,
4 Keyless cannot be reached (or no endpoints.json: run \`keyless up\`).`,
)
inheritGlobalOptions(program)

// Grouped as az groups its help: what runs Keyless, then what it manages.
program.commandsGroup('Run Keyless and programs:')
registerUp(program)
registerServer(program)
registerCa(program)
registerAgent(program)
registerAgentFaults(program)
registerRun(program)
registerEnv(program)
registerRuns(program)
registerStatus(program)
registerAzCloud(program)
registerIssuer(program)
program.commandsGroup('Resources:')
registerGroup(program)
registerVm(program)
registerWebapp(program)
program.commandsGroup('Identities:')
registerIdentity(program)
registerSp(program)
registerOidc(program)
program.commandsGroup('Access:')
registerRole(program)
registerAccess(program)
program.commandsGroup('Hosts:')
registerHost(program)
program.commandsGroup('Data:')
registerVault(program)
registerStorage(program)
program.commandsGroup('Logs:')
registerLogs(program)
program.commandsGroup('Portal:')
registerPortal(program)
program.commandsGroup('Shell:')
registerCompletion(program)
// KEYLESS_HELP_AUDIT=1: list the commands that still have no example (cli.help test), then exit.
const noExample = addMissingExamples(program)
if (process.env.KEYLESS_HELP_AUDIT === '1') {
  process.stdout.write(JSON.stringify(noExample) + '\n')
  process.exit(0)
}

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(describeError(err))
  process.exitCode = err instanceof CliError ? err.exitCode : EXIT.apiError
})
