// `keyless up`: the whole of Keyless in one process on an embedded store.
import type { Command } from 'commander'
import { loadConfig, type ConfigInput } from '../server/config.js'
import { UP_DEFAULTS } from '../server/defaults.js'
import { CliError, EXIT } from './errors.js'
import { handleShutdownSignals, ignoreBrokenStdio } from './shutdown.js'

interface UpFlags {
  dataDir?: string
  port?: string
  host?: string
  databaseUrl?: string
  logLevel?: string
  config?: string
  logFile?: string
  vaultHostSuffix?: string
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description(
      'run Keyless locally: token service, control plane and agent, SQLite in the data directory',
    )
    .option('--data-dir <dir>', 'data directory (default: $KEYLESS_HOME, else ./.keyless)')
    .option('--port <port>', 'HTTPS port; 0 picks free ports (default 8443)')
    .option('--host <address>', 'address to listen on (default 127.0.0.1)')
    .option('--database-url <url>', 'PostgreSQL URL instead of the embedded SQLite store')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
    .option('--config <file>', 'JSON config file (default: <data-dir>/config.json)')
    .option(
      '--vault-host-suffix <suffix>',
      `vaults at https://<vault>.<suffix>:<port>/ (default ${UP_DEFAULTS.vaultHostSuffix}; '' for 127.0.0.1 URLs only)`,
    )
    .option(
      '--log-file <file>',
      'request log, JSON lines (default <data-dir>/keyless.log; - for stdout)',
    )
    .action(async (flags: UpFlags) => {
      const input: ConfigInput & { config?: string } = {
        dataDir: flags.dataDir,
        port: flags.port === undefined ? undefined : Number(flags.port),
        host: flags.host,
        databaseUrl: flags.databaseUrl,
        logLevel: flags.logLevel,
        logFile: flags.logFile,
        config: flags.config,
        vaultHostSuffix: flags.vaultHostSuffix,
      }
      const config = loadConfig(input, process.env, UP_DEFAULTS)
      ignoreBrokenStdio()
      // Loaded here, not at the top: every other command starts without the server's modules.
      const { startServer } = await import('../server/start.js')
      const { DataDirLocked } = await import('../server/data-dir-lock.js')
      const { startLocalAgent } = await import('./local-agent.js')
      let server
      try {
        server = await startServer(config, undefined, { publishNow: false, agentExpected: true })
      } catch (error) {
        if (error instanceof DataDirLocked) throw new CliError(EXIT.apiError, error.message)
        throw error
      }
      const log = server.app.log
      for (const warning of server.warnings) console.error(`keyless: warning: ${warning}`)
      let agent
      try {
        agent = await startLocalAgent(server, config)
      } catch (error) {
        await server.close()
        throw error
      }
      server.setAgentReady()
      handleShutdownSignals({
        log: (fields, message) => log.info(fields, message),
        releaseSync: server.releaseSync,
        close: async () => {
          await agent.close()
          await server.close()
        },
      })
      process.once('exit', server.releaseSync)
      const shown = {
        ...server.endpoints,
        identityEndpoint: agent.identityEndpoint,
        agentSocket: agent.controlSocket,
      }
      const lines = Object.entries(shown).map(([k, v]) => `  ${k.padEnd(20)} ${v}`)
      process.stdout.write(
        [
          'Keyless is up.',
          ...lines,
          `endpoints written to ${config.dataDir}/endpoints.json`,
          '',
        ].join('\n'),
      )
      const logs = server.logFile === '-' ? 'stdout' : server.logFile
      process.stderr.write(
        `keyless: ready at ${server.endpoints.authorityHost} (pid ${process.pid}, data dir ${config.dataDir}, logs in ${logs})\n`,
      )
    })
}
