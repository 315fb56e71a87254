// The az journey (issue 16): Debian's az 2.45 against `keyless up`, in a network namespace with
// only loopback (and a mount namespace whose /etc/hosts names the vault), so az reaches nothing
// else. The driver (az.journey.driver.ts) runs every step and checks its result through ARM;
// each step is one test here. Steps where az 2.45 fails inside itself assert that failure and
// go through `az rest` (README, "az").
import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { ROOT } from '../../helpers/keyless.js'
import type { StepResult } from './az.journey.driver.js'

const DRIVER = join(ROOT, 'dist/test/e2e/az/az.journey.driver.js')

const STEPS = [
  'keyless az-cloud --run registers Keyless as az’s active cloud',
  'az reads the 2019-05-01 array through ARM_CLOUD_METADATA_URL',
  'az login --service-principal with the operator credential',
  'az group create / list',
  'az identity create / list / show',
  'az vm identity assign (fails inside az 2.45; az rest PATCH instead)',
  'az role definition list (fails inside az 2.45; az rest instead)',
  'az role assignment create --assignee (fails inside az; Graph + az rest)',
  'az role assignment list (fails inside az; az rest + getByIds)',
  'az keyvault secret set / show (fail inside az; az rest instead)',
  'az login --identity under keyless run: reads the secret, may not write',
  'az vm identity remove (fails inside az; az rest PATCH instead)',
  'az storage container create, blob upload / download --auth-mode login',
  'az role assignment delete (fails inside az; az rest instead)',
  'az identity delete',
]

function skipReason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root for unshare -n -m'
  if (spawnSync('unshare', ['--version']).status !== 0) return 'needs unshare (util-linux)'
  if (spawnSync('az', ['version', '--output', 'none']).status !== 0) return 'needs az (azure-cli)'
  return false
}

function runDriver(): Promise<StepResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'unshare',
      ['-n', '-m', 'sh', '-c', 'ip link set lo up && exec "$0" "$1"', process.execPath, DRIVER],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (err += c.toString()))
    child.once('error', reject)
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`the az journey driver exited ${code}:\n${err}`))
      resolve(JSON.parse(out.trim().split('\n').pop()!) as StepResult[])
    })
  })
}

describe('az 2.45 journey against keyless up', { skip: skipReason() }, () => {
  let results: StepResult[]
  before(async () => {
    results = await runDriver()
  })

  it('ran every step', () => {
    assert.deepEqual(
      results.map((r) => r.name),
      STEPS,
    )
  })

  for (const name of STEPS) {
    it(name, () => {
      const r = results.find((x) => x.name === name)
      assert.ok(r, 'the step did not run')
      assert.ok(r.ok, r.detail)
    })
  }
})
