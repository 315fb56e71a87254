// The product's promise end to end: a program started with `keyless run --as <web app>` uses the
// real ManagedIdentityCredential and SecretClient, with no Keyless-specific code, and gets what
// the web app's roles allow, and Azure's 403 for the rest.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { BIN } from '../../helpers/keyless.js'
import { ROLES, startVaultEnv, type Vault, type VaultEnv } from './vault.config.js'

const FIXTURE = join(import.meta.dirname, 'vault-client.fixture.js')

interface StepResult {
  op: string
  ok: boolean
  value?: unknown
  status?: number
  code?: string
  message?: string
}

function keylessRun(dataDir: string, as: string, vaultUrl: string, steps: object[]) {
  return new Promise<StepResult[]>((resolve, reject) => {
    // The program gets only what `keyless run` gives it: no test CA, no identity variables.
    const env = {
      ...process.env,
      NODE_EXTRA_CA_CERTS: '',
      IDENTITY_ENDPOINT: '',
      IDENTITY_HEADER: '',
    }
    const child = spawn(
      process.execPath,
      [
        BIN,
        'run',
        '--data-dir',
        dataDir,
        '--as',
        as,
        '--',
        process.execPath,
        FIXTURE,
        JSON.stringify({ vaultUrl, steps }),
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (err += c.toString()))
    child.once('error', reject)
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`keyless run exited ${code}:\n${err}\n${out}`))
      resolve(JSON.parse(out.trim().split('\n').pop()!))
    })
  })
}

describe('a program under keyless run', () => {
  let env: VaultEnv
  let vault: Vault

  before(async () => {
    env = await startVaultEnv()
    vault = await env.createVault('kv-run')
  })
  after(async () => env?.dispose())

  it('sets, gets, lists, deletes, recovers and purges with Key Vault Secrets Officer', async () => {
    const app = await env.createWorkload('run-officer', { local: true })
    await env.assign(vault.id, ROLES.officer, app.principalId)
    const results = await keylessRun(env.k.dataDir, app.id, vault.url, [
      { op: 'set', name: 'conn', value: 'Server=db;Password=p' },
      { op: 'get', name: 'conn' },
      { op: 'list' },
      { op: 'delete', name: 'conn' },
      { op: 'recover', name: 'conn' },
      { op: 'get', name: 'conn' },
      { op: 'delete', name: 'conn' },
      { op: 'purge', name: 'conn' },
      { op: 'get', name: 'conn' },
    ])
    assert.deepEqual(
      results.map((r) => [r.op, r.ok]),
      [
        ['set', true],
        ['get', true],
        ['list', true],
        ['delete', true],
        ['recover', true],
        ['get', true],
        ['delete', true],
        ['purge', true],
        ['get', false],
      ],
      JSON.stringify(results),
    )
    assert.equal(results[1]!.value, 'Server=db;Password=p')
    assert.deepEqual(results[2]!.value, ['conn'])
    assert.equal(results[3]!.value, `${vault.url}deletedsecrets/conn`)
    assert.equal(results[8]!.status, 404)
    assert.equal(results[8]!.code, 'SecretNotFound')
  })

  it('gets but cannot set with Key Vault Secrets User', async () => {
    const officer = await env.createWorkload('run-seeder', { local: true })
    await env.assign(vault.id, ROLES.officer, officer.principalId)
    await keylessRun(env.k.dataDir, officer.id, vault.url, [
      { op: 'set', name: 'shared', value: 'v' },
    ])
    const app = await env.createWorkload('run-user', { local: true })
    await env.assign(vault.id, ROLES.user, app.principalId)
    const [get, set] = await keylessRun(env.k.dataDir, app.id, vault.url, [
      { op: 'get', name: 'shared' },
      { op: 'set', name: 'shared', value: 'mine' },
    ])
    assert.equal(get!.value, 'v')
    assert.equal(set!.status, 403)
    assert.equal(set!.code, 'Forbidden')
    assert.match(set!.message!, /Action: 'Microsoft\.KeyVault\/vaults\/secrets\/setSecret\/action'/)
  })

  it('cannot read secrets with only Reader on the vault', async () => {
    const app = await env.createWorkload('run-reader', { local: true })
    await env.assign(vault.id, ROLES.reader, app.principalId)
    const [get, list] = await keylessRun(env.k.dataDir, app.id, vault.url, [
      { op: 'get', name: 'shared' },
      { op: 'list' },
    ])
    assert.equal(get!.status, 403)
    assert.match(get!.message!, /Caller is not authorized to perform action on resource/)
    assert.equal(list!.status, 403)
  })
})
