// `keyless run --as <resource> -- <command>`: starts a program as a compute resource. The agent
// registers a run (a fresh IDENTITY_HEADER, or an IMDS or Arc listener for the resource); the
// program gets the run's environment plus what it needs to trust Keyless's CA, and the run is
// deleted when it exits.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { request } from 'node:http'
import { join, resolve } from 'node:path'
import { constants } from 'node:os'
import { Command, Option } from 'commander'
import { RUN_PROTOCOLS, type Run, type RunProtocol } from '../agent/index.js'
import { resolveAgentStateDir } from './agent.js'
import { CliError, EXIT } from './errors.js'
import { resolveDataDir } from './installation.js'
import { faultOption } from './agent-faults.js'
import { checkRunTarget } from './run-preflight.js'
import { planHostsNamespace, vaultNamesHint } from './run-namespace.js'

export interface RunFlags {
  as: string
  protocol: RunProtocol
  clientId?: string
  dataDir?: string
  stateDir?: string
  /** `keyless run --fault`: faults for this run only (agent/faults.ts). */
  fault?: string[]
  /** `keyless run --no-vault-hosts`: false leaves the program's /etc/hosts alone. */
  vaultHosts?: boolean
}

/**
 * Who may use the run: processes of this uid and, for `keyless run`, of this process's tree
 * (the program and its descendants); `ttlSeconds` makes it expire (`keyless env`).
 */
export interface RunBindingRequest {
  uid?: number
  pid?: number
  ttlSeconds?: number
}

interface AgentLocation {
  socket: string
  /** The CA that signed the server's certificate, when endpoints.json names it. */
  caCertFile?: string
  /** The installation's vault-hosts file (`keyless up` with a vault host suffix). */
  vaultHostsFile?: string
}

/** `--state-dir`, else `agentSocket` of the installation's endpoints.json, else the default state. */
export function locateAgent(
  flags: Pick<RunFlags, 'dataDir' | 'stateDir'>,
  env: NodeJS.ProcessEnv,
): AgentLocation {
  if (flags.stateDir)
    return { socket: join(resolveAgentStateDir(flags.stateDir, env), 'control.sock') }
  const endpointsFile = join(resolveDataDir(flags.dataDir, env), 'endpoints.json')
  if (existsSync(endpointsFile)) {
    const e = JSON.parse(readFileSync(endpointsFile, 'utf8')) as Record<string, unknown>
    if (typeof e.agentSocket === 'string') {
      return {
        socket: e.agentSocket,
        caCertFile: typeof e.caCertFile === 'string' ? e.caCertFile : undefined,
        vaultHostsFile: typeof e.vaultHostsFile === 'string' ? e.vaultHostsFile : undefined,
      }
    }
  }
  const socket = join(resolveAgentStateDir(undefined, env), 'control.sock')
  if (existsSync(socket)) return { socket }
  throw new CliError(
    EXIT.unreachable,
    'cannot find a Keyless agent: run `keyless up` or `keyless agent`, or name its state with --state-dir',
  )
}

/** A request to the agent's control socket; its JSON answer, or a CliError. */
export function controlRequest<T>(
  socket: string,
  method: string,
  path: string,
  body?: object,
): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body)
    const req = request(
      {
        socketPath: socket,
        path,
        method,
        headers: text ? { 'content-type': 'application/json' } : {},
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8')
          const parsed = raw ? (JSON.parse(raw) as Record<string, any>) : {}
          if ((res.statusCode ?? 500) < 300) return resolvePromise(parsed as T)
          const e = parsed.error ?? {}
          const exit =
            res.statusCode === 404
              ? EXIT.notFound
              : res.statusCode === 400
                ? EXIT.usage
                : EXIT.apiError
          reject(
            new CliError(exit, String(e.message ?? `agent answered ${res.statusCode}`), e.code),
          )
        })
      },
    )
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        new CliError(
          EXIT.unreachable,
          `cannot reach the Keyless agent at ${socket} (${err.code ?? err.message})`,
        ),
      ),
    )
    req.end(text)
  })
}

