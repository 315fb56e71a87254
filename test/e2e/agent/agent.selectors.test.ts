// Process selectors end to end (issue 15): set with the CLI (`--allow-uid`, `--allow-exe`, …) as
// the ARM extension property `keylessSelectors`, stored, sent with the token by the server and
// enforced by `keyless up`'s agent. A stock ManagedIdentityCredential under `keyless run` gets
// its token while its process matches and "Identity not found" once it does not; a PATCH that
// changes the selectors reaches the agent (its cached token included) through the change stream.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { realpathSync } from 'node:fs'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { operatorToken } from '../../helpers/tokens.js'
import { cliFor, ok, runCli, type CliResult } from '../cli/cli.config.js'
import { management, MI_TOKENS, VAULT, VM_API, verifyToken } from './agent.config.js'

const NODE = realpathSync(process.execPath)

type Result = { sdk: string; token?: string; error?: string }

describe('process selectors with a stock SDK', () => {
  let k: KeylessProcess
  let cli: (...args: string[]) => Promise<CliResult>
  let vmId: string
  let uami: { id: string; clientId: string; principalId: string }
  let api: ReturnType<typeof management>

  before(async () => {
    k = await startKeyless()
    cli = cliFor(k.dataDir)
    api = management(k, await operatorToken(k))
    ok(await cli('group', 'create', 'rg-sel', '-l', 'local'))
    const created = ok(await cli('identity', 'create', 'app', '-g', 'rg-sel')).json()
    uami = {
      id: created.id,
      clientId: created.properties.clientId,
      principalId: created.properties.principalId,
    }
    const vm = ok(
      await cli(
        'vm',
        'create',
        'vm1',
        '-g',
        'rg-sel',
        '--allow-uid',
        '0',
        '--allow-exe',
        NODE,
        '--assign-identity',
        'system',
        'app',
      ),
    ).json()
    vmId = vm.id
  })
  after(async () => k?.dispose())

  /** The SDK fixture under `keyless run --as vm1`: system-assigned, then the UAMI by client id. */
  async function tokens(): Promise<Result[]> {
    const cases = [{ sdk: 'mic' }, { sdk: 'mic', id: { clientId: uami.clientId } }]
    const r = await runCli(
      [
        'run',
        '--as',
        vmId,
        '--data-dir',
        k.dataDir,
        '--',
        process.execPath,
        MI_TOKENS,
        JSON.stringify({ resource: VAULT, cases }),
      ],
      { NODE_EXTRA_CA_CERTS: '', AZURE_CLIENT_ID: '', IDENTITY_ENDPOINT: '', IDENTITY_HEADER: '' },
    )
    assert.equal(r.code, 0, r.stderr)
    return JSON.parse(r.stdout) as Result[]
  }

  it('stores the selectors on both identities and shows them as keylessSelectors', async () => {
    const vm = (await api.call('GET', `${vmId}?api-version=${VM_API}`)).json()
    const want = { uid: [0], exe: [NODE] }
    assert.deepEqual(vm.identity.keylessSelectors, want)
    const value = Object.values(vm.identity.userAssignedIdentities)[0] as Record<string, unknown>
    assert.deepEqual(value.keylessSelectors, want)
  })

  it('gives a matching process its tokens', async () => {
    const [system, user] = await tokens()
    assert.ok(system!.token, system!.error)
    assert.ok(user!.token, user!.error)
    assert.equal((await verifyToken(k, user!.token!)).oid, uami.principalId)
  })

  it('refuses the same process once the selectors exclude it, cached token or not', async () => {
    ok(
      await cli(
        'vm',
        'identity',
        'assign',
        'vm1',
        '-g',
        'rg-sel',
        '--identities',
        'system',
        '--allow-uid',
        '65534',
      ),
    )
    const changed = (await api.call('GET', `${vmId}?api-version=${VM_API}`)).json()
    assert.deepEqual(changed.identity.keylessSelectors, { uid: [65534] })
    // The change reaches the agent through the change stream; poll until it has.
    let results: Result[] = []
    for (let i = 0; i < 50; i++) {
      results = await tokens()
      if (!results[0]!.token) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const [system, user] = results
    assert.equal(system!.token, undefined)
    assert.match(system!.error!, /Identity not found/)
    // The user-assigned identity's selectors were left as they were: it still matches.
    assert.ok(user!.token, user!.error)
  })

  it('refuses bad selectors with 400 InvalidSelectors and changes nothing', async () => {
    const before = (await api.call('GET', `${vmId}?api-version=${VM_API}`)).json()
    const bad = [
      { user: [1] },
      { uid: ['root'] },
      { exe: 'node' },
      { sha256: 'xyz' },
      { unit: 'nginx' },
    ]
    for (const keylessSelectors of bad) {
      const res = await api.call('PATCH', `${vmId}?api-version=${VM_API}`, {
        identity: { keylessSelectors },
      })
      assert.equal(res.status, 400, res.text)
      assert.equal(res.json().error.code, 'InvalidSelectors', res.text)
    }
    const res = await api.call('PATCH', `${vmId}?api-version=${VM_API}`, {
      identity: { type: 'UserAssigned', keylessSelectors: { uid: [0] } },
    })
    assert.equal(res.status, 400, res.text)
    assert.match(res.json().error.message, /system-assigned identity/)
    const after = (await api.call('GET', `${vmId}?api-version=${VM_API}`)).json()
    assert.deepEqual(after.identity, before.identity)
  })

  it('keeps the selectors through a GET-modify-PUT, and a PUT without them clears them', async () => {
    const vm = (await api.call('GET', `${vmId}?api-version=${VM_API}`)).json()
    const put = await api.call('PUT', `${vmId}?api-version=${VM_API}`, {
      location: vm.location,
      identity: vm.identity,
    })
    assert.equal(put.status, 200, put.text)
    assert.deepEqual(put.json().identity, vm.identity)
    const cleared = await api.call('PUT', `${vmId}?api-version=${VM_API}`, {
      location: vm.location,
      identity: {
        type: vm.identity.type,
        userAssignedIdentities: { [uami.id]: {} },
      },
    })
    assert.equal(cleared.status, 200, cleared.text)
    assert.equal(cleared.json().identity.keylessSelectors, undefined)
    const value = Object.values(cleared.json().identity.userAssignedIdentities)[0] as object
    assert.equal('keylessSelectors' in value, false)
  })
})
