// `keyless server`: one stateless replica on a shared PostgreSQL database (start-replica.ts);
// `keyless server credentials` writes what a client of the fleet needs (the CA, the operator's
// credential, endpoints.json with the public URL) into a directory the other commands read.
import { installationUrls } from '../server/installation-urls.js'
import { join, resolve } from 'node:path'
import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { loadConfig, type ConfigInput } from '../server/config.js'
import { CliError, EXIT, usageError } from './errors.js'
import { handleShutdownSignals, ignoreBrokenStdio } from './shutdown.js'

interface ServerFlags {
  databaseUrl?: string
  databaseSchema?: string
  masterKeyFile?: string
  publicUrl?: string
  listen?: string
  tlsCert?: string
  tlsKey?: string
  dataDir?: string
  logLevel?: string
  logFile?: string
  config?: string
}

/** `host:port`, `[v6]:port` or `:port` (every address). */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value)
  const port = Number(m?.[3])
  if (!m || port > 65535) throw usageError(`--listen must be host:port, not ${value}`)
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port }
}

function common(command: Command): Command {
  return command
    .option('--database-url <url>', 'PostgreSQL URL (or KEYLESS_DATABASE_URL)')
    .option('--database-schema <name>', 'schema of every table (default: the search path)')
    .option(
      '--master-key-file <file>',
      'the master key, the same on every replica (or KEYLESS_MASTER_KEY_FILE)',
    )
    .option(
      '--public-url <url>',
      'https://host:port every client reaches the replicas by (or KEYLESS_PUBLIC_URL)',
    )
    .option('--config <file>', 'JSON config file')
}

async function replicaOptions(flags: ServerFlags) {
  const listen = parseListen(flags.listen ?? process.env.KEYLESS_LISTEN ?? '127.0.0.1:8443')
  const input: ConfigInput & { config?: string } = {
    databaseUrl: flags.databaseUrl,
    host: listen.host,
    port: listen.port,
    dataDir: flags.dataDir,
    logLevel: flags.logLevel,
    // A replica is supervised (systemd, Kubernetes): its log goes where the supervisor reads.
    logFile: flags.logFile ?? '-',
    config: flags.config,
  }
  const config = loadConfig(input, process.env)
  if (config.databaseUrl === undefined) throw usageError('keyless server needs --database-url')
  const keyFile = flags.masterKeyFile ?? process.env.KEYLESS_MASTER_KEY_FILE
  if (!keyFile)
    throw usageError('keyless server needs --master-key-file (or KEYLESS_MASTER_KEY_FILE)')
  const publicUrl = flags.publicUrl ?? process.env.KEYLESS_PUBLIC_URL
  if (!publicUrl) throw usageError('keyless server needs --public-url (or KEYLESS_PUBLIC_URL)')
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw usageError('--tls-cert and --tls-key go together')
  }
  const { readMasterKey } = await import('../server/data-dir.js')
  const read = (file: string) => readFileSync(file, 'utf8')
  return {
    config,
    masterKey: readMasterKey(resolve(keyFile)),
    publicUrl,
    databaseSchema: flags.databaseSchema,
    ...(flags.tlsCert !== undefined && {
      tls: { certPem: read(flags.tlsCert), keyPem: read(flags.tlsKey!) },
    }),
  }
}

/** Starts a replica, turning a refused start into exit 1 with the reason. */
async function start(flags: ServerFlags) {
  const options = await replicaOptions(flags)
  const { startReplica } = await import('../server/start-replica.js')
  const { MasterKeyMismatch } = await import('../server/cluster-state.js')
  try {
    return await startReplica(options)
  } catch (error) {
    if (error instanceof MasterKeyMismatch || error instanceof TypeError) {
      throw new CliError(EXIT.apiError, error.message)
    }
    throw error
  }
}

