// The inside of az.journey.test.ts, run in network and mount namespaces of its own (`unshare -n
// -m`): only loopback, so az reaches nothing but this Keyless, and a private /etc/hosts naming
// the journey's vault, so `--vault-name` URLs resolve here. It starts `keyless up` (vaults by
// host name), drives az 2.45 through the journey and checks each result through ARM as the
// operator; every step becomes a row {name, ok, detail}, printed as one JSON line at the end.
// Where Debian's az fails inside itself whatever the server answers, the step asserts that
// failure (so a fixed az shows up here) and does the same with `az rest`.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BIN, startKeyless, tempDataDir, type KeylessProcess } from '../../helpers/keyless.js'
import { arm, type ArmCall } from '../../helpers/arm.js'
import { operatorToken } from '../../helpers/tokens.js'

export interface StepResult {
  name: string
  ok: boolean
  detail?: string
}

export const VAULT_SUFFIX = 'vault.az.keyless.test'
const VAULT_NAME = 'azkv1'
const RG = 'az-rg'
const ROLE = {
  secretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
  secretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
  blobContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
}
const AUTHZ = 'api-version=2022-04-01'

interface Exec {
  code: number | null
  stdout: string
  stderr: string
}

function exec(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Exec> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.once('error', (e) => resolve({ code: 127, stdout, stderr: String(e) }))
    child.once('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

/** The environment, less anything that would give az an identity or another CA. */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const k of Object.keys(env)) {
    if (/^(IDENTITY_|MSI_|IMDS_|AZURE_|REQUESTS_CA_BUNDLE|SSL_CERT)/.test(k)) delete env[k]
  }
  return { ...env, AZURE_CORE_COLLECT_TELEMETRY: 'no', AZURE_CORE_NO_COLOR: 'true', ...extra }
}

class Journey {
  readonly results: StepResult[] = []
  async step(name: string, fn: () => Promise<string | void>): Promise<void> {
    try {
      const detail = await fn()
      this.results.push({ name, ok: true, ...(detail && { detail }) })
    } catch (err) {
      this.results.push({ name, ok: false, detail: String((err as Error).stack ?? err) })
    }
  }
}

function azRunner(env: NodeJS.ProcessEnv, prefix: string[] = []) {
  const run = (args: string[]) =>
    prefix.length === 0
      ? exec('az', [...args, '--only-show-errors'], env)
      : exec(prefix[0]!, [...prefix.slice(1), 'az', ...args, '--only-show-errors'], env)
  const json = async (args: string[]): Promise<any> => {
    const r = await run([...args, '--output', 'json'])
    assert.equal(r.code, 0, `az ${args.join(' ')}: ${r.stderr}`)
    return r.stdout.trim() === '' ? undefined : JSON.parse(r.stdout)
  }
  /** az fails inside itself, before or whatever the server answers: the step says how. */
  const failsInside = async (args: string[], why: RegExp) => {
    const r = await run([...args, '--output', 'json'])
    assert.notEqual(r.code, 0, `az ${args.join(' ')} now succeeds: update the docs and this test`)
    assert.match(r.stderr, why)
  }
  return { run, json, failsInside }
}

