// Keyless as an OIDC issuer another cloud can trust: a workload under `keyless run` asks its
// identity endpoint for the audience `api://AzureADTokenExchange` with the stock
// ManagedIdentityCredential, and a relying party that knows only the issuer URL verifies the
// token the way Entra ID, AWS and GCP do: discovery document → jwks_uri → jose
// createRemoteJWKSet, exact issuer and audience, `sub` the identity's object id.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose'
import { startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { https } from '../../helpers/https.js'
import { operatorToken } from '../../helpers/tokens.js'
import {
  management,
  removeDir,
  sdkTokens,
  startAgentProcess,
  type AgentProcess,
  type Identity,
} from '../agent/agent.config.js'

const EXCHANGE = 'api://AzureADTokenExchange'

describe('Keyless tokens for workload identity federation elsewhere', () => {
  let k: KeylessProcess
  let agent: AgentProcess
  let uami: Identity
  let vm: { id: string }

  before(async () => {
    k = await startKeyless()
    const api = management(k, await operatorToken(k))
    agent = await startAgentProcess(k, { joinToken: await api.joinToken() })
    const rg = await api.createGroup('federation-out-rg')
    uami = await api.createIdentity(rg, 'exported-identity')
    vm = await api.putVm(rg, 'vm1', { hostId: agent.hostId, system: false, user: [uami.id] })
  })
  after(async () => {
    await agent?.stop()
    if (agent) removeDir(agent.stateDir)
    await k?.dispose()
  })

  it('gives the workload a token that verifies from the issuer discovery alone', async () => {
    const [result] = await sdkTokens(
      ['--as', vm.id, '--state-dir', agent.stateDir],
      [{ sdk: 'mic', id: { clientId: uami.clientId } }],
      EXCHANGE,
    )
    assert.ok(result?.token, result?.error)
    const issuer = decodeJwt(result.token).iss!
    // A relying party starts from the issuer: `{iss}/.well-known/openid-configuration`.
    const discovery = (
      await https(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, { ca: k.ca })
    ).json()
    assert.equal(discovery.issuer, issuer, 'the discovery document names the same issuer')
    assert.match(discovery.jwks_uri, /^https:\/\//)
    // The test run trusts Keyless's CA through NODE_EXTRA_CA_CERTS, as a relying party trusts a
    // public CA.
    const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri))
    const { payload, protectedHeader } = await jwtVerify(result.token, jwks, {
      issuer,
      audience: EXCHANGE,
      algorithms: ['RS256'],
    })
    assert.equal(protectedHeader.alg, 'RS256')
    assert.ok(protectedHeader.kid, 'the header names the key a relying party looks up')
    assert.equal(payload.sub, uami.principalId, 'sub is the identity object id, stable across runs')
    assert.equal(payload.oid, uami.principalId)
    assert.equal(payload.aud, EXCHANGE)
  })
})