/** Opens the cluster's store for a CA command; refusals become exit 1 with the reason. */
async function withClusterCa(
  flags: ServerFlags,
  run: (c: {
    store: import('../store/store.js').Store
    keys: import('../common/key-hierarchy.js').KeyHierarchy
    base: string
    options: Awaited<ReturnType<typeof replicaOptions>>
  }) => Promise<void>,
): Promise<void> {
  const options = await replicaOptions(flags)
  const { openPostgresStore } = await import('../store/postgres.js')
  const { checkPublicUrl } = await import('../server/start-replica.js')
  const { deriveKeyHierarchy } = await import('../common/key-hierarchy.js')
  const { MasterKeyMismatch } = await import('../server/cluster-state.js')
  const { CaRotationRefused } = await import('../server/ca-set.js')
  const { HostsNotMovedOver } = await import('../server/ca-retirement.js')
  const base = checkPublicUrl(options.publicUrl)
  const store = await openPostgresStore(options.config.databaseUrl!, {
    ...(options.databaseSchema !== undefined && { schema: options.databaseSchema }),
  })
  try {
    await run({ store, keys: deriveKeyHierarchy(options.masterKey), base, options })
  } catch (error) {
    if (
      error instanceof MasterKeyMismatch ||
      error instanceof CaRotationRefused ||
      error instanceof HostsNotMovedOver ||
      error instanceof TypeError
    ) {
      throw new CliError(EXIT.apiError, error.message)
    }
    throw error
  } finally {
    await store.close()
  }
}