/** Registers a run and assembles the environment a program needs to use it. */
export async function createRunEnvironment(
  flags: RunFlags,
  env: NodeJS.ProcessEnv,
  binding: RunBindingRequest,
): Promise<{ run: Run; socket: string; vars: Record<string, string>; vaultHostsFile?: string }> {
  const where = locateAgent(flags, env)
  const status = await controlRequest<{ caCertFile?: string; caBundleFile?: string }>(
    where.socket,
    'GET',
    '/status',
  )
  const run = await controlRequest<Run>(where.socket, 'POST', '/runs', {
    resourceId: flags.as,
    protocol: flags.protocol,
    ...binding,
  })
  const ca = where.caCertFile ?? status.caCertFile
  // SSL_CERT_FILE and REQUESTS_CA_BUNDLE replace a program's roots: give them a bundle of the
  // public roots plus the Keyless CA. NODE_EXTRA_CA_CERTS adds to Node's roots: the CA alone.
  const bundle = status.caBundleFile && existsSync(status.caBundleFile) ? status.caBundleFile : ca
  const vars: Record<string, string> = { ...run.env }
  if (ca) vars.NODE_EXTRA_CA_CERTS = resolve(ca)
  // Service Fabric's endpoint has its own certificate, which Node clients do not pin but verify.
  if (run.trustFile) vars.NODE_EXTRA_CA_CERTS = resolve(run.trustFile)
  if (bundle) {
    vars.SSL_CERT_FILE = resolve(bundle)
    vars.REQUESTS_CA_BUNDLE = resolve(bundle)
  }
  if (flags.clientId) vars.AZURE_CLIENT_ID = flags.clientId
  return { run, socket: where.socket, vars, vaultHostsFile: where.vaultHostsFile }
}

/**
 * `asRequired: false` where the command also has subcommands (`keyless env list`): commander
 * checks an ancestor's mandatory options too, so that command checks `--as` itself.
 */
export function runOptions(cmd: Command, o: { asRequired?: boolean } = {}): Command {
  const as = new Option('--as <resource-id>', 'ARM id of the compute resource to run as')
  return cmd
    .addOption(o.asRequired === false ? as : as.makeOptionMandatory())
    .addOption(
      new Option('--protocol <protocol>', 'how the program asks for tokens')
        .choices(RUN_PROTOCOLS)
        .default('appservice'),
    )
    .option(
      '--client-id <id>',
      'set AZURE_CLIENT_ID: SDKs then use that user-assigned identity by default',
    )
    .option('--data-dir <dir>', 'Keyless data directory (default: $KEYLESS_HOME, else ./.keyless)')
    .option('--state-dir <dir>', 'state directory of a `keyless agent` (instead of --data-dir)')
}

/** The program, inside a mount namespace where vault names resolve when there is a hosts file;
 * else as it is, with a one-line hint (run-namespace.ts). */
function programArgv(command: string[], hostsFile: string | undefined): string[] {
  if (hostsFile === undefined || !existsSync(hostsFile)) return command
  const who = { uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 }
  const plan =
    who.uid < 0
      ? ({ ok: false, reason: 'no user ids on this platform' } as const)
      : planHostsNamespace(hostsFile, command, who)
  if (plan.ok) return plan.argv
  console.error(vaultNamesHint(plan.reason))
  return command
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2']

export function registerRun(program: Command): void {
  runOptions(
    program
      .command('run')
      .description(
        'run a program as a compute resource: Azure SDKs in it get its managed identities',
      )
      .argument('<command...>', 'the program and its arguments (after --)')
      .usage('--as <resource-id> [options] -- <command...>')
      // Options after the program's name are the program's: `keyless run --as X node -e …`.
      .passThroughOptions()
      .option(
        '--no-vault-hosts',
        "leave the program's /etc/hosts as it is (vault names then do not resolve)",
      )
      .addOption(faultOption()),
  ).action(async (command: string[], flags: RunFlags) => {
    await checkRunTarget(flags.as, flags, process.env)
    const { run, socket, vars, vaultHostsFile } = await createRunEnvironment(flags, process.env, {
      uid: process.getuid?.(),
      pid: process.pid,
    })
    if (flags.fault) {
      await controlRequest(socket, 'PUT', '/faults', { runId: run.id, faults: flags.fault }).catch(
        async (err: unknown) => {
          await controlRequest(socket, 'DELETE', `/runs/${encodeURIComponent(run.id)}`)
          throw err
        },
      )
    }
    const argv = programArgv(command, flags.vaultHosts === false ? undefined : vaultHostsFile)
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: 'inherit',
      env: { ...process.env, ...vars },
    })
    const forward = (signal: NodeJS.Signals) => child.kill(signal)
    for (const s of FORWARDED) process.on(s, forward)
    const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (done) => {
        child.once('error', (err: NodeJS.ErrnoException) => {
          console.error(`keyless: cannot start ${command[0]}: ${err.code ?? err.message}`)
          done({ code: err.code === 'ENOENT' ? 127 : 126, signal: null })
        })
        child.once('exit', (code, signal) => done({ code, signal }))
      },
    )
    for (const s of FORWARDED) process.off(s, forward)
    await controlRequest(socket, 'DELETE', `/runs/${encodeURIComponent(run.id)}`).catch(
      () => undefined,
    )
    // The shell convention: a child killed by a signal exits 128 + the signal's number.
    process.exitCode = outcome.signal
      ? 128 + (constants.signals[outcome.signal] ?? 0)
      : (outcome.code ?? 1)
  })
}
