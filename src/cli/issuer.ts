// `keyless issuer github-actions|kubernetes`: a stand-in for those platforms' OIDC issuers, so
// federation can be tried on a laptop or in CI without either. It serves discovery and JWKS over
// HTTPS under the installation's CA (test-issuer.ts), writes a token with the platform's claim
// set to `--token-file`, and replaces it before it expires, as the kubelet does with a projected
// service-account token: at 80% of its lifetime, by an atomic rename, so a reader never sees a
// half-written file. The Azure SDKs cache the file's content for 5 minutes, so a token must stay
// valid that long after it is replaced (the default lifetime of an hour leaves 12 minutes).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { InvalidArgumentError, type Command } from 'commander'
import { writeFileAtomic } from '../common/files.js'
import { resolveDataDir } from './installation.js'
import { CliError, EXIT } from './errors.js'
import { examples } from './command.js'
import { startTestIssuer, type Flavor } from './test-issuer.js'

const FLAVORS = ['github-actions', 'kubernetes'] as const
/** The kubelet refreshes a projected token once 80% of its lifetime has passed. */
const ROTATE_AT = 0.8
/** The SDKs' file cache: a replaced token must outlive it. */
const SDK_FILE_CACHE_S = 300

interface IssuerFlags {
  dataDir?: string
  host: string
  port: string
  name?: string
  subject?: string
  audience: string
  tokenFile: string
  lifetimeSeconds: string
  rotateSeconds?: string
  claim?: Record<string, string>
}

const positive = (name: string, value: string): number => {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0)
    throw new CliError(EXIT.usage, `${name} must be a positive integer`)
  return n
}

function parseClaim(value: string, previous: Record<string, string> | undefined) {
  const at = value.indexOf('=')
  if (at <= 0) throw new InvalidArgumentError(`'${value}' is not a claim: write name=value`)
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) }
}

/** How long after minting a token is replaced (`--rotate-seconds`, else 80% of its lifetime). */
export function rotationSeconds(lifetimeS: number, rotateS?: number): number {
  return rotateS ?? Math.max(1, Math.floor(lifetimeS * ROTATE_AT))
}

export function registerIssuer(program: Command): void {
  const cmd = program
    .command('issuer')
    .description('run a test OIDC issuer (GitHub Actions or Kubernetes) that writes a token file')
    .argument('<platform>', FLAVORS.join(' | '))
    .option('--data-dir <dir>', "installation whose CA signs the issuer's certificate")
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'HTTPS port (0 picks a free one)', '0')
    .option('--name <name>', 'path of the issuer under https://host:port/ (default: the platform)')
    .option('--subject <sub>', "the token's sub (default: the platform's usual form)")
    .option('--audience <aud>', "the token's aud", 'api://AzureADTokenExchange')
    .requiredOption(
      '--token-file <file>',
      'where the token is written (AZURE_FEDERATED_TOKEN_FILE)',
    )
    .option('--lifetime-seconds <n>', 'token lifetime', '3600')
    .option('--rotate-seconds <n>', 'replace the token this often (default: 80% of its lifetime)')
    .option('--claim <name=value...>', 'extra or replaced claims', parseClaim)
    .action(async (platform: string, flags: IssuerFlags) => {
      if (!(FLAVORS as readonly string[]).includes(platform)) {
        throw new CliError(EXIT.usage, `platform must be one of ${FLAVORS.join(', ')}`)
      }
      const lifetimeS = positive('--lifetime-seconds', flags.lifetimeSeconds)
      const rotateS = rotationSeconds(
        lifetimeS,
        flags.rotateSeconds === undefined
          ? undefined
          : positive('--rotate-seconds', flags.rotateSeconds),
      )
      if (lifetimeS - rotateS < SDK_FILE_CACHE_S) {
        console.error(
          `keyless: warning: a replaced token stays valid ${lifetimeS - rotateS} s; the Azure ` +
            `SDKs re-read the file only every ${SDK_FILE_CACHE_S} s`,
        )
      }
      const dir = resolveDataDir(flags.dataDir, process.env)
      let ca
      try {
        ca = {
          certPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
          keyPem: readFileSync(join(dir, 'ca.key'), 'utf8'),
        }
      } catch {
        throw new CliError(EXIT.unreachable, `no CA (ca.crt, ca.key) in ${dir}: run \`keyless up\``)
      }
      const server = await startTestIssuer({
        ca,
        host: flags.host,
        port: positiveOrZero(flags.port),
      })
      const issuer = await server.issuer(flags.name ?? platform, platform as Flavor)
      const write = async () => {
        const token = await issuer.mint(flags.subject, {
          lifetimeSeconds: lifetimeS,
          claims: { aud: flags.audience, ...flags.claim },
        })
        writeFileAtomic(flags.tokenFile, token + '\n', 0o600)
      }
      await write()
      const timer = setInterval(() => {
        write().catch((e: unknown) => console.error(`keyless: token not written: ${String(e)}`))
      }, rotateS * 1000)
      // One JSON line, for a script to read the issuer URL from.
      process.stdout.write(
        JSON.stringify({
          issuer: issuer.url,
          jwksUri: `${issuer.url}/keys`,
          tokenFile: flags.tokenFile,
          rotateSeconds: rotateS,
        }) + '\n',
      )
      const stop = () => {
        clearInterval(timer)
        void server.close().then(() => process.exit(0))
      }
      process.once('SIGTERM', stop)
      process.once('SIGINT', stop)
    })
  examples(cmd, [
    'keyless issuer kubernetes --token-file /tmp/token --subject system:serviceaccount:ns:app',
    'keyless issuer github-actions --token-file /tmp/token --port 9443',
  ])
}

function positiveOrZero(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new CliError(EXIT.usage, '--port must be 0–65535')
  return n
}
