// Stock Key Vault clients with no opt-out under `keyless run` (issue 16): `keyless up` serves
// vaults at https://<vault>.vault.keyless.localhost:<port>/ (ARM's vaultUri), keeps the by-address
// URL (vaultUriByAddress), and keeps <data-dir>/vault-hosts listing every vault; `keyless run`
// mounts it over its program's /etc/hosts in a private mount namespace. JS SecretClient and
// KeyClient and Debian's Python SecretClient and KeyClient then pass their challenge check
// unmodified. Where the namespace cannot be made, the program runs as before with a one-line
// hint, and the by-address URL with the documented opt-out works.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { hostsNamespaceArgv } from '../../../src/cli/run-namespace.js'
import { BIN } from '../../helpers/keyless.js'
import { ROLES, startVaultEnv, type Vault, type VaultEnv, type Workload } from './vault.config.js'

const FIXTURE = join(import.meta.dirname, 'vault-names.fixture.js')
const PYTHON = '/usr/bin/python3'
const PY_FIXTURE = join(import.meta.dirname, '../../../../test/e2e/vault/fixtures/names_client.py')
const SUFFIX = 'vault.keyless.localhost'
const noPython =
  spawnSync(PYTHON, ['-c', 'import azure.identity, azure.keyvault.secrets, azure.keyvault.keys'])
    .status === 0
    ? false
    : 'the Python azure-identity and azure-keyvault clients are not installed (python3-azure)'

interface Ran {
  code: number | null
  out: string
  err: string
}

/** `keyless run --as <as> [flags] -- <program…>` with only what keyless run gives the program. */
function keylessRun(
  dataDir: string,
  as: string,
  program: string[],
  o: { flags?: string[]; env?: NodeJS.ProcessEnv } = {},
) {
  return new Promise<Ran>((resolve, reject) => {
    const env = {
      ...process.env,
      NODE_EXTRA_CA_CERTS: '',
      IDENTITY_ENDPOINT: '',
      IDENTITY_HEADER: '',
      ...o.env,
    }
    const args = [
      BIN,
      'run',
      '--data-dir',
      dataDir,
      '--as',
      as,
      ...(o.flags ?? []),
      '--',
      ...program,
    ]
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (err += c.toString()))
    child.once('error', reject)
    child.once('exit', (code) => resolve({ code, out, err }))
  })
}

const lastJson = (r: Ran) => {
  assert.equal(r.code, 0, `${r.err}\n${r.out}`)
  return JSON.parse(r.out.trim().split('\n').pop()!) as Record<string, string>
}

