// `keyless vault` and `keyless storage account` against a live `keyless up`: each created,
// shown, listed and deleted through the real binary, its data-plane URL printed and answering
// (401 with a Bearer challenge to a request without a token), its name unique in the
// installation, and an unknown group exiting 3.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { https } from '../../helpers/https.js'
import { cliFor, explain, fails, ok, runCli } from './cli.config.js'

let k: KeylessProcess
let cli: ReturnType<typeof cliFor>

before(async () => {
  k = await startKeyless()
  cli = cliFor(k.dataDir)
  ok(await cli('group', 'create', 'rg-data', '-l', 'westeurope'))
  ok(await cli('group', 'create', 'rg-other'))
})
after(async () => k?.dispose())

interface Kind {
  words: string[]
  label: string
  type: string
  name: string
  /** The table's own columns after Location: the data planes' URLs. */
  header: string
  /** The data plane's URL in the ARM view. */
  url: (resource: any) => string
  /** Every data-plane URL the table shows, in the order of `header`. */
  urls: (resource: any) => string[]
  /** A request the data plane refuses without a token. */
  probe: (url: string) => string
  /** Where this test process reaches it (a vault by address: names resolve under keyless run). */
  reach?: (resource: any) => string
  conflict: string
}

const KINDS: Kind[] = [
  {
    words: ['vault'],
    label: 'key vault',
    type: 'Microsoft.KeyVault/vaults',
    name: 'kv-cli',
    header: 'VaultUri',
    url: (r) => r.properties.vaultUri,
    urls: (r) => [r.properties.vaultUri],
    reach: (r) => r.properties.vaultUriByAddress,
    probe: (url) => `${url}secrets?api-version=7.5`,
    conflict: 'VaultAlreadyExists',
  },
  {
    words: ['storage', 'account'],
    label: 'storage account',
    type: 'Microsoft.Storage/storageAccounts',
    name: 'clidata1',
    header: 'BlobEndpoint\\s+QueueEndpoint',
    url: (r) => r.properties.primaryEndpoints.blob,
    urls: (r) => [r.properties.primaryEndpoints.blob, r.properties.primaryEndpoints.queue],
    probe: (url) => `${url}?comp=list`,
    conflict: 'StorageAccountAlreadyTaken',
  },
]

