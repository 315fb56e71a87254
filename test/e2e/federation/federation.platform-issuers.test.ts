// `keyless issuer kubernetes|github-actions` as a user runs them: the real CLI in a child
// process serves discovery and JWKS over HTTPS and keeps a token file fresh; stock clients set up
// the Kubernetes workload-identity way (AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID,
// AZURE_TENANT_ID, AZURE_AUTHORITY_HOST) trade the file for the identity's token, and one running
// program (Python and JS ClientAssertionCredential reading the file) trades the file's replacement.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { decodeJwt } from 'jose'
import { WorkloadIdentityCredential } from '@azure/identity'
import { BIN, ROOT } from '../../helpers/keyless.js'
import { arm as armCall } from '../../helpers/arm.js'
import { https } from '../../helpers/https.js'
import { startFederation, type FederationEnv } from './federation.config.js'
import { freePort } from '../../helpers/free-port.js'

const ARM_SCOPE = 'https://management.azure.com/.default'
const SA = 'system:serviceaccount:apps:web'
const WORKFLOW = 'octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main'
const PYTHON = '/usr/bin/python3'
const hasPython =
  spawnSync(PYTHON, ['-c', 'import azure.identity'], { encoding: 'utf8' }).status === 0

interface RunningIssuer {
  child: ChildProcess
  issuer: string
  tokenFile: string
}

/** Starts `keyless issuer` and waits for the JSON line that names the issuer. */
async function runIssuer(args: string[]): Promise<RunningIssuer> {
  const child = spawn(process.execPath, [BIN, 'issuer', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stderr!.on('data', (d) => (err += String(d)))
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += String(d)
      if (out.includes('\n')) resolve(out.split('\n')[0]!)
    })
    child.once('exit', (code) => reject(new Error(`keyless issuer exited ${code}: ${err}`)))
  })
  const info = JSON.parse(line) as { issuer: string; tokenFile: string }
  return { child, issuer: info.issuer, tokenFile: info.tokenFile }
}

