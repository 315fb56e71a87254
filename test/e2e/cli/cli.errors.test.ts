// The CLI's failures against a live `keyless up`: each kind of error exits with its own code
// (1 API, 2 usage, 3 not found, 4 unreachable) and prints `keyless: <code>: <message>`; every
// command group has help.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { cliFor, explain, fails, ok, runCli } from './cli.config.js'

let k: KeylessProcess
let cli: ReturnType<typeof cliFor>

before(async () => {
  k = await startKeyless()
  cli = cliFor(k.dataDir)
})
after(async () => k?.dispose())

describe('errors and exit codes', () => {
  it('exits 3 with the ARM message for an unknown group', async () => {
    fails(
      await cli('vm', 'create', 'vm9', '-g', 'nosuchgroup', '-l', 'eastus'),
      3,
      /^keyless: ResourceGroupNotFound: .*nosuchgroup.*\n$/,
    )
    fails(await cli('identity', 'create', 'id9', '-g', 'nosuchgroup'), 3, /ResourceGroupNotFound/)
  })

  it('exits 1 with the ARM code for an invalid name', async () => {
    ok(await cli('group', 'create', 'rg-errors'))
    fails(
      await cli('identity', 'create', 'bad!name', '-g', 'rg-errors'),
      1,
      /^keyless: InvalidResourceName: /,
    )
    fails(await cli('vm', 'create', '-bad', '-g', 'rg-errors'), 2, /^error: unknown option '-bad'/)
    fails(
      await cli('vm', 'create', 'bad.', '-g', 'rg-errors'),
      1,
      /^keyless: InvalidResourceName: /,
    )
  })

  it('exits 2 for a missing required option or a bad value', async () => {
    fails(await cli('vm', 'create', 'vm1'), 2, /required option '-g, --resource-group <group>'/)
    fails(await cli('group', 'show'), 2, /missing required argument 'name'/)
    fails(
      await cli('group', 'list', '-o', 'xml'),
      2,
      /Allowed choices are json, jsonc, table, tsv, yaml, none/,
    )
    fails(await cli('group', 'create', 'rg2', '--tags', '=v'), 2, /is not a tag/)
    fails(await cli('vm', 'nosuchcommand'), 2, /unknown command 'nosuchcommand'/)
  })

  it('exits 4 and says to run keyless up when there is no endpoints.json', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'keyless-cli-empty-'))
    fails(
      await runCli(['group', 'list', '--data-dir', empty]),
      4,
      /^keyless: cannot find Keyless: .*endpoints\.json not found; run `keyless up`/,
    )
    fails(await runCli(['group', 'list']), 4, /\.keyless\/endpoints\.json not found/)
  })

  it('exits 4 when the endpoints do not answer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyless-cli-down-'))
    const down = 'https://127.0.0.1:1'
    writeFileSync(
      join(dir, 'endpoints.json'),
      JSON.stringify({ ...k.endpoints, authorityHost: down, managementEndpoint: down }),
    )
    fails(
      await runCli(['group', 'list', '--data-dir', dir]),
      4,
      /^keyless: cannot reach Keyless at https:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)/,
    )
  })

  it('finds the installation through KEYLESS_HOME and global options before the command', async () => {
    const viaEnv = await runCli(['group', 'list', '-o', 'json'], { KEYLESS_HOME: k.dataDir })
    assert.ok(Array.isArray(ok(viaEnv).json()))
    const before = await runCli(['--data-dir', k.dataDir, '-o', 'table', 'group', 'list'])
    assert.match(ok(before).stdout, /^Name\s+Location/)
    // Not a terminal: JSON by default.
    assert.ok(Array.isArray(ok(await runCli(['group', 'list', '--data-dir', k.dataDir])).json()))
  })

  it('prints help for every command group and exits 0', async () => {
    const groups = [
      [],
      ['group'],
      ['identity'],
      ['vm'],
      ['vm', 'identity'],
      ['webapp'],
      ['webapp', 'identity'],
      ['webapp', 'slot'],
      ['webapp', 'slot', 'identity'],
      ['sp'],
      ['vm', 'create'],
      ['vm', 'identity', 'assign'],
    ]
    const results = await Promise.all(groups.map((words) => runCli([...words, '--help'])))
    for (const [i, r] of results.entries()) {
      const words = groups[i]!
      assert.equal(r.code, 0, `${words.join(' ')}: ${explain(r)}`)
      assert.ok(
        r.stdout.startsWith(`Usage: keyless ${words.map((w) => `${w} `).join('')}`),
        r.stdout,
      )
    }
    const create = await runCli(['vm', 'create', '--help'])
    assert.match(
      create.stdout,
      /Examples:\n {2}\$ keyless vm create vm1 -g rg1 --assign-identity\n/,
    )
  })
})