async function journey(k: KeylessProcess, j: Journey): Promise<void> {
  const call: ArmCall = arm(k, await operatorToken(k))
  const base = k.endpoints.managementEndpoint.replace(/\/$/, '')
  const sub = `/subscriptions/${k.endpoints.subscriptionId}`
  const rgId = `${sub}/resourceGroups/${RG}`
  const configDir = join(k.dataDir, 'az-operator')
  const env = cleanEnv({ AZURE_CONFIG_DIR: configDir, REQUESTS_CA_BUNDLE: k.endpoints.caCertFile })
  const az = azRunner(env)
  const rest = (method: string, url: string, body?: unknown, resource?: string) =>
    az.json([
      'rest', '--method', method, '--url', url,
      ...(body === undefined ? [] : ['--body', JSON.stringify(body)]),
      ...(resource === undefined ? [] : ['--resource', resource]),
    ]) // prettier-ignore
  const armGet = async (path: string, api: string) => {
    const res = await call('GET', `${path}?api-version=${api}`)
    return { status: res.status, body: res.status === 200 ? res.json() : undefined }
  }

  await j.step('keyless az-cloud --run registers Keyless as az’s active cloud', async () => {
    const r = await exec(
      process.execPath,
      [BIN, 'az-cloud', '--run', '--data-dir', k.dataDir],
      cleanEnv({ AZURE_CONFIG_DIR: configDir }),
    )
    assert.equal(r.code, 0, r.stderr)
    const cloud = await az.json(['cloud', 'show'])
    assert.equal(cloud.name, 'Keyless')
    assert.equal(cloud.isActive, true)
    assert.equal(cloud.endpoints.resourceManager, base)
    assert.equal(cloud.endpoints.activeDirectory, `${base}/adfs`)
    assert.equal(cloud.endpoints.activeDirectoryResourceId, 'https://management.azure.com/')
    assert.equal(cloud.endpoints.microsoftGraphResourceId, `${base}/`)
    const port = new URL(String(k.endpoints.vaultEndpoint).replace('{vault}', 'v')).port
    assert.equal(cloud.suffixes.keyvaultDns, `.${VAULT_SUFFIX}:${port}`)
  })

  await j.step('az reads the 2019-05-01 array through ARM_CLOUD_METADATA_URL', async () => {
    // az's other route: its known clouds from one document (azure.cli.core.cloud
    // `_arm_to_cli_mapper`), fetched with urllib, which trusts SSL_CERT_FILE.
    const dir = join(k.dataDir, 'az-metadata-url')
    mkdirSync(dir) // az writes the document's clouds there before anything else
    const known = azRunner(
      cleanEnv({
        AZURE_CONFIG_DIR: dir,
        ARM_CLOUD_METADATA_URL: `${base}/metadata/endpoints?api-version=2019-05-01`,
        SSL_CERT_FILE: k.endpoints.caCertFile,
      }),
    )
    const cloud = await known.json(['cloud', 'show', '--name', 'Keyless'])
    assert.equal(cloud.endpoints.resourceManager, `${base}/`)
    assert.equal(cloud.endpoints.activeDirectory, `${base}/adfs`)
    assert.equal(cloud.endpoints.microsoftGraphResourceId, `${base}/`)
    assert.equal(cloud.suffixes.keyvaultDns, `.${VAULT_SUFFIX}`)
  })

  await j.step('az login --service-principal with the operator credential', async () => {
    const subs = await az.json([
      'login', '--service-principal', '--username', k.admin.clientId,
      '--password', k.admin.clientSecret, '--tenant', k.admin.tenantId,
    ]) // prettier-ignore
    assert.deepEqual(
      subs.map((s: { id: string }) => s.id),
      [k.endpoints.subscriptionId],
    )
    const token = await az.json(['account', 'get-access-token'])
    const me = await call('GET', `${sub}?api-version=2022-12-01`)
    assert.equal(me.status, 200)
    assert.ok(token.accessToken)
  })

  await j.step('az group create / list', async () => {
    const g = await az.json(['group', 'create', '--name', RG, '--location', 'westus'])
    assert.equal(g.id, rgId)
    const seen = await armGet(rgId, '2025-04-01')
    assert.equal(seen.body?.location, 'westus')
    const list = await az.json(['group', 'list'])
    assert.ok(list.some((x: { id: string }) => x.id === rgId))
  })

  const idId = `${rgId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/az-id`
  let identity = { principalId: '', clientId: '' }
  await j.step('az identity create / list / show', async () => {
    identity = await az.json(['identity', 'create', '-g', RG, '-n', 'az-id'])
    const seen = await armGet(idId, '2023-01-31')
    assert.equal(seen.body?.properties.principalId, identity.principalId)
    assert.equal(seen.body?.properties.clientId, identity.clientId)
    const list = await az.json(['identity', 'list', '-g', RG])
    assert.deepEqual(
      list.map((x: { id: string }) => x.id),
      [idId],
    )
    const shown = await az.json(['identity', 'show', '-g', RG, '-n', 'az-id'])
    assert.equal(shown.clientId, identity.clientId)
  })

  const vmId = `${rgId}/providers/Microsoft.Compute/virtualMachines/az-vm`
  await j.step('az vm identity assign (fails inside az 2.45; az rest PATCH instead)', async () => {
    const put = await call('PUT', `${vmId}?api-version=2024-07-01`, { location: 'westus' })
    assert.equal(put.status, 201, put.text)
    await az.failsInside(
      ['vm', 'identity', 'assign', '-g', RG, '-n', 'az-vm', '--identities', 'az-id'],
      /does not have operation group 'virtual_machines'/,
    )
    await rest('patch', `${base}${vmId}?api-version=2024-07-01`, {
      identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [idId]: {} } },
    })
    const seen = await armGet(vmId, '2024-07-01')
    assert.equal(seen.body?.identity.type, 'SystemAssigned, UserAssigned')
    assert.deepEqual(Object.keys(seen.body?.identity.userAssignedIdentities), [idId])
  })

  await j.step('az role definition list (fails inside az 2.45; az rest instead)', async () => {
    await az.failsInside(
      ['role', 'definition', 'list', '--name', 'Key Vault Secrets User'],
      /object has no attribute 'config'/,
    )
    const filter = encodeURIComponent("roleName eq 'Key Vault Secrets User'")
    const defs = await rest(
      'get',
      `${base}${sub}/providers/Microsoft.Authorization/roleDefinitions?$filter=${filter}&${AUTHZ}`,
    )
    assert.deepEqual(
      defs.value.map((d: { name: string }) => d.name),
      [ROLE.secretsUser],
    )
  })

  const vaultId = `${rgId}/providers/Microsoft.KeyVault/vaults/${VAULT_NAME}`
  const roleId = (role: string) =>
    `${sub}/providers/Microsoft.Authorization/roleDefinitions/${role}`
  const assign = async (scope: string, role: string, principalId: string) => {
    const id = `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`
    await rest('put', `${base}${id}?${AUTHZ}`, {
      properties: {
        roleDefinitionId: roleId(role),
        principalId,
        principalType: 'ServicePrincipal',
      },
    })
    return id
  }
  let assignmentId = ''
  await j.step(
    'az role assignment create --assignee (fails inside az; Graph + az rest)',
    async () => {
      const put = await call('PUT', `${vaultId}?api-version=2023-07-01`, {
        location: 'westus',
        properties: { tenantId: k.endpoints.tenantId, sku: { family: 'A', name: 'standard' } },
      })
      assert.equal(put.status, 201, put.text)
      await az.failsInside(
        ['role', 'assignment', 'create', '--assignee', identity.clientId,
        '--role', 'Key Vault Secrets User', '--scope', vaultId], // prettier-ignore
        /object has no attribute 'config'/,
      )
      // What az does to resolve --assignee, on the Graph it was given by az-cloud.
      const filter = encodeURIComponent(`servicePrincipalNames/any(c:c eq '${identity.clientId}')`)
      const sp = await rest(
        'get',
        `${base}/v1.0/servicePrincipals?$filter=${filter}`,
        undefined,
        `${base}/`,
      )
      assert.equal(sp.value[0].id, identity.principalId)
      assignmentId = await assign(vaultId, ROLE.secretsUser, sp.value[0].id)
      const seen = await armGet(assignmentId, '2022-04-01')
      assert.equal(seen.body?.properties.principalId, identity.principalId)
      assert.equal(seen.body?.properties.roleDefinitionId, roleId(ROLE.secretsUser))
    },
  )

  await j.step('az role assignment list (fails inside az; az rest + getByIds)', async () => {
    await az.failsInside(
      ['role', 'assignment', 'list', '--assignee', identity.clientId, '--scope', vaultId],
      /object has no attribute 'config'/,
    )
    const filter = encodeURIComponent(`principalId eq '${identity.principalId}'`)
    const list = await rest(
      'get',
      `${base}${vaultId}/providers/Microsoft.Authorization/roleAssignments?$filter=${filter}&${AUTHZ}`,
    )
    assert.deepEqual(
      list.value.map((a: { id: string }) => a.id),
      [assignmentId],
    )
    const names = await rest(
      'post',
      `${base}/v1.0/directoryObjects/getByIds`,
      { ids: [identity.principalId], types: ['servicePrincipal'] },
      `${base}/`,
    )
    assert.equal(names.value[0].appId, identity.clientId)
  })

  const vaultUrl = `https://${VAULT_NAME}.${String(k.endpoints.vaultEndpoint).split('{vault}.')[1]}`
  const vaultResource = `https://${VAULT_SUFFIX}`
  await j.step('az keyvault secret set / show (fail inside az; az rest instead)', async () => {
    const operator = await rest(
      'get',
      `${base}/v1.0/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${k.admin.clientId}'`)}`,
      undefined,
      `${base}/`,
    )
    await assign(vaultId, ROLE.secretsOfficer, operator.value[0].id)
    const args = ['--vault-name', VAULT_NAME, '--name', 's1']
    await az.failsInside(
      ['keyvault', 'secret', 'set', ...args, '--value', 'hello'],
      /azure\.keyvault\.v7_0/,
    )
    await az.failsInside(['keyvault', 'secret', 'show', ...args], /azure\.keyvault\.v7_0/)
    const set = await rest(
      'put',
      `${vaultUrl}secrets/s1?api-version=7.4`,
      { value: 'hello' },
      vaultResource,
    )
    assert.equal(set.value, 'hello')
    const got = await rest('get', `${vaultUrl}secrets/s1?api-version=7.4`, undefined, vaultResource)
    assert.equal(got.value, 'hello')
  })

  await j.step(
    'az login --identity under keyless run: reads the secret, may not write',
    async () => {
      const idEnv = cleanEnv({
        AZURE_CONFIG_DIR: join(k.dataDir, 'az-identity'),
        REQUESTS_CA_BUNDLE: k.endpoints.caCertFile,
      })
      mkdirSync(idEnv.AZURE_CONFIG_DIR!, { recursive: true })
      for (const f of ['clouds.config', 'config']) {
        copyFileSync(join(configDir, f), join(idEnv.AZURE_CONFIG_DIR!, f))
      }
      // App Service's 2017 pair alone: az 2.45 reads MSI_ENDPOINT/MSI_SECRET, not the 2019 pair.
      const runAs = [process.execPath, BIN, 'run', '--data-dir', k.dataDir, '--as', vmId,
      '--protocol', 'appservice', '--', 'env', '-u', 'IDENTITY_ENDPOINT', '-u', 'IDENTITY_HEADER'] // prettier-ignore
      const mi = azRunner(idEnv, runAs)
      const subs = await mi.json(['login', '--identity', '--username', identity.clientId])
      // GET /subscriptions lists those where the caller holds any role assignment.
      assert.deepEqual(
        subs.map((s: { id: string }) => s.id),
        [k.endpoints.subscriptionId],
      )
      const url = `${vaultUrl}secrets/s1?api-version=7.4`
      const got = await mi.json(['rest', '--url', url, '--resource', vaultResource])
      assert.equal(got.value, 'hello')
      const put = await mi.run(['rest', '--method', 'put', '--url', url, '--resource', vaultResource,
      '--body', '{"value":"nope"}']) // prettier-ignore
      assert.notEqual(put.code, 0)
      assert.match(put.stderr, /Forbidden/)
    },
  )

  await j.step('az vm identity remove (fails inside az; az rest PATCH instead)', async () => {
    await az.failsInside(
      ['vm', 'identity', 'remove', '-g', RG, '-n', 'az-vm', '--identities', 'az-id'],
      /does not have operation group 'virtual_machines'/,
    )
    await rest('patch', `${base}${vmId}?api-version=2024-07-01`, {
      // What az sends when the last user-assigned identity goes: the type without it.
      identity: { type: 'SystemAssigned' },
    })
    const seen = await armGet(vmId, '2024-07-01')
    assert.equal(seen.body?.identity.type, 'SystemAssigned')
    assert.equal(seen.body?.identity.userAssignedIdentities, undefined)
  })

  await j.step(
    'az storage container create, blob upload / download --auth-mode login',
    async () => {
      const account = `${rgId}/providers/Microsoft.Storage/storageAccounts/azst1`
      const put = await call('PUT', `${account}?api-version=2023-01-01`, {
        location: 'westus',
        kind: 'StorageV2',
        sku: { name: 'Standard_LRS' },
      })
      assert.equal(put.status, 201, put.text)
      const endpoint = put.json().properties.primaryEndpoints.blob.replace(/\/$/, '')
      const me = await call(
        'GET',
        `/v1.0/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${k.admin.clientId}'`)}`,
      )
      await assign(account, ROLE.blobContributor, me.json().value[0].id)
      const where = ['--blob-endpoint', endpoint, '--auth-mode', 'login']
      const made = await az.json(['storage', 'container', 'create', ...where, '--name', 'cont1'])
      assert.equal(made.created, true)
      const file = join(k.dataDir, 'upload.txt')
      writeFileSync(file, 'blob from az\n')
      await az.json(['storage', 'blob', 'upload', ...where, '-c', 'cont1', '-n', 'b1', '-f', file])
      const back = join(k.dataDir, 'download.txt')
      await az.json([
        'storage',
        'blob',
        'download',
        ...where,
        '-c',
        'cont1',
        '-n',
        'b1',
        '-f',
        back,
      ])
      assert.equal(readFileSync(back, 'utf8'), 'blob from az\n')
    },
  )

  await j.step('az role assignment delete (fails inside az; az rest instead)', async () => {
    await az.failsInside(
      ['role', 'assignment', 'delete', '--assignee', identity.clientId,
        '--role', 'Key Vault Secrets User', '--scope', vaultId], // prettier-ignore
      /object has no attribute 'config'/,
    )
    await rest('delete', `${base}${assignmentId}?${AUTHZ}`)
    assert.equal((await armGet(assignmentId, '2022-04-01')).status, 404)
  })

  await j.step('az identity delete', async () => {
    await az.json(['identity', 'delete', '-g', RG, '-n', 'az-id'])
    assert.equal((await armGet(idId, '2023-01-31')).status, 404)
  })
}

/** A hosts file naming the journey's vault, bind-mounted over /etc/hosts in this private mount
 * namespace (unshare -m); made private first so the mount reaches no other namespace. */
async function nameTheVault(dir: string): Promise<void> {
  const hosts = join(dir, 'hosts')
  writeFileSync(hosts, `127.0.0.1 localhost ${VAULT_NAME}.${VAULT_SUFFIX}\n::1 localhost\n`)
  for (const args of [
    ['--make-rprivate', '/'],
    ['--bind', hosts, '/etc/hosts'],
  ]) {
    const r = await exec('mount', args, process.env)
    if (r.code !== 0) throw new Error(`mount ${args.join(' ')}: ${r.stderr}`)
  }
}

async function main() {
  const dataDir = tempDataDir()
  const j = new Journey()
  try {
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ vaultHostSuffix: VAULT_SUFFIX }))
    await nameTheVault(dataDir)
    const k = await startKeyless({ dataDir })
    try {
      await journey(k, j)
    } finally {
      await k.dispose()
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
  process.stdout.write(JSON.stringify(j.results) + '\n')
}

if (process.argv[1]?.endsWith('az.journey.driver.js')) {
  main().catch((err: unknown) => {
    console.error(err)
    process.exitCode = 1
  })
}
