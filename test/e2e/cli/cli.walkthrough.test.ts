// The CLI against a live `keyless up`: every command run as a child process, its JSON (and a
// few tables) checked, through the lifecycle of DESIGN.md: a VM with a system and a user-assigned
// identity, its principal, a web app slot's principal, detaching and deleting.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { cliFor, fails, ok } from './cli.config.js'

let k: KeylessProcess
let cli: ReturnType<typeof cliFor>

before(async () => {
  k = await startKeyless()
  cli = cliFor(k.dataDir)
})
after(async () => k?.dispose())

describe('the operator walkthrough', () => {
  const state: Record<string, any> = {}

  it('creates, shows and lists a resource group', async () => {
    const rg = ok(
      await cli('group', 'create', 'rg1', '-l', 'westeurope', '--tags', 'env=test'),
    ).json()
    assert.equal(rg.name, 'rg1')
    assert.equal(rg.location, 'westeurope')
    assert.deepEqual(rg.tags, { env: 'test' })
    assert.equal(ok(await cli('group', 'show', 'RG1')).json().name, 'rg1')
    const names = ok(await cli('group', 'list'))
      .json()
      .map((g: any) => g.name)
    assert.ok(names.includes('rg1'), names.join())
  })

  it("creates a user-assigned identity in the group's location", async () => {
    const id = ok(await cli('identity', 'create', 'id1', '-g', 'rg1')).json()
    assert.equal(id.type, 'Microsoft.ManagedIdentity/userAssignedIdentities')
    assert.equal(id.location, 'westeurope')
    assert.match(id.properties.principalId, /^[0-9a-f-]{36}$/)
    assert.match(id.properties.clientId, /^[0-9a-f-]{36}$/)
    state.id1 = id
    assert.deepEqual(
      ok(await cli('identity', 'show', 'id1', '-g', 'rg1')).json().properties,
      id.properties,
    )
    const listed = ok(await cli('identity', 'list', '-g', 'rg1')).json()
    assert.deepEqual(
      listed.map((i: any) => i.name),
      ['id1'],
    )
  })

  it('creates a VM with a system-assigned and a user-assigned identity', async () => {
    const vm = ok(
      await cli('vm', 'create', 'vm1', '-g', 'rg1', '--assign-identity', 'system', 'id1'),
    ).json()
    assert.equal(vm.name, 'vm1')
    assert.equal(vm.type, 'Microsoft.Compute/virtualMachines')
    assert.equal(vm.identity.type, 'SystemAssigned, UserAssigned')
    assert.match(vm.identity.principalId, /^[0-9a-f-]{36}$/)
    assert.equal(vm.identity.tenantId, k.endpoints.tenantId)
    const attached = Object.entries<any>(vm.identity.userAssignedIdentities)
    assert.equal(attached.length, 1)
    const [key, ua] = attached[0]!
    assert.equal(key.toLowerCase(), state.id1.id.toLowerCase())
    assert.equal(ua.principalId, state.id1.properties.principalId)
    assert.equal(ua.clientId, state.id1.properties.clientId)
    state.vm1 = vm
  })

  it('shows the VM with the same identities', async () => {
    const vm = ok(await cli('vm', 'show', 'vm1', '-g', 'rg1')).json()
    assert.deepEqual(vm.identity, state.vm1.identity)
    const listed = ok(await cli('vm', 'list', '-g', 'rg1')).json()
    assert.deepEqual(
      listed.map((v: any) => v.name),
      ['vm1'],
    )
  })

  it('refuses to create the VM again rather than replace its identities', async () => {
    fails(
      await cli('vm', 'create', 'vm1', '-g', 'rg1'),
      1,
      /^keyless: ResourceExists: virtual machine 'vm1' already exists in resource group 'rg1'/,
    )
    const vm = ok(await cli('vm', 'show', 'vm1', '-g', 'rg1')).json()
    assert.deepEqual(vm.identity, state.vm1.identity)
  })

  it("shows the VM's principal, named after the VM, by object id", async () => {
    const sp = ok(await cli('sp', 'show', state.vm1.identity.principalId)).json()
    assert.equal(sp.id, state.vm1.identity.principalId)
    assert.equal(sp.displayName, 'vm1')
    assert.equal(sp.servicePrincipalType, 'ManagedIdentity')
  })

  it("shows the user-assigned identity's principal by app id", async () => {
    const sp = ok(await cli('sp', 'show', state.id1.properties.clientId)).json()
    assert.equal(sp.id, state.id1.properties.principalId)
    assert.equal(sp.appId, state.id1.properties.clientId)
    assert.equal(sp.displayName, 'id1')
  })

  it('prints tables with the important fields', async () => {
    const vm = ok(await cli('vm', 'show', 'vm1', '-g', 'rg1', '-o', 'table')).stdout
    const [header, dashes, row] = vm.trimEnd().split('\n')
    assert.match(
      header!,
      /^Name\s+ResourceGroup\s+Location\s+Identity\s+PrincipalId\s+UserAssigned$/,
    )
    assert.match(dashes!, /^-+( +-+)+$/)
    assert.match(
      row!,
      /^vm1\s+rg1\s+westeurope\s+SystemAssigned, UserAssigned\s+[0-9a-f-]{36}\s+id1$/,
    )

    const ids = ok(await cli('vm', 'identity', 'show', 'vm1', '-g', 'rg1', '-o', 'table')).stdout
    const lines = ids.trimEnd().split('\n')
    assert.equal(lines.length, 4, ids)
    assert.match(
      lines[2]!,
      new RegExp(
        `^SystemAssigned\\s+vm1\\s+rg1\\s+${state.vm1.identity.principalId}\\s+[0-9a-f-]{36}$`,
      ),
    )
    assert.match(
      lines[3]!,
      new RegExp(
        `^UserAssigned\\s+id1\\s+rg1\\s+${state.id1.properties.principalId}\\s+${state.id1.properties.clientId}$`,
      ),
    )

    const groups = ok(await cli('group', 'list', '--output', 'table')).stdout
    assert.match(groups, /^Name\s+Location\s+State\s+Tags\n/)
    assert.match(groups, /\nrg1\s+westeurope\s+Succeeded\s+env=test\n/)
  })

  it("gives a web app slot its own principal named '<app>/slots/<slot>'", async () => {
    const app = ok(await cli('webapp', 'create', 'app1', '-g', 'rg1', '--assign-identity')).json()
    assert.equal(app.kind, 'app')
    assert.equal(app.identity.type, 'SystemAssigned')
    const slot = ok(
      await cli('webapp', 'slot', 'create', 'app1', 'staging', '-g', 'rg1', '--assign-identity'),
    ).json()
    assert.equal(slot.type, 'Microsoft.Web/sites/slots')
    assert.equal(slot.location, 'westeurope')
    assert.notEqual(slot.identity.principalId, app.identity.principalId)
    const sp = ok(await cli('sp', 'show', slot.identity.principalId)).json()
    assert.equal(sp.displayName, 'app1/slots/staging')
    const slots = ok(await cli('webapp', 'slot', 'list', 'app1', '-g', 'rg1')).json()
    assert.equal(slots.length, 1)
    const shown = ok(
      await cli('webapp', 'slot', 'identity', 'show', 'app1', 'staging', '-g', 'rg1'),
    ).json()
    assert.equal(shown.principalId, slot.identity.principalId)
  })

  it('assigns a user-assigned identity to the web app, keeping its system identity', async () => {
    const identity = ok(
      await cli('webapp', 'identity', 'assign', 'app1', '-g', 'rg1', '--identities', 'id1'),
    ).json()
    assert.equal(identity.type, 'SystemAssigned, UserAssigned')
    assert.deepEqual(
      Object.keys(identity.userAssignedIdentities).map((i) => i.split('/').pop()),
      ['id1'],
    )
  })

  it('removes the user-assigned identity from the VM and keeps the system one', async () => {
    const identity = ok(
      await cli('vm', 'identity', 'remove', 'vm1', '-g', 'rg1', '--identities', 'id1'),
    ).json()
    assert.equal(identity.type, 'SystemAssigned')
    assert.equal(identity.principalId, state.vm1.identity.principalId)
    assert.equal(Object.keys(identity.userAssignedIdentities ?? {}).length, 0)
    fails(
      await cli('vm', 'identity', 'remove', 'vm1', '-g', 'rg1', '--identities', 'id1'),
      3,
      /^keyless: IdentityNotAssigned: '.*\/id1' is not assigned to 'vm1'\n$/,
    )
  })

  it("deletes the VM, and with it the VM's principal", async () => {
    // Its principal goes with it: like `group delete`, it asks, and a script must say --yes.
    fails(await cli('vm', 'delete', 'vm1', '-g', 'rg1'), 2, /without confirmation: pass --yes/)
    ok(await cli('vm', 'delete', 'vm1', '-g', 'rg1', '--yes'))
    fails(await cli('vm', 'show', 'vm1', '-g', 'rg1'), 3, /^keyless: ResourceNotFound: /)
    fails(await cli('sp', 'show', state.vm1.identity.principalId), 3, /^keyless: \w+: /)
    ok(await cli('sp', 'show', state.id1.properties.principalId))
  })

  it('refuses to delete a group or an identity without --yes when not at a terminal', async () => {
    fails(
      await cli('identity', 'delete', 'id1', '-g', 'rg1'),
      2,
      /without confirmation: pass --yes/,
    )
    ok(await cli('identity', 'show', 'id1', '-g', 'rg1'))
    fails(await cli('group', 'delete', 'rg1'), 2, /without confirmation: pass --yes/)
    ok(await cli('group', 'show', 'rg1'))
  })

  it('deletes the group and everything in it', async () => {
    ok(await cli('group', 'delete', 'rg1', '--yes'))
    fails(await cli('group', 'show', 'rg1'), 3, /^keyless: ResourceGroupNotFound: /)
    fails(await cli('sp', 'show', state.id1.properties.principalId), 3, /^keyless: /)
    const names = ok(await cli('identity', 'list'))
      .json()
      .map((i: any) => i.name)
    assert.ok(!names.includes('id1'))
  })
})