describe('keyless issuer: test issuers for Kubernetes and GitHub Actions', () => {
  let env: FederationEnv
  let dir: string
  let k8s: RunningIssuer
  let gh: RunningIssuer

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyless-issuer-'))
    const caDir = process.env.KEYLESS_TEST_CA_DIR!
    const [k8sPort, ghPort] = [await freePort(), await freePort()]
    // The installation must trust the issuers' private address, so their URLs come first.
    env = await startFederation([], [], {
      privateIssuers: [
        `https://127.0.0.1:${k8sPort}/kubernetes`,
        `https://127.0.0.1:${ghPort}/github-actions`,
      ],
    })
    k8s = await runIssuer([
      'kubernetes',
      ...['--data-dir', caDir, '--port', String(k8sPort), '--subject', SA],
      ...['--token-file', join(dir, 'k8s-token'), '--lifetime-seconds', '600'],
      ...['--rotate-seconds', '3'],
    ])
    gh = await runIssuer([
      'github-actions',
      ...['--data-dir', caDir, '--port', String(ghPort)],
      ...['--subject', 'repo:octo-org/octo-repo:environment:prod'],
      ...['--claim', `job_workflow_ref=${WORKFLOW}`, '--token-file', join(dir, 'gh-token')],
    ])
    await env.trust('k8s-web', { issuer: k8s.issuer, subject: SA })
    await env.trust(
      'gh-deploy',
      {
        issuer: gh.issuer,
        claimsMatchingExpression: {
          value: `claims['sub'] matches 'repo:octo-org/octo-repo:*' and claims['job_workflow_ref'] eq '${WORKFLOW}'`,
          languageVersion: 1,
        },
      },
      '2025-01-31-preview',
    )
  })
  after(async () => {
    for (const i of [k8s, gh]) i?.child.kill('SIGTERM')
    await env?.dispose()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  async function assertArmToken(token: string) {
    const claims = decodeJwt(token)
    assert.equal(claims.oid, env.identity.principalId)
    const res = await armCall(env.arm.k, token)(
      'GET',
      `${env.arm.group(env.rg)}?api-version=2025-04-01`,
    )
    assert.equal(res.status, 200, res.text)
  }

  const workloadEnv = (tokenFile: string) => ({
    ...process.env,
    AZURE_FEDERATED_TOKEN_FILE: tokenFile,
    AZURE_CLIENT_ID: env.identity.clientId,
    AZURE_TENANT_ID: env.arm.tenantId,
    AZURE_AUTHORITY_HOST: env.arm.k.endpoints.authorityHost,
  })

  it("writes Kubernetes' projected-token claims, served from the issuer's discovery", async () => {
    const claims = decodeJwt(readFileSync(k8s.tokenFile, 'utf8').trim())
    assert.equal(claims.iss, k8s.issuer)
    assert.equal(claims.sub, SA)
    assert.equal(claims.aud, 'api://AzureADTokenExchange')
    assert.equal(claims.exp! - claims.iat!, 600)
    const k8sClaims = claims['kubernetes.io'] as any
    assert.equal(k8sClaims.namespace, 'apps')
    assert.equal(k8sClaims.serviceaccount.name, 'web')
    assert.ok(k8sClaims.pod.uid && k8sClaims.node.name)
    const discovery = await https(`${k8s.issuer}/.well-known/openid-configuration`, {
      ca: env.arm.k.ca,
    })
    assert.equal(discovery.json().issuer, k8s.issuer)
  })

  it('stock DefaultAzureCredential in a workload process trades the file (AKS env vars)', async () => {
    // A separate program that knows nothing of Keyless: only the workload-identity variables.
    const script = `import { DefaultAzureCredential } from '@azure/identity'
const c = new DefaultAzureCredential({ disableInstanceDiscovery: true })
process.stdout.write((await c.getToken('${ARM_SCOPE}')).token)`
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: workloadEnv(k8s.tokenFile),
    })
    assert.equal(run.status, 0, run.stderr)
    await assertArmToken(run.stdout.trim())
  })

  const readToken = (file: string) => readFileSync(file, 'utf8').trim()
  /** Waits for the issuer to replace `file`'s content `current`; returns the new token. */
  async function nextRotation(file: string, current: string): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const now = readToken(file)
      if (now !== current) return now
      await sleep(100)
    }
    throw new Error('the token file was not replaced within 10 s')
  }

  it('replaces the token file with a fresh token, which a new read trades again', async () => {
    const credential = () =>
      new WorkloadIdentityCredential({
        tenantId: env.arm.tenantId,
        clientId: env.identity.clientId,
        tokenFilePath: k8s.tokenFile,
        authorityHost: env.arm.k.endpoints.authorityHost,
        disableInstanceDiscovery: true,
      })
    const vault = 'https://vault.azure.net/.default'
    // Right after a rotation, trade what the file holds for a vault token (and know which
    // token that was: the file did not change around the trade).
    let traded = readToken(k8s.tokenFile)
    for (let attempt = 0; attempt < 3; attempt++) {
      traded = await nextRotation(k8s.tokenFile, traded)
      await credential().getToken(vault)
      if (readToken(k8s.tokenFile) === traded) break
    }
    const rotated = await nextRotation(k8s.tokenFile, traded)
    assert.notEqual(decodeJwt(rotated).jti, decodeJwt(traded).jti)
    assert.ok(decodeJwt(rotated).exp! >= decodeJwt(traded).exp!)
    // A credential reading the file after the rotation trades for the same resource again, which
    // the replay guard refuses for the old token: the replaced file was read.
    const { token } = await credential().getToken(vault)
    assert.equal(decodeJwt(token).oid, env.identity.principalId)
    const replay = await env.exchange(traded, { scope: vault })
    assert.deepEqual(replay.json().error_codes, [700021], 'the old token was used once already')
  })

  it('a GitHub Actions token matches an expression over job_workflow_ref', async () => {
    const claims = decodeJwt(readFileSync(gh.tokenFile, 'utf8').trim())
    assert.equal(claims.repository, 'octo-org/octo-repo')
    assert.equal(claims.job_workflow_ref, WORKFLOW)
    for (const c of ['repository_owner', 'ref', 'sha', 'run_id', 'actor', 'event_name'])
      assert.equal(typeof claims[c], 'string', c)
    const { token } = await new WorkloadIdentityCredential({
      tenantId: env.arm.tenantId,
      clientId: env.identity.clientId,
      tokenFilePath: gh.tokenFile,
      authorityHost: env.arm.k.endpoints.authorityHost,
      disableInstanceDiscovery: true,
    }).getToken(ARM_SCOPE)
    await assertArmToken(token)
  })

  it(
    'Python azure-identity reads the same token file',
    { skip: hasPython ? false : 'Debian python3-azure is not installed' },
    async () => {
      const ca = join(dir, 'ca.pem')
      writeFileSync(ca, env.arm.k.ca)
      const script = join(ROOT, 'test/e2e/federation/fixtures/client_assertion.py')
      // Right after a rotation: a token no test here has traded for ARM yet.
      await nextRotation(k8s.tokenFile, readToken(k8s.tokenFile))
      const run = spawnSync(
        PYTHON,
        [script, env.arm.tenantId, env.identity.clientId, k8s.tokenFile, ARM_SCOPE],
        {
          encoding: 'utf8',
          timeout: 120_000,
          env: { ...workloadEnv(k8s.tokenFile), REQUESTS_CA_BUNDLE: ca },
        },
      )
      assert.equal(run.status, 0, run.stderr)
      await assertArmToken(run.stdout.trim())
    },
  )

  /**
   * One running program trades the file for the vault; the issuer replaces the file and the test
   * spends the old token for ARM, the resource the program has no token for yet (presenting it
   * again is refused, AADSTS700021); the same credential object then gets an ARM token.
   */
  async function oneRunningProgram(program: string[]) {
    const ca = join(dir, 'ca.pem')
    writeFileSync(ca, env.arm.k.ca)
    const vault = 'https://vault.azure.net/.default'
    // Right after a rotation: a token no test here has traded yet.
    await nextRotation(k8s.tokenFile, readToken(k8s.tokenFile))
    const [command, ...args] = program
    const child = spawn(
      command!,
      [...args, env.arm.tenantId, env.identity.clientId, k8s.tokenFile, vault, ARM_SCOPE],
      {
        env: { ...workloadEnv(k8s.tokenFile), REQUESTS_CA_BUNDLE: ca },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    )
    let err = ''
    child.stderr!.on('data', (d) => (err += String(d)))
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    const lines: string[] = []
    let buffered = ''
    child.stdout!.on('data', (d) => {
      buffered += String(d)
      for (let n; (n = buffered.indexOf('\n')) >= 0; buffered = buffered.slice(n + 1))
        lines.push(buffered.slice(0, n))
    })
    const line = async (k: number) => {
      for (let i = 0; i < 600 && lines.length <= k; i++) {
        if (child.exitCode !== null) break
        await sleep(100)
      }
      assert.ok(lines[k], `the program printed no line ${k + 1}: ${err}`)
      return JSON.parse(lines[k]!) as { token: string; assertion: string }
    }
    try {
      const first = await line(0)
      assert.equal(decodeJwt(first.token).oid, env.identity.principalId)
      await nextRotation(k8s.tokenFile, first.assertion)
      const spent = await env.exchange(first.assertion, { scope: ARM_SCOPE })
      assert.equal(spent.status, 200, spent.text)
      child.stdin!.write('\n')
      const second = await line(1)
      assert.equal(await exited, 0, err)
      // The same credential object traded a token it read after the rotation.
      assert.notEqual(decodeJwt(second.assertion).jti, decodeJwt(first.assertion).jti)
      await assertArmToken(second.token)
    } finally {
      child.kill('SIGTERM')
    }
  }

  it(
    'one running Python program re-reads the rotated file for a resource it has no token for',
    { skip: hasPython ? false : 'Debian python3-azure is not installed' },
    () =>
      oneRunningProgram([
        PYTHON,
        join(ROOT, 'test/e2e/federation/fixtures/rotating_token_file.py'),
      ]),
  )

  it('one running JS program re-reads the rotated file through ClientAssertionCredential', () =>
    oneRunningProgram([
      process.execPath,
      join(import.meta.dirname, 'rotating-token-file.fixture.js'),
    ]))
})
