// `keyless agent`: the agent on a host other than the server's. It enrolls once with a join
// token, then serves the identity endpoints to local workloads until stopped.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Command, InvalidArgumentError } from 'commander'
import { pino } from 'pino'
import { ARC_TOKENS_DIR, parseListenAddress, startAgent } from '../agent/index.js'
import { CliError, EXIT } from './errors.js'
import { handleShutdownSignals } from './shutdown.js'

interface AgentFlags {
  server?: string[]
  joinToken?: string
  joinTokenFile?: string
  name?: string
  caFile?: string
  trustSystemRoots?: boolean
  stateDir?: string
  listen?: string
  port?: number
  arcTokensDir?: string
  arcGroup?: number
  machinePort?: number
  ratePerSecond?: number
  concurrent?: number
  metricsListen?: { host: string; port: number }
  caCheckInterval: number
  signIns: boolean
  logLevel: string
}

/** `--state-dir`, else $KEYLESS_AGENT_HOME, else ./.keyless-agent. */
export function resolveAgentStateDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolve(flag ?? (env.KEYLESS_AGENT_HOME || './.keyless-agent'))
}

const metricsAddress = (value: string) => {
  try {
    return parseListenAddress(value)
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message)
  }
}

const integer = (min: number) => (value: string) => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min)
    throw new InvalidArgumentError(`expected an integer ≥ ${min}`)
  return n
}

const positive = (value: string) => {
  const n = Number(value)
  if (!(n > 0)) throw new InvalidArgumentError('expected a positive number')
  return n
}

/** The join token from `--join-token`, `--join-token-file`, $KEYLESS_JOIN_TOKEN or
 * $KEYLESS_JOIN_TOKEN_FILE, in that order; a file or the environment keeps it out of `ps`. */
export function resolveJoinToken(
  flags: Pick<AgentFlags, 'joinToken' | 'joinTokenFile'>,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (flags.joinToken) return flags.joinToken
  const file = flags.joinTokenFile ?? env.KEYLESS_JOIN_TOKEN_FILE
  if (file) {
    let token: string
    try {
      token = readFileSync(file, 'utf8').trim()
    } catch (err) {
      throw new CliError(
        EXIT.usage,
        `cannot read the join token file ${file}: ${(err as Error).message}`,
      )
    }
    if (!token) throw new CliError(EXIT.usage, `the join token file ${file} is empty`)
    return token
  }
  return env.KEYLESS_JOIN_TOKEN || undefined
}

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description(
      'run the Keyless agent on this host: serves managed-identity tokens to local workloads',
    )
    // Not mandatory to commander: it would ask it of `keyless agent fault …` too.
    .option(
      '--server <url>',
      'the Keyless server, e.g. https://keyless.example:8443; repeat it (or separate by commas) for replicas to fail over to',
      (value: string, previous: string[] = []) => [
        ...previous,
        ...value
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean),
      ],
    )
    .option(
      '--join-token <token>',
      'one-time join token (first start only). Visible in the process list and shell history: prefer $KEYLESS_JOIN_TOKEN or --join-token-file',
    )
    .option(
      '--join-token-file <file>',
      'read the join token from a file (or $KEYLESS_JOIN_TOKEN_FILE); the file may be deleted after the first start',
    )
    .option(
      '--name <name>',
      "this host's name at enrollment, and its machine resource's (default: the host name)",
    )
    .option(
      '--ca-file <pem>',
      "CA certificate of the server's TLS certificate (default: the one saved at enrollment)",
    )
    .option(
      '--trust-system-roots',
      'trust the system roots besides the CA (server behind a public certificate)',
    )
    .option(
      '--state-dir <dir>',
      'agent state (default: $KEYLESS_AGENT_HOME, else ./.keyless-agent)',
    )
    .option(
      '--listen <address>',
      'loopback or link-local address of the identity endpoints',
      '127.0.0.1',
    )
    .option(
      '--port <port>',
      'port of the App Service endpoint (default: the previous one, else free)',
      integer(0),
    )
    .option('--arc-tokens-dir <dir>', 'directory of Arc challenge keys', ARC_TOKENS_DIR)
    .option(
      '--arc-group <gid>',
      'group allowed to read Arc challenge keys (default: root only)',
      integer(0),
    )
    .option(
      '--machine-port <port>',
      "port of the machine's own Arc endpoint, when the host has a machine resource (0: free)",
      integer(0),
      40342,
    )
    .option('--rate-per-second <n>', 'token requests per second per caller', positive)
    .option('--concurrent <n>', 'token requests in progress per caller', integer(1))
    .option(
      '--metrics-listen <host:port>',
      'also serve Prometheus /metrics on this TCP address, unauthenticated (default: only on the control socket)',
      metricsAddress,
    )
    .option(
      '--ca-check-interval <seconds>',
      "how often to fetch the installation's CA bundle, to follow a CA rotation",
      positive,
      3600,
    )
    .option(
      '--no-sign-ins',
      "do not record token requests in the installation's sign-in log (on by default)",
    )
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent', 'info')
    .action(async (flags: AgentFlags) => {
      let caCertPem: string | undefined
      if (flags.caFile) {
        try {
          caCertPem = readFileSync(flags.caFile, 'utf8')
        } catch (err) {
          throw new CliError(
            EXIT.usage,
            `cannot read --ca-file ${flags.caFile}: ${(err as Error).message}`,
          )
        }
      }
      const logger = pino({
        level: flags.logLevel,
        redact: ['joinToken', 'req.headers.authorization'],
      })
      const rateLimits = {
        ...(flags.ratePerSecond ? { perSecond: flags.ratePerSecond } : {}),
        ...(flags.concurrent ? { concurrent: flags.concurrent } : {}),
      }
      const [serverUrl, ...serverUrls] = flags.server ?? []
      if (!serverUrl) throw new CliError(EXIT.usage, 'required option --server <url> not specified')
      const agent = await startAgent({
        serverUrl,
        serverUrls,
        caCertPem,
        trustSystemRoots: flags.trustSystemRoots === true,
        stateDir: resolveAgentStateDir(flags.stateDir, process.env),
        joinToken: resolveJoinToken(flags, process.env),
        hostName: flags.name,
        logger,
        listenHost: flags.listen,
        appServicePort: flags.port,
        arcTokensDir: flags.arcTokensDir,
        arcGroupId: flags.arcGroup,
        machinePort: flags.machinePort,
        rateLimits,
        metricsListen: flags.metricsListen,
        caCheckIntervalMs: flags.caCheckInterval * 1000,
        ...(!flags.signIns && { signIns: false as const }),
      })
      console.log('Keyless agent is up.')
      console.log(`  hostId               ${agent.hostId}`)
      console.log(`  identityEndpoint     ${agent.identityEndpoint}`)
      if (agent.metricsUrl) console.log(`  metrics              ${agent.metricsUrl}`)
      console.log(`  controlSocket        ${agent.controlSocket}`)
      if (agent.machine) {
        console.log(`  machine              ${agent.machine.resourceId}`)
        console.log(`  machineEndpoint      ${agent.machine.endpoint}`)
      }
      handleShutdownSignals({
        log: (fields, message) => logger.info(fields, message),
        releaseSync: () => undefined,
        close: () => agent.close(),
      })
    })
}
