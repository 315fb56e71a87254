// The az habits of the CLI against a live `keyless up` (issue 16): data-plane commands for
// secrets and blobs as the operator and `--as` a web app's managed identity, refused as Azure
// refuses an Owner without a data role; `--query` (JMESPath) and every `-o` format; the
// subscription flag; `keyless env list|remove`. Each result is checked through the data plane
// or ARM, not only by what the command printed.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { cliFor, explain, fails, ok, runCli } from './cli.config.js'

let k: KeylessProcess
let cli: ReturnType<typeof cliFor>
let operatorAppId: string
let appId: string
const files = mkdtempSync(join(tmpdir(), 'keyless-cli-files-'))
const SUFFIX = randomBytes(3).toString('hex')
const VAULT = `kvcli${SUFFIX}`
const ACCOUNT = `clidata${SUFFIX}`

before(async () => {
  k = await startKeyless()
  cli = cliFor(k.dataDir)
  operatorAppId = JSON.parse(
    readFileSync(resolve(k.dataDir, k.endpoints.adminCredentialFile as string), 'utf8'),
  ).clientId
  ok(await cli('group', 'create', 'rg-data'))
  ok(await cli('vault', 'create', VAULT, '-g', 'rg-data'))
  ok(await cli('storage', 'account', 'create', ACCOUNT, '-g', 'rg-data'))
  appId = ok(await cli('webapp', 'create', 'app1', '-g', 'rg-data', '--assign-identity')).json().id
})
after(async () => k?.dispose())

const scope = (type: string, name: string) =>
  `/subscriptions/${k.endpoints.subscriptionId}/resourceGroups/rg-data/providers/${type}/${name}`

describe('vault secret commands', () => {
  it('refuses the operator without a Key Vault data role, as Azure refuses an Owner', async () => {
    const r = await cli('vault', 'secret', 'set', '--vault-name', VAULT, '-n', 's1', '--value', 'v')
    fails(r, 1, /Forbidden|not authorized|does not have/i)
  })

  it('sets, shows, lists and deletes secrets once the operator is Secrets Officer', async () => {
    const vault = scope('Microsoft.KeyVault/vaults', VAULT)
    ok(
      await cli(
        'role',
        'assignment',
        'create',
        '--assignee',
        operatorAppId,
        '--role',
        'Key Vault Secrets Officer',
        '--scope',
        vault,
      ),
    )
    const set = ok(
      await cli('vault', 'secret', 'set', '--vault-name', VAULT, '-n', 'db', '--value', 's3cret'),
    ).json()
    assert.match(set.id, new RegExp(`/secrets/db/`))
    writeFileSync(join(files, 'key.txt'), 'from-a-file')
    ok(
      await cli(
        'vault',
        'secret',
        'set',
        '--vault-name',
        VAULT,
        '-n',
        'f',
        '-f',
        join(files, 'key.txt'),
      ),
    )

    const shown = ok(
      await cli(
        'vault',
        'secret',
        'show',
        '--vault-name',
        VAULT,
        '-n',
        'db',
        '--query',
        'value',
        '-o',
        'tsv',
      ),
    )
    assert.equal(shown.stdout, 's3cret\n')
    const fromFile = ok(
      await cli('vault', 'secret', 'show', '--vault-name', VAULT, '-n', 'f'),
    ).json()
    assert.equal(fromFile.value, 'from-a-file')

    const listed = ok(await cli('vault', 'secret', 'list', '--vault-name', VAULT)).json()
    assert.deepEqual(listed.map((s: { id: string }) => s.id.split('/secrets/')[1]).sort(), [
      'db',
      'f',
    ])
    assert.ok(
      listed.every((s: { value?: string }) => s.value === undefined),
      'no values listed',
    )

    ok(await cli('vault', 'secret', 'delete', '--vault-name', VAULT, '-n', 'f'))
    fails(
      await cli('vault', 'secret', 'show', '--vault-name', VAULT, '-n', 'f'),
      3,
      /SecretNotFound|not found/i,
    )
  })

  it('reads as a web app with --as, allowed by its own role', async () => {
    const read = () =>
      cli(
        'vault',
        'secret',
        'show',
        '--vault-name',
        VAULT,
        '-n',
        'db',
        '--as',
        appId,
        '--query',
        'value',
        '-o',
        'tsv',
      )
    fails(await read(), 1, /Forbidden|not authorized|does not have/i)
    ok(
      await cli(
        'role',
        'assignment',
        'create',
        '--assignee',
        appId,
        '--role',
        'Key Vault Secrets User',
        '--scope',
        scope('Microsoft.KeyVault/vaults', VAULT),
      ),
    )
    assert.equal(ok(await read()).stdout, 's3cret\n')
    const runs = ok(await cli('env', 'list')).json()
    assert.deepEqual(runs, [], 'the run behind --as is removed after the command')
  })

  it('names an unknown vault with exit 3', async () => {
    fails(
      await cli('vault', 'secret', 'list', '--vault-name', 'nosuchvault'),
      3,
      /no key vault named 'nosuchvault'/,
    )
  })
})

