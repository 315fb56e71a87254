// `keyless az-cloud [--run]`: the `az` lines that make this installation az's active cloud,
// printed for a shell (`eval "$(keyless az-cloud)"`) or run. They come from the server's own
// metadata document (arm/metadata-endpoints.ts), so they name what it serves:
//   - `az cloud register --endpoint-resource-manager <arm>`: az reads the rest (login endpoint,
//     audiences, Graph) from `<arm>/metadata/endpoints`; `update` when the cloud exists.
//   - `az cloud update --cloud-config`: az 2.45 has no flag for Microsoft Graph's resource id
//     (which is also where az sends Graph calls), nor reads suffixes from that document.
//   - `az cloud set`.
// az verifies TLS with requests, which trusts REQUESTS_CA_BUNDLE alone when it is set: the
// first line exports the installation's CA for the commands (and the az session) that follow.
import { spawn } from 'node:child_process'
import type { Command } from 'commander'
import { examples } from './command.js'
import { shellQuote } from './env.js'
import { CliError, EXIT } from './errors.js'
import { send } from './http.js'
import { loadInstallation, resolveDataDir } from './installation.js'

/** The parts of the 2022-09-01 document the lines use. */
export interface CloudDocument {
  name: string
  resourceManager: string
  microsoftGraphResourceId: string
  suffixes?: { keyVaultDns?: string; storage?: string }
}

/**
 * az's Key Vault suffix for vaults served by host name (endpoints.json `vaultEndpoint` is then
 * `https://{vault}.<suffix>:<port>/`): az builds a vault's URL as `https://<name><suffix>`, so the
 * port goes into the suffix. Undefined for vaults on ports of their own (no name to build from).
 */
export function keyVaultSuffix(vaultEndpoint: string | undefined): string | undefined {
  const m = /^https:\/\/\{vault\}(\.[^:/]+)(?::(\d+))?\/?$/.exec(vaultEndpoint ?? '')
  if (!m) return undefined
  return m[2] === undefined || m[2] === '443' ? m[1] : `${m[1]}:${m[2]}`
}

/** The commands, as argument vectors; `registered`: the cloud exists in az's config already. */
export function azCloudCommands(
  doc: CloudDocument,
  registered = false,
  vaultSuffix?: string,
): string[][] {
  const arm = doc.resourceManager.replace(/\/$/, '')
  const suffixes: Record<string, string> = {}
  const kv = vaultSuffix ?? (doc.suffixes?.keyVaultDns && `.${doc.suffixes.keyVaultDns}`)
  if (kv) suffixes.keyvaultDns = kv
  if (doc.suffixes?.storage) suffixes.storageEndpoint = doc.suffixes.storage
  const config = {
    endpoints: { microsoftGraphResourceId: doc.microsoftGraphResourceId },
    ...(Object.keys(suffixes).length > 0 && { suffixes }),
  }
  return [
    ['az', 'cloud', registered ? 'update' : 'register', '--name', doc.name,
      '--endpoint-resource-manager', arm], // prettier-ignore
    ['az', 'cloud', 'update', '--name', doc.name, '--cloud-config', JSON.stringify(config)],
    ['az', 'cloud', 'set', '--name', doc.name],
  ]
}

/** What to sign in as next: the operator credential's ids (its secret stays in its file). */
export interface LoginHint {
  clientId: string
  tenantId: string
  credentialFile: string
}

export function azCloudScript(
  doc: CloudDocument,
  caFile: string,
  vaultSuffix?: string,
  login?: LoginHint,
): string {
  return [
    `export REQUESTS_CA_BUNDLE=${shellQuote(caFile)}`,
    ...azCloudCommands(doc, false, vaultSuffix).map((argv) =>
      argv.map((a) => (/^[\w./:=@-]+$/.test(a) ? a : shellQuote(a))).join(' '),
    ),
    ...(login
      ? [
          `# then: az login --service-principal --username ${login.clientId} --tenant ${login.tenantId}` +
            ` --password <clientSecret in ${login.credentialFile}>`,
        ]
      : []),
  ].join('\n')
}

function runAz(argv: string[], env: NodeJS.ProcessEnv, quiet = false): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      env,
      stdio: quiet ? 'ignore' : ['ignore', 'inherit', 'inherit'],
    })
    child.once('error', () => resolve(127))
    child.once('exit', (code) => resolve(code ?? 1))
  })
}

async function fetchDocument(dataDir: string) {
  const inst = loadInstallation(dataDir)
  const arm = inst.endpoints.managementEndpoint.replace(/\/$/, '')
  const res = await send({
    method: 'GET',
    url: `${arm}/metadata/endpoints?api-version=2022-09-01`,
    caPem: inst.caPem,
    timeoutMs: 10_000,
  }).catch((err: Error) => {
    throw new CliError(EXIT.unreachable, `Keyless at ${arm} cannot be reached: ${err.message}`)
  })
  if (res.status !== 200) {
    throw new CliError(EXIT.apiError, `${arm}/metadata/endpoints answered ${res.status}`)
  }
  return {
    doc: JSON.parse(res.text) as CloudDocument,
    caFile: inst.endpoints.caCertFile,
    vaultSuffix: keyVaultSuffix(inst.endpoints.vaultEndpoint),
    login: {
      clientId: inst.credential.clientId,
      tenantId: inst.credential.tenantId,
      credentialFile: inst.endpoints.adminCredentialFile,
    },
  }
}

export function registerAzCloud(program: Command): void {
  const cmd = program
    .command('az-cloud')
    .description("print (or --run) the az commands that make Keyless az's active cloud")
    .option('--data-dir <dir>', 'Keyless data directory (default: $KEYLESS_HOME, else ./.keyless)')
    .option('--run', 'run them (az on PATH) instead of printing them')
    .action(async (flags: { run?: boolean; dataDir?: string }) => {
      const { doc, caFile, vaultSuffix, login } = await fetchDocument(
        resolveDataDir(flags.dataDir, process.env),
      )
      if (!flags.run) {
        process.stdout.write(azCloudScript(doc, caFile, vaultSuffix, login) + '\n')
        return
      }
      const env = { ...process.env, REQUESTS_CA_BUNDLE: caFile }
      const shown = await runAz(['az', 'cloud', 'show', '--name', doc.name], env, true)
      if (shown === 127) throw new CliError(EXIT.usage, 'az is not on PATH')
      for (const argv of azCloudCommands(doc, shown === 0, vaultSuffix)) {
        const code = await runAz(argv, env)
        if (code !== 0) throw new CliError(EXIT.apiError, `${argv.join(' ')} exited ${code}`)
      }
      process.stdout.write(
        `az's active cloud is ${doc.name}; az needs REQUESTS_CA_BUNDLE=${caFile} in its environment\n`,
      )
    })
  examples(cmd, ['eval "$(keyless az-cloud)"', 'keyless az-cloud --run'])
}
