// `keyless ca rotate` and `keyless ca retire`: rotating the CA of a data directory (`keyless up`)
// while it is stopped (docs/deploy.md "Rotating the CA"). Replicas rotate theirs with
// `keyless server rotate-ca` / `retire-ca` (cli/server.ts).
import type { Command } from 'commander'
import { loadConfig } from '../server/config.js'
import { UP_DEFAULTS } from '../server/defaults.js'
import { CliError, EXIT } from './errors.js'

interface CaFlags {
  dataDir?: string
  host?: string
  config?: string
  databaseUrl?: string
  force?: boolean
}

/** The data directory, locked: a running `keyless up` keeps its CA set in memory. */
async function stopped(flags: CaFlags) {
  const config = loadConfig(
    {
      dataDir: flags.dataDir,
      host: flags.host,
      databaseUrl: flags.databaseUrl,
      config: flags.config,
    },
    process.env,
    // The names keyless up serves (its default vault host suffix included).
    UP_DEFAULTS,
  )
  const { lockDataDir, DataDirLocked } = await import('../server/data-dir-lock.js')
  try {
    return { config, lock: lockDataDir(config.dataDir) }
  } catch (error) {
    if (error instanceof DataDirLocked) {
      throw new CliError(EXIT.apiError, `${error.message}: stop it before changing its CA`)
    }
    throw error
  }
}

/** What the CA modules throw at an operator, as exit 1 with the reason. */
async function refusals<T>(run: () => Promise<T>): Promise<T> {
  const { CaRotationRefused } = await import('../server/ca-set.js')
  const { HostsNotMovedOver } = await import('../server/ca-retirement.js')
  try {
    return await run()
  } catch (error) {
    if (
      error instanceof CaRotationRefused ||
      error instanceof HostsNotMovedOver ||
      error instanceof TypeError
    ) {
      throw new CliError(EXIT.apiError, error.message)
    }
    throw error
  }
}

function common(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'data directory (default: $KEYLESS_HOME, else ./.keyless)')
    .option('--host <address>', 'the address keyless up listens on (its TLS names)')
    .option('--config <file>', 'JSON config file (default: <data-dir>/config.json)')
}

export function registerCa(program: Command): void {
  const ca = program
    .command('ca')
    .description('rotate the CA of a data directory (keyless up stopped): rotate, then retire')
  common(ca.command('rotate'))
    .description('create a new CA beside the active one; the old stays trusted until retired')
    .action(async (flags: CaFlags) => {
      const { config, lock } = await stopped(flags)
      try {
        const { rotateCaFiles } = await import('../server/ca-files.js')
        const { caSubject } = await import('../server/ca-set.js')
        const { tlsNames } = await import('../server/tls-material.js')
        const names = tlsNames(config.host, config.vaultHostSuffix?.toLowerCase())
        const set = await refusals(() => rotateCaFiles(config.dataDir, Date.now(), names))
        process.stdout.write(
          `${caSubject(set.active.certPem)} is the active CA; ${caSubject(set.previous!.certPem)} ` +
            'stays trusted. Start keyless up: new host certificates come from the new CA, and ' +
            'agents move over within their --ca-check-interval. Then: keyless ca retire\n',
        )
      } finally {
        lock.release()
      }
    })
  common(ca.command('retire'))
    .description(
      'stop trusting the previous CA (refused while active hosts still hold its certificates)',
    )
    .option('--database-url <url>', 'the PostgreSQL store keyless up was started with')
    .option('--force', 'retire even though hosts still hold certificates from the previous CA')
    .action(async (flags: CaFlags) => {
      const { config, lock } = await stopped(flags)
      try {
        const { existingCaSet, retireCaFiles } = await import('../server/ca-files.js')
        const { checkRetirement } = await import('../server/ca-retirement.js')
        const { caSubject, retiredCaSet } = await import('../server/ca-set.js')
        const { openStore } = await import('../store/index.js')
        const { join } = await import('node:path')
        await refusals(async () => {
          const set = existingCaSet(config.dataDir)
          retiredCaSet(set)
          const store = await openStore(
            config.databaseUrl
              ? { postgresUrl: config.databaseUrl }
              : { sqliteFile: join(config.dataDir, 'keyless.db') },
          )
          try {
            const forced = await checkRetirement(store, set, Date.now(), flags.force === true)
            for (const h of forced) {
              process.stderr.write(`keyless: warning: host ${h.id} (${h.name}) is cut off\n`)
            }
          } finally {
            await store.close()
          }
          retireCaFiles(config.dataDir, set)
          process.stdout.write(
            `${caSubject(set.previous!.certPem)} is retired; ${caSubject(set.active.certPem)} ` +
              'alone is trusted. Start keyless up: its TLS certificate is re-issued under it.\n',
          )
        })
      } finally {
        lock.release()
      }
    })
}
