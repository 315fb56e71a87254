// What the data-plane commands (`keyless vault secret …`, `keyless storage blob …`) share: a
// token for the service, as the operator (its client credentials) or, with `--as <resource>`,
// as that compute resource's managed identity (through a short run registered with the local
// agent, exactly the token a program under `keyless run --as` would get); one HTTPS exchange
// with it; and finding a vault or storage account by name (names are unique in an
// installation, as vault and account names are across Azure).
import { get as httpGet } from 'node:http'
import type { Command } from 'commander'
import { readResponse } from '../common/read-response.js'
import { KEY_VAULTS, STORAGE_ACCOUNTS } from '../domain/resource-types.js'
import { apiError } from './api-error.js'
import type { ArmResource } from './columns.js'
import type { Context } from './command.js'
import { CliError, EXIT } from './errors.js'
import { send, type HttpResponse } from './http.js'
import { loadInstallation, resolveDataDir } from './installation.js'
import { controlRequest, createRunEnvironment } from './run.js'

export const VAULT_RESOURCE = 'https://vault.azure.net'
export const STORAGE_RESOURCE = 'https://storage.azure.com'
/** The REST versions the stock SDKs send. */
export const VAULT_API_VERSION = '7.5'
export const STORAGE_API_VERSION = '2025-01-05'

export interface DataFlags {
  as?: string
  clientId?: string
  dataDir?: string
}

/** How long the run behind `--as` may live: one command's worth. */
const AS_RUN_TTL_SECONDS = 120

async function tokenAs(flags: DataFlags, resource: string): Promise<string> {
  const { run, socket, vars } = await createRunEnvironment(
    { as: flags.as!, protocol: 'appservice', clientId: flags.clientId, dataDir: flags.dataDir },
    process.env,
    { uid: process.getuid?.(), ttlSeconds: AS_RUN_TTL_SECONDS },
  )
  try {
    const endpoint = new URL(vars.IDENTITY_ENDPOINT!)
    endpoint.searchParams.set('resource', resource)
    endpoint.searchParams.set('api-version', '2019-08-01')
    if (flags.clientId) endpoint.searchParams.set('client_id', flags.clientId)
    // The agent's identity endpoint is plain HTTP on loopback, as App Service's is.
    const res = await new Promise<HttpResponse>((resolve, reject) => {
      const req = httpGet(
        endpoint,
        { headers: { 'x-identity-header': vars.IDENTITY_HEADER! }, agent: false },
        (r) => readResponse(r, resolve, reject),
      )
      req.on('error', reject)
    })
    if (res.status !== 200) throw apiError(res)
    return (JSON.parse(res.text) as { access_token: string }).access_token
  } finally {
    await controlRequest(socket, 'DELETE', `/runs/${encodeURIComponent(run.id)}`).catch(
      () => undefined,
    )
  }
}

export interface DataRequest {
  method: string
  url: string
  headers?: Record<string, string>
  body?: string | Buffer
}

/** A client of one data plane (`resource` is the token's audience). */
export function dataClient(ctx: Context, flags: DataFlags, resource: string) {
  let token: Promise<string> | undefined
  const caPem = () => loadInstallation(resolveDataDir(flags.dataDir, process.env)).caPem
  return async (req: DataRequest): Promise<HttpResponse> => {
    token ??= flags.as ? tokenAs(flags, resource) : ctx.client.tokenFor(resource)
    const res = await send({
      method: req.method,
      url: req.url,
      headers: { authorization: `Bearer ${await token}`, ...req.headers },
      body: req.body,
      caPem: caPem(),
    })
    if (res.status >= 400) throw apiError(res)
    return res
  }
}

/** The ARM view of the vault or storage account named `name`, anywhere in the subscription. */
async function findByName(ctx: Context, type: string, apiVersion: string, name: string) {
  const all = await ctx.client.list<ArmResource>(
    `/subscriptions/${encodeURIComponent(ctx.subscriptionId)}/providers/${type}`,
    { apiVersion },
  )
  const found = all.find((r) => r.name.toLowerCase() === name.toLowerCase())
  if (!found) {
    const label = type === KEY_VAULTS ? 'key vault' : 'storage account'
    throw new CliError(EXIT.notFound, `no ${label} named '${name}'`, 'ResourceNotFound')
  }
  return found
}

export async function vaultUrl(ctx: Context, name: string): Promise<string> {
  const vault = await findByName(ctx, KEY_VAULTS, '2023-07-01', name)
  // The CLI runs outside `keyless run`, where `<vault>.<suffix>` names may not resolve; the
  // by-address URL reaches the same vault (the CLI asks for its token itself, no challenge).
  const url = vault.properties?.vaultUriByAddress ?? vault.properties?.vaultUri
  return String(url).replace(/\/*$/, '/')
}

/** The account's `properties.primaryEndpoints.<service>`, ending in a slash. */
async function storageUrl(ctx: Context, account: string, service: 'blob' | 'queue') {
  const found = await findByName(ctx, STORAGE_ACCOUNTS, '2023-05-01', account)
  const endpoints = found.properties?.primaryEndpoints as Record<string, string> | undefined
  return String(endpoints?.[service]).replace(/\/*$/, '/')
}

export const blobUrl = (ctx: Context, account: string) => storageUrl(ctx, account, 'blob')
export const queueUrl = (ctx: Context, account: string) => storageUrl(ctx, account, 'queue')

/** `--as` and `--client-id` on a data-plane command. */
export const asOptionHelp = {
  as: 'act as this compute resource (ARM id): its managed identity, through the local agent (default: the operator)',
  clientId: 'with --as: the client id of one of its user-assigned identities',
}

/** `--account-name`, `--as` and `--client-id`, on every storage data command. */
export const accountOptions = (cmd: Command) =>
  cmd
    .requiredOption('--account-name <name>', 'the storage account')
    .option('--as <resource-id>', asOptionHelp.as)
    .option('--client-id <id>', asOptionHelp.clientId)
