// The federation dry run (POST /keyless/v1/federation/test and `keyless identity federation
// test`) against every refusal of the refusal tests: for each it gives the token endpoint's own
// AADSTS code and message, and per credential whether it matched and which claim did not. It
// takes no single use, is refused to a caller who may not read the identity's credentials, and
// the CLI exits 0 or 1 with the same report.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BIN } from '../../helpers/keyless.js'
import { https } from '../../helpers/https.js'
import { addApplication } from '../../helpers/applications.js'
import { startFederation, type FederationEnv } from './federation.config.js'
import { ISSUERS, MAIN, prepare, REFUSALS, UNTRUSTED } from './federation.cases.js'

const PATH = '/keyless/v1/federation/test'
/** Every credential `prepare` adds, all of which each report lists. */
const CREDENTIALS = [
  'gh-main',
  'liar-cred',
  'huge-cred',
  'slow-cred',
  'httpjwks-cred',
  'private-cred',
]

describe('federation dry run', () => {
  let env: FederationEnv
  let dir: string

  before(async () => {
    env = await startFederation(ISSUERS, UNTRUSTED)
    await prepare(env)
    dir = mkdtempSync(join(tmpdir(), 'keyless-dryrun-'))
  })
  after(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true })
    await env?.dispose()
  })

  const dryRun = (assertion: string, o: { token?: string; clientId?: string } = {}) =>
    https(`${env.arm.base}${PATH}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${o.token ?? env.arm.operatorToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ clientId: o.clientId ?? env.identity.clientId, assertion }),
      ca: env.arm.k.ca,
    })

  it('reports the matching credential for a good token, and takes no single use', async () => {
    const token = await env.issuer.gh!.mint(MAIN)
    const res = await dryRun(token)
    assert.equal(res.status, 200, res.text)
    const report = res.json()
    assert.equal(report.wouldIssue, true)
    assert.equal(report.refusal, null)
    assert.equal(report.matchedCredential, 'gh-main')
    assert.equal(report.claimsVerified, true)
    assert.equal(report.identity.toLowerCase(), env.identity.id.toLowerCase())
    const gh = report.credentials.find((c: any) => c.name === 'gh-main')
    assert.equal(gh.matches, true)
    const other = report.credentials.find((c: any) => c.name === 'liar-cred')
    assert.equal(other.matches, false)
    assert.equal(other.claim, 'iss')
    // The dry run left the token unused: the exchange takes it, and then the dry run says so.
    const exchanged = await env.exchange(token)
    assert.equal(exchanged.status, 200, exchanged.text)
    const after = (await dryRun(token)).json()
    assert.equal(after.wouldIssue, false)
    assert.equal(after.replayed, true)
    assert.equal(after.refusal.errorCode, 700021)
    assert.match(after.refusal.message, /already used for this resource/)
  })

  for (const r of REFUSALS) {
    it(`explains ${r.what} (AADSTS${r.code})`, async () => {
      const res = await dryRun(await r.assertion(env))
      assert.equal(res.status, 200, res.text)
      const report = res.json()
      assert.equal(report.wouldIssue, false)
      assert.equal(report.refusal.errorCode, r.code)
      assert.equal(report.refusal.status, r.status)
      assert.equal(report.refusal.error, r.error)
      assert.match(report.refusal.message, r.message)
      if (r.code === 50027) {
        // Not a JWT: no claims to match.
        assert.equal(report.claims, null)
        assert.deepEqual(report.credentials, [])
        return
      }
      assert.deepEqual(report.credentials.map((c: any) => c.name).sort(), [...CREDENTIALS].sort())
      for (const c of report.credentials) {
        if (c.matches) continue
        assert.equal(typeof c.reason, 'string', `${c.name} says why not`)
        assert.match(String(c.errorCode), /^700/)
      }
      // A refusal of the matching rule names the claim on the credential it was closest to.
      if ([700211, 700212, 700213, 7002138].includes(r.code)) {
        const closest = report.credentials.find((c: any) => c.name === 'gh-main')
        assert.equal(closest.matches, false)
        assert.equal(closest.errorCode, r.code)
        assert.equal(closest.claim, { 700211: 'iss', 700212: 'aud' }[r.code as 700211] ?? 'sub')
      } else {
        // Refused before the match (keys, signature, times): the credentials are still matched,
        // on the claims as the token states them, and say so.
        assert.equal(report.claimsVerified, false)
        const meant = report.credentials.filter((c: any) => c.matches).map((c: any) => c.name)
        assert.equal(meant.length, 1, `the token names one credential: ${JSON.stringify(meant)}`)
      }
    })
  }

  it('refuses a caller who may not read federated credentials, in the ARM envelope', async () => {
    const app = await addApplication(() => env.arm.openStore(), env.arm.tenantId)
    const token = await env.arm.tokenFor(app.appId, app.secret)
    const res = await dryRun(await env.issuer.gh!.mint(MAIN), { token })
    assert.equal(res.status, 403, res.text)
    assert.equal(res.json().error.code, 'AuthorizationFailed')
    assert.match(res.json().error.message, /federatedIdentityCredentials\/read/)
    // An identity that does not exist is the same refusal to that caller.
    const unknown = await dryRun('x', { token, clientId: '00000000-0000-0000-0000-000000000009' })
    assert.equal(unknown.status, 403, unknown.text)
    const noToken = await https(`${env.arm.base}${PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: env.identity.clientId, assertion: 'x' }),
      ca: env.arm.k.ca,
    })
    assert.equal(noToken.status, 401, noToken.text)
  })

  it('answers 404 for an unknown identity and 400 for a bad body', async () => {
    const unknown = await dryRun('x', { clientId: '00000000-0000-0000-0000-000000000009' })
    assert.equal(unknown.status, 404, unknown.text)
    assert.equal(unknown.json().error.code, 'ResourceNotFound')
    const bad = await https(`${env.arm.base}${PATH}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${env.arm.operatorToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ clientId: env.identity.clientId }),
      ca: env.arm.k.ca,
    })
    assert.equal(bad.status, 400, bad.text)
    assert.equal(bad.json().error.code, 'InvalidRequestContent')
  })

  it('keyless identity federation test prints the report and exits 1 on a refusal', async () => {
    const file = join(dir, 'token')
    const cli = (format: string) =>
      spawnSync(
        process.execPath,
        [
          BIN,
          ...['identity', 'federation', 'test', '--data-dir', env.arm.k.dataDir],
          ...['--identity', 'workload', '-g', env.rg, '--token-file', file, '-o', format],
        ],
        { encoding: 'utf8', timeout: 60_000 },
      )
    writeFileSync(file, await env.issuer.gh!.mint('repo:octo-org/octo-repo:ref:refs/heads/dev'))
    const refused = cli('json')
    assert.equal(refused.status, 1, refused.stderr)
    const report = JSON.parse(refused.stdout)
    assert.equal(report.refusal.errorCode, 700213)
    const table = cli('table')
    assert.equal(table.status, 1, table.stderr)
    assert.match(table.stdout, /gh-main\s+no\s+sub/)
    assert.match(table.stdout, /Refused: AADSTS700213: /)
    writeFileSync(file, await env.issuer.gh!.mint(MAIN))
    const ok = cli('table')
    assert.equal(ok.status, 0, ok.stderr)
    assert.match(ok.stdout, /gh-main\s+yes/)
    assert.match(ok.stdout, /The token would be exchanged/)
  })
})
