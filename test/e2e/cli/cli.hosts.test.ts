// `keyless host`: a join token from the CLI enrolls a host; the CLI lists it and revokes it,
// after which the host's credential gets no more tokens.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { arm } from '../../helpers/arm.js'
import { operatorToken } from '../../helpers/tokens.js'
import { enroll, identityToken } from '../hosts/hosts.config.js'
import { cliFor, fails, ok } from './cli.config.js'

describe('keyless host', () => {
  let k: KeylessProcess
  let cli: ReturnType<typeof cliFor>

  before(async () => {
    k = await startKeyless()
    cli = cliFor(k.dataDir)
  })
  after(() => k?.dispose())

  it('creates a join token that enrolls one host, lists it, and revokes it', async () => {
    const created = ok(await cli('host', 'join-token')).json()
    assert.match(created.token, /^kjt~[\w-]{43}$/)
    assert.ok(created.expiresAt > Date.now())
    const host = await enroll(k, created.token)
    await assert.rejects(enroll(k, created.token), /enroll failed: 4\d\d/)

    const listed = ok(await cli('host', 'list')).json()
    const mine = listed.find((h: { id: string }) => h.id === host.hostId)
    assert.equal(mine?.state, 'active')
    assert.ok(
      listed.some((h: { isLocal: boolean }) => h.isLocal),
      'the in-process agent is listed',
    )

    // A VM placed on the host with --host: the host gets its tokens until it is revoked.
    ok(await cli('group', 'create', 'hosts-rg', '--location', 'eastus'))
    const vm = ok(
      await cli(
        'vm',
        'create',
        'vm1',
        '-g',
        'hosts-rg',
        '--host',
        host.hostId,
        '--assign-identity',
      ),
    ).json().id as string
    // ARM shows the placement, so an operator can see where a resource runs.
    const local = await arm(k, await operatorToken(k))('GET', `${vm}?api-version=2024-07-01`)
    assert.equal(local.json().properties.hostId, host.hostId)
    assert.equal((await identityToken(k, host, vm)).status, 200)

    const revoked = ok(await cli('host', 'revoke', host.hostId)).json()
    assert.equal(revoked.state, 'revoked')
    const table = ok(await cli('host', 'list', '-o', 'table')).stdout
    assert.match(table, new RegExp(`${host.hostId}\\s+test-host\\s+revoked`))
    const refused = await identityToken(k, host, vm)
    assert.equal(refused.status, 401, refused.text)
    assert.equal(refused.json().error, 'invalid_client')
  })

  it('creates a join token that enrolls the host as an Arc machine in a resource group', async () => {
    ok(await cli('group', 'create', 'machines-rg', '--location', 'eastus'))
    const created = ok(
      await cli('host', 'join-token', '-g', 'machines-rg', '--location', 'westus'),
    ).json()
    assert.match(created.resourceGroupId, /\/resourceGroups\/machines-rg$/)
    const host = await enroll(k, created.token)
    const machine = `${created.resourceGroupId}/providers/Microsoft.HybridCompute/machines/test-host`
    const listed = ok(await cli('host', 'list')).json()
    assert.equal(listed.find((h: { id: string }) => h.id === host.hostId)?.machineId, machine)
    const got = await arm(k, await operatorToken(k))('GET', `${machine}?api-version=2024-07-10`)
    assert.equal(got.json().location, 'westus')
    fails(await cli('host', 'join-token', '-g', 'no-such-rg'), 3, /ResourceGroupNotFound/)
  })

  it('exits 3 for an unknown host and shows help', async () => {
    fails(await cli('host', 'revoke', 'no-such-host'), 3, /HostNotFound/)
    const help = ok(await cli('host', '--help'))
    assert.match(help.stdout, /join-token/)
    assert.match(help.stdout, /revoke/)
  })
})