for (const kind of KINDS) {
  const run = (verb: string, ...args: string[]) => cli(...kind.words, verb, ...args)
  const command = `keyless ${kind.words.join(' ')}`

  describe(command, () => {
    const state: { resource?: any } = {}

    it("creates one in the group's location and prints its data-plane URL", async () => {
      const resource = ok(
        await run('create', kind.name, '-g', 'rg-data', '--tags', 'env=test'),
      ).json()
      assert.equal(resource.name, kind.name)
      assert.equal(resource.type, kind.type)
      assert.equal(resource.location, 'westeurope')
      assert.deepEqual(resource.tags, { env: 'test' })
      assert.match(kind.url(resource), /^https:\/\/.+\/$/)
      state.resource = resource
    })

    it('serves the data plane at that URL: a request without a token gets a Bearer challenge', async () => {
      const res = await https(kind.probe((kind.reach ?? kind.url)(state.resource)), { ca: k.ca })
      assert.equal(res.status, 401, res.text)
      assert.match(String(res.headers['www-authenticate']), /^Bearer /)
    })

    it('shows it and lists it in its group and in the subscription', async () => {
      const shown = ok(await run('show', kind.name, '-g', 'rg-data')).json()
      assert.equal(shown.id, state.resource.id)
      assert.equal(kind.url(shown), kind.url(state.resource))
      const inGroup = ok(await run('list', '-g', 'rg-data')).json()
      assert.deepEqual(
        inGroup.map((r: any) => r.name),
        [kind.name],
      )
      const all = ok(await run('list')).json()
      assert.ok(
        all.some((r: any) => r.id === state.resource.id),
        JSON.stringify(all),
      )
      assert.deepEqual(ok(await run('list', '-g', 'rg-other')).json(), [])
    })

    it('prints a table with its name, group, location and data-plane URLs', async () => {
      const table = ok(await run('show', kind.name, '-g', 'rg-data', '-o', 'table')).stdout
      const [header, dashes, row, ...rest] = table.trimEnd().split('\n')
      assert.match(header!, new RegExp(`^Name\\s+ResourceGroup\\s+Location\\s+${kind.header}$`))
      assert.match(dashes!, /^-+( +-+)+$/)
      assert.equal(
        row!.split(/\s+/).join(' '),
        `${kind.name} rg-data westeurope ${kind.urls(state.resource).join(' ')}`,
      )
      assert.deepEqual(rest, [])
    })

    it('refuses its name in another group: names are unique in the installation', async () => {
      fails(
        await run('create', kind.name, '-g', 'rg-other'),
        1,
        new RegExp(`^keyless: ${kind.conflict}: .*${kind.name}`),
      )
      assert.deepEqual(ok(await run('list', '-g', 'rg-other')).json(), [])
    })

    it('exits 3 for an unknown group', async () => {
      const missing = /^keyless: ResourceGroupNotFound: .*nosuchgroup.*\n$/
      fails(await run('create', 'nosuch1', '-g', 'nosuchgroup'), 3, missing)
      fails(await run('create', 'nosuch1', '-g', 'nosuchgroup', '-l', 'eastus'), 3, missing)
      fails(await run('list', '-g', 'nosuchgroup'), 3, missing)
      fails(await run('show', kind.name, '-g', 'nosuchgroup'), 3, /^keyless: \w+NotFound: /)
    })

    it('deletes only with --yes when not at a terminal, then frees its name', async () => {
      fails(
        await run('delete', kind.name, '-g', 'rg-data'),
        2,
        new RegExp(`refusing to delete ${kind.label} '${kind.name}' .*without confirmation`),
      )
      ok(await run('show', kind.name, '-g', 'rg-data'))
      assert.equal(ok(await run('delete', kind.name, '-g', 'rg-data', '--yes')).stdout, '')
      fails(await run('show', kind.name, '-g', 'rg-data'), 3, /^keyless: ResourceNotFound: /)
      assert.deepEqual(ok(await run('list', '-g', 'rg-data')).json(), [])
      const moved = ok(await run('create', kind.name, '-g', 'rg-other', '-l', 'eastus')).json()
      assert.equal(moved.location, 'eastus')
      ok(await run('delete', kind.name, '-g', 'rg-other', '-y'))
    })
  })
}

describe('help', () => {
  it('prints help for the vault and storage commands, with examples', async () => {
    const groups = [
      ['vault'],
      ['vault', 'create'],
      ['vault', 'delete'],
      ['storage'],
      ['storage', 'account'],
      ['storage', 'account', 'create'],
      ['storage', 'account', 'list'],
    ]
    const results = await Promise.all(groups.map((words) => runCli([...words, '--help'])))
    for (const [i, r] of results.entries()) {
      const words = groups[i]!
      assert.equal(r.code, 0, `${words.join(' ')}: ${explain(r)}`)
      assert.ok(r.stdout.startsWith(`Usage: keyless ${words.join(' ')}`), r.stdout)
    }
    assert.match(results[1]!.stdout, /\n {2}\$ keyless vault create kv1 -g rg1 --tags env=dev\n/)
    assert.match(results[2]!.stdout, /-y, --yes/)
    assert.match(results[5]!.stdout, /\n {2}\$ keyless storage account create data1 -g rg1/)
    const top = ok(await runCli(['--help'])).stdout
    assert.match(top, /\n {2}vault\|keyvault /)
    assert.match(top, /\n {2}storage /)
  })

  it('answers to `keyvault`, as the Azure CLI does', async () => {
    assert.ok(Array.isArray(ok(await cli('keyvault', 'list')).json()))
  })
})
