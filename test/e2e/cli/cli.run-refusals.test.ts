// `keyless run --as <resource>` refuses before starting the program when the resource cannot
// get tokens: it does not exist (exit 3), it is not a compute resource, or it has no identity
// (exit 1), each with a message saying what to do. The program's marker file proves it never ran.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { cliFor, fails, ok, runCli } from './cli.config.js'

let k: KeylessProcess
let cli: ReturnType<typeof cliFor>
let sub: string

before(async () => {
  k = await startKeyless()
  cli = cliFor(k.dataDir)
  sub = `/subscriptions/${k.endpoints.subscriptionId}/resourceGroups/rg-run`
  ok(await cli('group', 'create', 'rg-run', '-l', 'local'))
  ok(await cli('vm', 'create', 'bare', '-g', 'rg-run'))
  ok(await cli('vm', 'create', 'good', '-g', 'rg-run', '--assign-identity'))
  ok(await cli('identity', 'create', 'uami', '-g', 'rg-run'))
})
after(async () => k?.dispose())

function program(marker: string): string[] {
  return [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran')`]
}

describe('keyless run refusals', () => {
  const cases = [
    {
      name: 'a resource that does not exist',
      as: () => `${sub}/providers/Microsoft.Compute/virtualMachines/missing`,
      code: 3,
      message: /does not exist: create it first/,
    },
    {
      name: 'a resource that is not compute',
      as: () => `${sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami`,
      code: 1,
      message: /not a compute resource/,
    },
    {
      name: 'a VM without a managed identity',
      as: () => `${sub}/providers/Microsoft.Compute/virtualMachines/bare`,
      code: 1,
      message: /has no managed identity.*keyless vm identity assign/,
    },
  ]
  for (const c of cases) {
    it(`refuses ${c.name} before starting the program`, async () => {
      const marker = join(k.dataDir, `marker-${Math.random().toString(36).slice(2)}`)
      fails(
        await runCli(['run', '--as', c.as(), '--data-dir', k.dataDir, '--', ...program(marker)]),
        c.code,
        c.message,
      )
      assert.equal(existsSync(marker), false, 'the program was started')
    })
  }

  it('starts the program as a VM with an identity', async () => {
    const marker = join(k.dataDir, 'marker-good')
    const as = `${sub}/providers/Microsoft.Compute/virtualMachines/good`
    ok(await runCli(['run', '--as', as, '--data-dir', k.dataDir, '--', ...program(marker)]))
    assert.equal(existsSync(marker), true)
  })
})
