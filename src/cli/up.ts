// `keyless up`: the whole of Keyless in one process on an embedded store.
import type { Command } from 'commander'
import { loadConfig, type ConfigInput } from '../server/config.js'

interface UpFlags {
  dataDir?: string
  port?: string
  host?: string
  databaseUrl?: string
  logLevel?: string
  config?: string
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
    .action(async (flags: UpFlags) => {
      const input: ConfigInput & { config?: string } = {
        dataDir: flags.dataDir,
        port: flags.port === undefined ? undefined : Number(flags.port),
        host: flags.host,
        databaseUrl: flags.databaseUrl,
        logLevel: flags.logLevel,
        config: flags.config,
      }
      const config = loadConfig(input, process.env)
      // Loaded here, not at the top: every other command starts without the server's modules.
      const { startServer } = await import('../server/start.js')
      const { startLocalAgent } = await import('./local-agent.js')
      const server = await startServer(config, undefined, { publishNow: false })
      const agent = await startLocalAgent(server, config)
      console.log('Keyless is up.')
      const shown = {
        ...server.endpoints,
        identityEndpoint: agent.identityEndpoint,
        agentSocket: agent.controlSocket,
      }
      for (const [k, v] of Object.entries(shown)) console.log(`  ${k.padEnd(20)} ${v}`)
      console.log(`endpoints written to ${config.dataDir}/endpoints.json`)
      let closing = false
      const shutdown = (signal: string) => {
        if (closing) return
        closing = true
        server.app.log.info({ signal }, 'shutting down')
        agent
          .close()
          .then(() => server.close())
          .then(() => process.exit(0))
          .catch(() => process.exit(1))
      }
      process.once('SIGINT', () => shutdown('SIGINT'))
      process.once('SIGTERM', () => shutdown('SIGTERM'))
    })
}