describe('storage container and blob commands', () => {
  it('creates a container, uploads, lists, downloads and deletes a binary blob', async () => {
    ok(
      await cli(
        'role',
        'assignment',
        'create',
        '--assignee',
        operatorAppId,
        '--role',
        'Storage Blob Data Contributor',
        '--scope',
        scope('Microsoft.Storage/storageAccounts', ACCOUNT),
      ),
    )
    ok(await cli('storage', 'container', 'create', '--account-name', ACCOUNT, '-n', 'reports'))
    const containers = ok(
      await cli('storage', 'container', 'list', '--account-name', ACCOUNT),
    ).json()
    assert.deepEqual(
      containers.map((c: { name: string }) => c.name),
      ['reports'],
    )

    const bytes = randomBytes(70_000)
    writeFileSync(join(files, 'in.bin'), bytes)
    const upload = (...extra: string[]) =>
      cli(
        'storage',
        'blob',
        'upload',
        '--account-name',
        ACCOUNT,
        '-c',
        'reports',
        '-n',
        '2026/q4 & co.bin',
        '-f',
        join(files, 'in.bin'),
        ...extra,
      )
    assert.equal(ok(await upload()).json().contentLength, 70_000)
    fails(await upload(), 1, /BlobAlreadyExists|already exists/i)
    ok(await upload('--overwrite'))

    const blobs = ok(
      await cli(
        'storage',
        'blob',
        'list',
        '--account-name',
        ACCOUNT,
        '-c',
        'reports',
        '--prefix',
        '2026/',
      ),
    ).json()
    assert.deepEqual(
      blobs.map((b: { name: string; contentLength: number }) => [b.name, b.contentLength]),
      [['2026/q4 & co.bin', 70_000]],
    )
    ok(
      await cli(
        'storage',
        'blob',
        'download',
        '--account-name',
        ACCOUNT,
        '-c',
        'reports',
        '-n',
        '2026/q4 & co.bin',
        '-f',
        join(files, 'out.bin'),
      ),
    )
    assert.ok(readFileSync(join(files, 'out.bin')).equals(bytes), 'the same bytes back')

    ok(
      await cli(
        'storage',
        'blob',
        'delete',
        '--account-name',
        ACCOUNT,
        '-c',
        'reports',
        '-n',
        '2026/q4 & co.bin',
      ),
    )
    assert.deepEqual(
      ok(await cli('storage', 'blob', 'list', '--account-name', ACCOUNT, '-c', 'reports')).json(),
      [],
    )
  })
})

describe('output formats, --query and --subscription', () => {
  it('prints the same group in every format', async () => {
    const show = (...o: string[]) => cli('group', 'show', 'rg-data', ...o)
    const json = ok(await show('-o', 'json')).json()
    assert.equal(json.name, 'rg-data')
    const jsonc = ok(await show('-o', 'jsonc')).stdout
    const ESC = '\u001b'
    assert.ok(jsonc.includes(`${ESC}[34m"name"${ESC}[0m: ${ESC}[32m"rg-data"${ESC}[0m`), jsonc)
    assert.deepEqual(JSON.parse(jsonc.replaceAll(ESC, '').replace(/\[\d+m/g, '')), json)
    const yaml = ok(await show('-o', 'yaml')).stdout
    assert.match(yaml, /^name: rg-data$/m)
    assert.match(yaml, new RegExp(`^id: ${json.id}$`, 'm'))
    assert.equal(ok(await show('-o', 'none')).stdout, '')
    const tsv = ok(await show('-o', 'tsv'))
      .stdout.trimEnd()
      .split('\t')
    assert.ok(tsv.includes('rg-data') && tsv.includes(json.id), tsv.join('|'))
    const table = ok(await show('-o', 'table', '--query', '{Group:name, Where:location}')).stdout
    assert.deepEqual(table.trimEnd().split('\n')[0]!.split(/\s+/), ['Group', 'Where'])
    assert.match(table.split('\n')[2]!, /^rg-data\s+\S+/)
  })

  it('queries lists with JMESPath and refuses a broken expression as a usage error', async () => {
    const names = ok(await cli('group', 'list', '--query', '[].name', '-o', 'tsv')).stdout
    assert.deepEqual(names.trimEnd().split('\n').sort(), ['rg-data'])
    const filtered = ok(await cli('group', 'list', '--query', "[?name=='rg-data'].id")).json()
    assert.deepEqual(filtered, [scope('x', 'y').split('/providers/')[0]])
    fails(await cli('group', 'list', '--query', '[?name=='), 2, /not a JMESPath expression/)
  })

  it('sends requests to the subscription --subscription names', async () => {
    const other = '00000000-0000-4000-8000-00000000beef'
    const r = await cli('group', 'list', '--subscription', other)
    fails(r, 3, /SubscriptionNotFound|not found/i)
  })
})

describe('keyless env list|remove', () => {
  it('lists a registered run and removes it', async () => {
    const env = await runCli(['env', '--as', appId, '--data-dir', k.dataDir])
    assert.equal(env.code, 0, explain(env))
    const id = /^# keyless run (\S+) as /.exec(env.stdout)![1]!
    const listed = ok(await cli('env', 'list')).json()
    assert.deepEqual(
      listed.map((r: { id: string }) => r.id),
      [id],
    )
    ok(await runCli(['env', 'remove', id, '--data-dir', k.dataDir]))
    assert.deepEqual(ok(await cli('env', 'list')).json(), [])
    fails(await runCli(['env', '--data-dir', k.dataDir]), 2, /required option '--as/)
  })
})