describe('vault names under keyless run', () => {
  let env: VaultEnv
  let vault: Vault & { byName: string; byAddress: string }
  let app: Workload

  before(async () => {
    env = await startVaultEnv()
    const created = await env.createVault('kv-names')
    const props = (await env.call('GET', `${created.id}?api-version=2023-07-01`)).json().properties
    vault = { ...created, byName: props.vaultUri, byAddress: props.vaultUriByAddress }
    app = await env.createWorkload('names-app', { local: true })
    await env.assign(vault.id, ROLES.officer, app.principalId)
    await env.assign(vault.id, ROLES.cryptoOfficer, app.principalId)
  })
  after(async () => env?.dispose())

  it('publishes the vault by name (vaultUri) and by address (vaultUriByAddress)', () => {
    const port = Number(new URL(vault.byName).port)
    assert.equal(vault.byName, `https://kv-names.${SUFFIX}:${port}/`)
    assert.match(vault.byAddress, /^https:\/\/127\.0\.0\.1:\d+\/$/)
    assert.equal(env.k.endpoints.vaultEndpoint, `https://{vault}.${SUFFIX}:${port}/`)
  })

  it('keeps vault-hosts (0600) listing every vault, rewritten in place as vaults come', async () => {
    const file = String(env.k.endpoints.vaultHostsFile)
    assert.equal(file, join(env.k.dataDir, 'vault-hosts'))
    assert.equal(statSync(file).mode & 0o777, 0o600)
    const inode = statSync(file).ino
    assert.match(readFileSync(file, 'utf8'), /^127\.0\.0\.1 kv-names\.vault\.keyless\.localhost$/m)
    await env.createVault('kv-names-2')
    const text = readFileSync(file, 'utf8')
    assert.match(text, /^127\.0\.0\.1 kv-names-2\.vault\.keyless\.localhost$/m)
    assert.match(text, /^127\.0\.0\.1\s+localhost/m, "the machine's own lines stay")
    assert.equal(statSync(file).ino, inode, 'same inode: a mounted copy sees the change')
  })

  it('lets stock JS SecretClient and KeyClient work with no options', async () => {
    const r = lastJson(
      await keylessRun(env.k.dataDir, app.id, [
        process.execPath,
        FIXTURE,
        JSON.stringify({ vaultUrl: vault.byName }),
      ]),
    )
    assert.equal(r.error, undefined, JSON.stringify(r))
    assert.equal(r.resolved, '127.0.0.1')
    assert.equal(r.secret, 'hello from a stock client')
    assert.equal(r.keyType, 'EC')
    assert.ok(r.keyId!.startsWith(`${vault.byName}keys/signer/`), r.keyId)
  })

  it(
    'lets Debian python3-azure SecretClient and KeyClient work with no options',
    { skip: noPython },
    async () => {
      const r = lastJson(
        await keylessRun(env.k.dataDir, app.id, [PYTHON, PY_FIXTURE, vault.byName]),
      )
      assert.equal(r.resolved, '127.0.0.1')
      assert.equal(r.secret, 'hello from python')
      assert.match(r.keyType!, /RSA/i)
      assert.ok(r.keyId!.startsWith(`${vault.byName}keys/py-signer/`), r.keyId)
    },
  )

  it('falls back with a one-line hint where no namespace can be made', async () => {
    // No unshare on PATH: the program starts as it would have, and says what to use instead.
    const r = await keylessRun(
      env.k.dataDir,
      app.id,
      [process.execPath, FIXTURE, JSON.stringify({ vaultUrl: vault.byAddress, byAddress: true })],
      { env: { PATH: '/nonexistent' } },
    )
    const hint = r.err.split('\n').filter((l) => l.includes('vaultUriByAddress'))
    assert.equal(hint.length, 1, r.err)
    assert.match(
      hint[0]!,
      /^keyless: vault host names do not resolve for this program \(cannot run unshare/,
    )
    const out = lastJson(r)
    assert.equal(out.secret, 'hello from a stock client', JSON.stringify(out))
  })

  it('--no-vault-hosts leaves /etc/hosts alone and prints no hint', async () => {
    const r = await keylessRun(env.k.dataDir, app.id, ['/bin/sh', '-c', 'cat /etc/hosts'], {
      flags: ['--no-vault-hosts'],
    })
    assert.equal(r.code, 0, r.err)
    assert.equal(r.out, readFileSync('/etc/hosts', 'utf8'))
    assert.equal(r.err, '')
  })
})

describe('the hosts namespace itself', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-names-'))
  const hosts = join(dir, 'hosts')
  writeFileSync(hosts, '127.0.0.1 localhost\n127.0.0.1 kv.vault.test\n')
  chmodSync(hosts, 0o644)
  chmodSync(dir, 0o755)
  after(() => rmSync(dir, { recursive: true, force: true }))
  const script = 'id -u; id -g; getent hosts kv.vault.test; echo x >> /etc/hosts || echo read-only'
  const asRoot = process.getuid?.() === 0
  const setpriv = spawnSync('setpriv', ['--help']).status === 0

  it(
    'as root: one mount namespace, /etc/hosts replaced read-only, the caller unchanged',
    { skip: !asRoot && 'needs root' },
    () => {
      const argv = hostsNamespaceArgv(hosts, ['/bin/sh', '-c', script], { uid: 0, gid: 0 })
      const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' })
      assert.equal(r.status, 0, r.stderr)
      assert.deepEqual(
        r.stdout
          .trim()
          .split('\n')
          .map((l) => l.replace(/\s+/g, ' ')),
        ['0', '0', '127.0.0.1 kv.vault.test', 'read-only'],
      )
      assert.equal(readFileSync('/etc/hosts', 'utf8').includes('kv.vault.test'), false)
    },
  )

  it(
    'unprivileged: a user namespace makes the mount, and the program keeps its own uid',
    { skip: !(asRoot && setpriv) && 'needs root and setpriv to become nobody' },
    () => {
      const argv = hostsNamespaceArgv(hosts, ['/bin/sh', '-c', script], { uid: 65534, gid: 65534 })
      const r = spawnSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', '--', ...argv],
        { encoding: 'utf8' },
      )
      assert.equal(r.status, 0, r.stderr)
      assert.deepEqual(
        r.stdout
          .trim()
          .split('\n')
          .map((l) => l.replace(/\s+/g, ' ')),
        ['65534', '65534', '127.0.0.1 kv.vault.test', 'read-only'],
      )
    },
  )
})