export function registerServer(program: Command): void {
  const server = program
    .command('server')
    .description('run one stateless replica on a shared PostgreSQL database (see docs/replicas.md)')
  common(server.command('start', { isDefault: true }))
    .description('run a replica (the default)')
    .option('--listen <host:port>', 'where this replica listens (default 127.0.0.1:8443)')
    .option('--tls-cert <file>', "this replica's own certificate instead of the cluster's")
    .option('--tls-key <file>', 'its key')
    .option('--data-dir <dir>', 'local directory for blob content (default ./.keyless)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
    .option('--log-file <file>', 'request log, JSON lines (default - for stdout)')
    .action(async (flags: ServerFlags) => {
      ignoreBrokenStdio()
      const replica = await start(flags)
      handleShutdownSignals({
        log: (fields, message) => replica.app.log.info(fields, message),
        releaseSync: () => undefined,
        close: () => replica.close(),
      })
      process.stdout.write(JSON.stringify({ ready: true, ...replica.endpoints }) + '\n')
    })
  server
    .command('rotate-master-key')
    .description(
      're-seal everything under a new master key, in one transaction (stop every replica first)',
    )
    .option('--database-url <url>', 'PostgreSQL URL (or KEYLESS_DATABASE_URL)')
    .option('--database-schema <name>', 'schema of every table (default: the search path)')
    .requiredOption('--old <file>', 'the master key the replicas run with now')
    .requiredOption('--new <file>', 'the master key to run them with from now on')
    .action(
      async (flags: {
        databaseUrl?: string
        databaseSchema?: string
        old: string
        new: string
      }) => {
        const url = flags.databaseUrl ?? process.env.KEYLESS_DATABASE_URL
        if (!url) throw usageError('rotate-master-key needs --database-url')
        const { readMasterKey } = await import('../server/data-dir.js')
        const oldKey = readMasterKey(resolve(flags.old))
        const newKey = readMasterKey(resolve(flags.new))
        if (Buffer.from(oldKey).equals(Buffer.from(newKey))) {
          throw usageError('--old and --new hold the same key')
        }
        const { openPostgresStore } = await import('../store/postgres.js')
        const { rotateMasterKey } = await import('../server/rotate-master-key.js')
        const { MasterKeyMismatch } = await import('../server/cluster-state.js')
        const store = await openPostgresStore(url, {
          ...(flags.databaseSchema !== undefined && { schema: flags.databaseSchema }),
        })
        try {
          const counts = await rotateMasterKey(store, oldKey, newKey, Date.now())
          process.stdout.write(
            `re-sealed under the new master key: ${Object.entries(counts)
              .map(([k, n]) => `${n} ${k}`)
              .join(', ')}; start every replica with --master-key-file ${flags.new}\n`,
          )
        } catch (error) {
          if (error instanceof MasterKeyMismatch || error instanceof TypeError) {
            throw new CliError(EXIT.apiError, error.message)
          }
          throw error
        } finally {
          await store.close()
        }
      },
    )
  common(server.command('rotate-ca'))
    .description("publish a new CA beside the cluster's active one (then restart every replica)")
    .action(async (flags: ServerFlags) => {
      await withClusterCa(flags, async ({ store, keys, base, options }) => {
        const { rotateClusterCa } = await import('../server/cluster-ca.js')
        const { replicaTlsNames } = await import('../server/start-replica.js')
        const { caSubject } = await import('../server/ca-set.js')
        const names = replicaTlsNames(base, options.config.vaultHostSuffix)
        const set = await rotateClusterCa(store, keys, Date.now(), names)
        process.stdout.write(
          `${caSubject(set.active.certPem)} is the active CA; ${caSubject(set.previous!.certPem)} ` +
            'stays trusted. Restart every replica, wait for the agents to move over ' +
            '(--ca-check-interval), then: keyless server retire-ca\n',
        )
      })
    })
  common(server.command('retire-ca'))
    .description('stop trusting the previous CA (refused while active hosts hold its certificates)')
    .option('--force', 'retire even though hosts still hold certificates from the previous CA')
    .action(async (flags: ServerFlags & { force?: boolean }) => {
      await withClusterCa(flags, async ({ store, keys }) => {
        const { retireClusterCa } = await import('../server/cluster-ca.js')
        const { caSubject } = await import('../server/ca-set.js')
        const { set, forced } = await retireClusterCa(store, keys, Date.now(), flags.force === true)
        for (const h of forced) {
          process.stderr.write(`keyless: warning: host ${h.id} (${h.name}) is cut off\n`)
        }
        process.stdout.write(
          `${caSubject(set.active.certPem)} alone is trusted. Restart every replica: the shared ` +
            'TLS certificate is re-issued under it; then run keyless server credentials again\n',
        )
      })
    })
  common(server.command('credentials'))
    .description('write ca.crt, admin.json and endpoints.json for clients of the fleet')
    .requiredOption(
      '--out-dir <dir>',
      'directory to write them to (then: keyless --data-dir <dir> …)',
    )
    .action(async (flags: ServerFlags & { outDir: string }) => {
      const options = await replicaOptions(flags)
      const { openPostgresStore } = await import('../store/postgres.js')
      const { openClusterState } = await import('../server/cluster-state.js')
      const { replicaTlsNames, checkPublicUrl } = await import('../server/start-replica.js')
      const { deriveKeyHierarchy } = await import('../common/key-hierarchy.js')
      const { ensureDir, writeFileAtomic, writeSecretFile } = await import('../common/files.js')
      const { caBundle } = await import('../server/ca-set.js')
      const base = checkPublicUrl(options.publicUrl)
      const store = await openPostgresStore(options.config.databaseUrl!, {
        ...(options.databaseSchema !== undefined && { schema: options.databaseSchema }),
      })
      try {
        const state = await openClusterState(store, deriveKeyHierarchy(options.masterKey), {
          now: Date.now(),
          names: replicaTlsNames(base, options.config.vaultHostSuffix),
        })
        const dir = resolve(flags.outDir)
        ensureDir(dir)
        writeFileAtomic(join(dir, 'ca.crt'), caBundle(state.ca))
        writeSecretFile(join(dir, 'admin.json'), JSON.stringify(state.operator, null, 2) + '\n')
        const endpoints = {
          ...installationUrls(base, state.installation),
          caCertFile: join(dir, 'ca.crt'),
          adminCredentialFile: join(dir, 'admin.json'),
        }
        writeFileAtomic(join(dir, 'endpoints.json'), JSON.stringify(endpoints, null, 2) + '\n')
        process.stdout.write(`wrote ca.crt, admin.json and endpoints.json to ${dir}\n`)
      } catch (error) {
        const { MasterKeyMismatch } = await import('../server/cluster-state.js')
        if (error instanceof MasterKeyMismatch) throw new CliError(EXIT.apiError, error.message)
        throw error
      } finally {
        await store.close()
      }
    })
}
