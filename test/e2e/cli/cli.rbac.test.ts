// `keyless role` and `keyless access` against a live `keyless up`, through the real binary: a
// group and a user-assigned identity, Reader on the group, the assignment listed through each
// filter, access checked and explained, a custom role's life, and the errors with their codes.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { cliFor, explain, fails, ok, runCli } from './cli.config.js'

const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
const READ = 'Microsoft.ManagedIdentity/userAssignedIdentities/read'
const WRITE = 'Microsoft.ManagedIdentity/userAssignedIdentities/write'
const GET_SECRET = 'Microsoft.KeyVault/vaults/secrets/getSecret/action'
const CUSTOM = 'Identity Reader (cli test)'

let k: KeylessProcess
let cli: ReturnType<typeof cliFor>
let sub: string
let rg: string
/** The user-assigned identity: `.id` its resource id, `.principalId`, `.clientId`. */
const id: Record<string, string> = {}
const files = mkdtempSync(join(tmpdir(), 'keyless-cli-rbac-'))

before(async () => {
  k = await startKeyless()
  cli = cliFor(k.dataDir)
  sub = `/subscriptions/${k.endpoints.subscriptionId}`
  rg = `${sub}/resourceGroups/rg-rbac`
})
after(async () => k?.dispose())

function roleFile(name: string, content: unknown): string {
  const path = join(files, name)
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

const role = (...args: string[]) => cli('role', ...args)
const assign = (assignee: string, name: string, scope: string) =>
  cli('role', 'assignment', 'create', '--assignee', assignee, '--role', name, '--scope', scope)
const unassign = (assignee: string, name: string, scope: string) =>
  cli('role', 'assignment', 'delete', '--assignee', assignee, '--role', name, '--scope', scope)
const check = (principal: string, scope: string, ...rest: string[]) =>
  cli('access', 'check', '--principal', principal, '--scope', scope, ...rest)
const names = async (...args: string[]) =>
  ok(await role('assignment', 'list', ...args))
    .json()
    .map((a: any) => a.name)

describe('role assignments through the CLI', () => {
  const state: Record<string, any> = {}

  it('creates a group and a user-assigned identity to assign roles to', async () => {
    ok(await cli('group', 'create', 'rg-rbac'))
    const created = ok(await cli('identity', 'create', 'id-rbac', '-g', 'rg-rbac')).json()
    Object.assign(id, { id: created.id, ...created.properties })
  })

  it('finds built-in roles by name and by GUID', async () => {
    const listed = ok(await role('definition', 'list', '--name', 'Reader')).json()
    assert.deepEqual(
      listed.map((r: any) => r.name),
      [READER],
    )
    assert.equal(listed[0].properties.type, 'BuiltInRole')
    assert.deepEqual(listed[0].properties.permissions[0].actions, ['*/read'])
    assert.equal(ok(await role('definition', 'show', READER)).json().properties.roleName, 'Reader')
    assert.equal(ok(await role('definition', 'show', 'reader')).json().name, READER)
    assert.ok(ok(await role('definition', 'list')).json().length >= 10)
    assert.deepEqual(ok(await role('definition', 'list', '--custom-only')).json(), [])
    const table = ok(await role('definition', 'list', '--name', READER, '-o', 'table')).stdout
    assert.match(
      table,
      new RegExp(
        `^RoleName\\s+Type\\s+Name\\s+AssignableScopes\\n.*\\nReader\\s+BuiltInRole\\s+${READER}\\s+/\\n$`,
      ),
    )
  })

  it('assigns Reader on the group to the identity named by its resource id', async () => {
    const created = ok(await assign(id.id!, 'Reader', rg)).json()
    assert.equal(created.type, 'Microsoft.Authorization/roleAssignments')
    assert.equal(created.properties.principalId, id.principalId)
    assert.equal(created.properties.principalType, 'ServicePrincipal')
    assert.match(created.properties.roleDefinitionId, new RegExp(`/roleDefinitions/${READER}$`))
    assert.equal(created.properties.scope.toLowerCase(), rg.toLowerCase())
    assert.equal(
      created.id,
      `${created.properties.scope}/providers/Microsoft.Authorization/roleAssignments/${created.name}`,
    )
    state.assignment = created
  })

  it('prints the existing assignment when asked to create it again (by app id)', async () => {
    assert.equal(ok(await assign(id.clientId!, READER, rg)).json().name, state.assignment.name)
  })

  it('lists the assignment through each filter', async () => {
    const name = state.assignment.name
    assert.deepEqual(await names('--scope', rg), [name])
    assert.deepEqual(await names('--scope', rg, '--assignee', id.principalId!), [name])
    assert.deepEqual(await names('--scope', rg, '--assignee', id.id!, '--role', 'Reader'), [name])
    assert.deepEqual(await names('--scope', rg, '--role', 'Owner'), [])
    // At the subscription itself there is none; --all reaches below it.
    assert.ok(!(await names()).includes(name))
    assert.deepEqual(await names('--assignee', id.principalId!, '--all'), [name])
    // Below the group: only with --include-inherited.
    assert.deepEqual(await names('--scope', id.id!), [])
    assert.deepEqual(
      await names('--scope', id.id!, '--include-inherited', '--assignee', id.principalId!),
      [name],
    )
    const table = ok(await role('assignment', 'list', '--scope', rg, '-o', 'table')).stdout
    assert.match(table, /^Principal\s+Role\s+Scope\s+Name\n/)
    assert.match(table, new RegExp(`\\n${id.principalId}\\s+Reader\\s+${rg}\\s+${name}\\n`, 'i'))
  })

  it('checks access: exit 0 when allowed, 1 when any action is denied', async () => {
    assert.deepEqual(ok(await check(id.id!, id.id!, '--action', READ)).json(), [
      { action: READ, allowed: true },
    ])
    const denied = await check(id.principalId!, id.id!, '--action', READ, WRITE)
    assert.equal(denied.code, 1, explain(denied))
    assert.equal(denied.stderr, '')
    assert.deepEqual(
      denied.json().map((d: any) => [d.action, d.allowed]),
      [
        [READ, true],
        [WRITE, false],
      ],
    )
    // Not above the group, nor in the data plane.
    const above = await check(
      id.principalId!,
      sub,
      '--action',
      'Microsoft.Resources/subscriptions/read',
    )
    assert.equal(above.code, 1, explain(above))
    const data = await check(id.clientId!, rg, '--data', '--action', GET_SECRET)
    assert.equal(data.code, 1, explain(data))
    assert.equal(data.json()[0].allowed, false)
    const table = ok(await check(id.principalId!, rg, '--action', READ, '-o', 'table')).stdout
    assert.match(table, new RegExp(`^Action\\s+Allowed\\n-+\\s+-+\\n${READ}\\s+true\\n$`))
  })

  it('explains a decision: the chain as text, the structured decision as JSON', async () => {
    const yes = ['--principal', id.id!, '--scope', id.id!, '--action', READ]
    const text = ok(await cli('access', 'explain', ...yes, '-o', 'table')).stdout
    const chain = [
      `allowed: ${READ}`,
      `  principal ${id.principalId}`,
      `    → role assignment ${state.assignment.name} at scope '${rg.toLowerCase()}'`,
      `    → role 'Reader' (${READER})`,
      `    → permission '*/read' matches '${READ}'`,
    ]
    assert.ok(text.startsWith(chain.join('\n') + '\n'), text)

    const [decision] = ok(await cli('access', 'explain', ...yes)).json()
    assert.equal(decision.action, READ)
    assert.equal(decision.allowed, true)
    assert.match(decision.explanation, /^principal .* → role 'Reader'/)
    assert.equal(decision.decision.decision, 'allowed')
    assert.equal(decision.decision.grant.roleName, 'Reader')
    assert.equal(decision.decision.grant.permission, '*/read')
    assert.equal(decision.decision.grant.assignmentId, state.assignment.name)

    const no = ['--principal', id.principalId!, '--scope', rg, '--action', WRITE]
    const deniedText = ok(await cli('access', 'explain', ...no, '-o', 'table')).stdout
    assert.match(deniedText, new RegExp(`^denied: ${WRITE}\\n {2}principal .*\\n {4}→ role`))
    const [deniedJson] = ok(await cli('access', 'explain', ...no)).json()
    assert.equal(deniedJson.allowed, false)
    assert.equal(deniedJson.decision.decision, 'notAllowed')
    assert.equal(deniedJson.decision.considered[0].roleName, 'Reader')
  })

  it('deletes assignments by assignee, role and scope, and by id', async () => {
    ok(await unassign(id.principalId!, 'Reader', rg))
    assert.deepEqual(await names('--scope', rg), [])
    assert.equal((await check(id.principalId!, rg, '--action', READ)).code, 1)
    fails(
      await unassign(id.principalId!, 'Reader', rg),
      3,
      /^keyless: RoleAssignmentNotFound: no assignment of role 'Reader'/,
    )
    const second = ok(await assign(id.principalId!, 'Managed Identity Operator', id.id!)).json()
    ok(await role('assignment', 'delete', '--ids', second.id))
    fails(
      await role('assignment', 'delete', '--ids', second.id),
      3,
      /^keyless: RoleAssignmentNotFound: no role assignment '/,
    )
  })
})

describe('custom roles through the CLI', () => {
  const state: Record<string, any> = {}

  it("creates a custom role from the Azure CLI's role JSON", async () => {
    const file = roleFile('az.json', {
      Name: CUSTOM,
      Description: 'reads user-assigned identities',
      Actions: [READ],
      NotActions: [],
      DataActions: [],
      NotDataActions: [],
      AssignableScopes: [rg],
    })
    const created = ok(await role('definition', 'create', '--file', file)).json()
    assert.match(created.name, /^[0-9a-f-]{36}$/)
    assert.equal(created.properties.roleName, CUSTOM)
    assert.equal(created.properties.type, 'CustomRole')
    assert.deepEqual(created.properties.permissions[0].actions, [READ])
    state.role = created

    assert.equal(
      ok(await role('definition', 'show', CUSTOM, '--scope', rg)).json().name,
      created.name,
    )
    assert.equal(ok(await role('definition', 'show', created.name)).json().name, created.name)
    const custom = ok(await role('definition', 'list', '--custom-only', '--scope', rg)).json()
    assert.deepEqual(
      custom.map((r: any) => r.name),
      [created.name],
    )
    fails(
      await role('definition', 'create', '--file', file),
      1,
      /^keyless: RoleDefinitionWithSameNameExists: /,
    )
  })

  it('assigns the custom role, and refuses to delete it while assigned', async () => {
    const a = ok(await assign(id.principalId!, CUSTOM, rg)).json()
    ok(await check(id.id!, id.id!, '--action', READ))
    fails(
      await role('definition', 'delete', state.role.name),
      1,
      /^keyless: RoleDefinitionHasAssignments: /,
    )
    ok(await role('assignment', 'delete', '--ids', a.id))
    ok(await role('definition', 'delete', CUSTOM, '--scope', rg))
    fails(
      await role('definition', 'show', state.role.name),
      3,
      /^keyless: RoleDefinitionDoesNotExist: /,
    )
  })

  it("creates and deletes a role from ARM's shape, keeping its GUID", async () => {
    const guid = '5d1c7b9e-0d5f-4a49-8f43-7b8a3c2f11aa'
    const blobRead = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'
    const file = roleFile('arm.json', {
      name: guid,
      properties: {
        roleName: 'Blob Peeker (cli test)',
        permissions: [{ actions: [], dataActions: [blobRead] }],
        assignableScopes: [rg],
      },
    })
    const created = ok(await role('definition', 'create', '--file', file)).json()
    assert.equal(created.name, guid)
    assert.deepEqual(created.properties.permissions[0].dataActions, [blobRead])
    fails(await role('definition', 'create', '--file', file), 1, /^keyless: RoleDefinitionExists: /)
    ok(await role('definition', 'delete', guid))
    fails(await role('definition', 'show', guid), 3, /RoleDefinitionDoesNotExist/)
  })
})

describe('role and access errors', () => {
  it('exits 3 for an unknown role, identity or scope; 1 for an unknown principal id', async () => {
    fails(
      await assign(id.principalId!, 'No Such Role', rg),
      3,
      /^keyless: RoleDefinitionDoesNotExist: role 'No Such Role' does not exist at scope/,
    )
    fails(await role('definition', 'show', 'No Such Role'), 3, /RoleDefinitionDoesNotExist/)
    fails(
      await role('definition', 'show', '00000000-0000-0000-0000-0000000000ff'),
      3,
      /^keyless: RoleDefinitionDoesNotExist: /,
    )
    fails(
      await assign(id.principalId!, 'Reader', `${sub}/resourceGroups/nosuchgroup`),
      3,
      /^keyless: ResourceGroupNotFound: /,
    )
    const missing = `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/nosuchid`
    fails(await assign(missing, 'Reader', rg), 3, /^keyless: ResourceNotFound: /)
    fails(
      await assign('11111111-2222-3333-4444-555555555555', 'Reader', rg),
      1,
      /^keyless: PrincipalNotFound: /,
    )
  })

  it('exits 2 for a bad scope, principal, id or file, and for missing flags', async () => {
    const pid = id.principalId!
    fails(
      await assign(pid, 'Reader', 'rg-rbac'),
      2,
      /^keyless: scope 'rg-rbac' is invalid: it must start with '\/'\n$/,
    )
    fails(
      await role('assignment', 'list', '--scope', '/subscriptions/x/resourceGroups'),
      2,
      /resource group name is missing/,
    )
    fails(await check(pid, '/nonsense/x', '--action', READ), 2, /^keyless: scope '\/nonsense\/x'/)
    fails(await assign('bob', 'Reader', rg), 2, /^keyless: 'bob' is not a principal/)
    fails(
      await role('assignment', 'create', '--role', 'Reader', '--scope', rg),
      2,
      /required option '--assignee <principal>' not specified/,
    )
    fails(
      await cli('access', 'check', '--principal', pid, '--scope', rg),
      2,
      /required option '--action <action\.\.\.>' not specified/,
    )
    fails(await role('assignment', 'delete'), 2, /--ids <id\.\.\.>, or --assignee and --role/)
    fails(
      await role('assignment', 'delete', '--ids', 'abc'),
      2,
      /'abc' is not a role assignment id/,
    )
    fails(
      await role('assignment', 'delete', '--ids', 'x', '--role', 'Reader'),
      2,
      /cannot be used with option '--role <role>'/,
    )
    fails(await role('definition', 'create'), 2, /required option '-f, --file <path>'/)
    const create = (file: string) => role('definition', 'create', '--file', file)
    fails(await create(roleFile('bad.json', '{')), 2, /is not JSON/)
    fails(await create(roleFile('noname.json', { Actions: [READ] })), 2, /has no role name/)
    fails(await create(join(files, 'none.json')), 2, /cannot read/)
  })

  it('prints help for every role and access command and exits 0', async () => {
    const commands = [
      ['role'],
      ['role', 'definition'],
      ...['list', 'show', 'create', 'delete'].map((c) => ['role', 'definition', c]),
      ['role', 'assignment'],
      ...['create', 'list', 'delete'].map((c) => ['role', 'assignment', c]),
      ['access'],
      ['access', 'check'],
      ['access', 'explain'],
    ]
    const results = await Promise.all(commands.map((words) => runCli([...words, '--help'])))
    for (const [i, r] of results.entries()) {
      const words = commands[i]!
      assert.equal(r.code, 0, `${words.join(' ')}: ${explain(r)}`)
      assert.ok(r.stdout.startsWith(`Usage: keyless ${words.join(' ')} `), r.stdout)
    }
    const checkHelp = results[commands.length - 2]!.stdout
    assert.match(checkHelp, /0 when every action is allowed, 1 when any is denied/)
  })
})
