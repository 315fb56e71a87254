// Forced refresh through a real `keyless up` and its agent (issue 15): App Service's
// `token_sha256_to_refresh` (the SHA-256 of a token the client found refused) and IMDS's
// `bypass_cache=true` fetch a new token from the token service, rate-limited per request; a hash
// of some other token, or a malformed value, does not.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { request } from 'node:http'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { operatorToken } from '../../helpers/tokens.js'
import { runCli } from '../cli/cli.config.js'
import { management, TOKEN_PATH, VAULT } from './agent.config.js'

let k: KeylessProcess
let vm: string

interface Answer {
  status: number
  body: Record<string, string>
}

function get(url: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    request(url, { headers, agent: false }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => (text += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }))
    })
      .on('error', reject)
      .end()
  })
}

/** The run's environment, as `keyless env` prints it. */
async function runEnv(protocol: string): Promise<Record<string, string>> {
  const r = await runCli(['env', '--as', vm, '--protocol', protocol, '--data-dir', k.dataDir])
  assert.equal(r.code, 0, r.stderr)
  return Object.fromEntries(
    [...r.stdout.matchAll(/^export (\w+)='?([^'\n]*)'?$/gm)].map((m) => [m[1]!, m[2]!]),
  )
}

const sha256 = (t: string) => createHash('sha256').update(t).digest('hex')

before(async () => {
  k = await startKeyless()
  const m = management(k, await operatorToken(k))
  const rg = await m.createGroup('refresh-rg')
  vm = (await m.putVm(rg, 'vm1', { system: true })).id
})
after(async () => k?.dispose())

describe('forced refresh at the agent', () => {
  it('App Service: token_sha256_to_refresh replaces exactly the named token, once per interval', async () => {
    const env = await runEnv('appservice')
    const ask = (extra = '') =>
      get(`${env.IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=${VAULT}${extra}`, {
        'X-IDENTITY-HEADER': env.IDENTITY_HEADER!,
      })
    const first = (await ask()).body.access_token!
    assert.equal((await ask()).body.access_token, first, 'cached')
    const other = await ask(`&token_sha256_to_refresh=${sha256('not-the-cached-token')}`)
    assert.equal(other.body.access_token, first, 'a hash of another token changes nothing')
    const forced = (await ask(`&token_sha256_to_refresh=${sha256(first)}`)).body.access_token!
    assert.notEqual(forced, first, 'a new token from the token service')
    assert.equal((await ask()).body.access_token, forced, 'and it is the one cached')
    const again = await ask(`&token_sha256_to_refresh=${sha256(forced)}`)
    assert.equal(again.body.access_token, forced, 'a second forced refresh within 5 s is not')
    const bad = await ask('&token_sha256_to_refresh=xyz')
    assert.equal(bad.status, 400)
    assert.equal(bad.body.error, 'invalid_request')
  })

  it('IMDS: bypass_cache=true fetches a new token; other values are refused', async () => {
    const env = await runEnv('imds')
    // Another audience: the App Service test's forced refresh of the vault token is within the
    // interval, and the interval is per request whatever the protocol.
    const base = `${env.AZURE_POD_IDENTITY_AUTHORITY_HOST}${TOKEN_PATH}?api-version=2018-02-01&resource=https://storage.azure.com`
    const ask = (extra = '') => get(base + extra, { Metadata: 'true' })
    const first = (await ask()).body.access_token!
    assert.equal((await ask('&bypass_cache=false')).body.access_token, first)
    const forced = (await ask('&bypass_cache=true')).body.access_token!
    assert.notEqual(forced, first)
    assert.equal((await ask()).body.access_token, forced)
    const bad = await ask('&bypass_cache=yes')
    assert.equal(bad.status, 400)
    assert.match(bad.body.error_description!, /bypass_cache/)
  })
})
