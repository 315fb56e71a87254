// Authentication and authorization of the control plane and the Graph read API: each way a
// token can be wrong gets ARM's 401 code and a WWW-Authenticate challenge; a valid token of
// anyone but the operator gets 403 AuthorizationFailed with Azure's message. Bad tokens are
// minted with jose: tokens that must pass the signature check are signed with the server's own
// key, read from the data directory (store row + master key) as only a test can.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT, type JWTPayload } from 'jose'
import { decryptPrivateKey } from '../../../src/sts/key-material.js'
import { signingWrapKey } from '../../helpers/keyless.js'
import { addApplication as addApplicationTo } from '../../helpers/applications.js'
import { https } from '../../helpers/https.js'
import { LOCATION, startArm, type Arm } from './arm.config.js'

interface ServerKey {
  kid: string
  alg: string
  key: KeyObject
}

async function serverKey(arm: Arm, kid: string): Promise<ServerKey> {
  const masterKey = signingWrapKey(arm.k.dataDir)
  const store = await arm.openStore()
  try {
    const row = (await store.signingKeys.list()).find((r) => r.kid === kid)
    assert.ok(row, 'the signing key is in the store')
    return { kid, alg: row.alg, key: await decryptPrivateKey(row.private_key_enc, masterKey) }
  } finally {
    await store.close()
  }
}

/** Adds an application principal with a client secret, as a later API will. */
const addApplication = (arm: Arm) => addApplicationTo(() => arm.openStore(), arm.tenantId)

describe('control-plane authentication and authorization', () => {
  let arm: Arm
  let key: ServerKey
  let claims: JWTPayload
  let other: { objectId: string; appId: string; secret: string }
  let otherToken: string
  const rg = 'auth-rg'

  const sign = (payload: JWTPayload, k: { kid: string; alg: string; key: unknown } = key) =>
    new SignJWT(payload)
      .setProtectedHeader({ typ: 'JWT', alg: k.alg, kid: k.kid, x5t: k.kid })
      .sign(k.key as KeyObject)
  const now = () => Math.floor(Date.now() / 1000)

  before(async () => {
    arm = await startArm()
    const put = await arm.request('PUT', arm.group(rg), { body: { location: LOCATION } })
    assert.equal(put.status, 201, put.text)
    claims = decodeJwt(arm.operatorToken)
    key = await serverKey(arm, decodeProtectedHeader(arm.operatorToken).kid!)
    other = await addApplication(arm)
    otherToken = await arm.tokenFor(other.appId, other.secret)
  })
  after(async () => arm?.dispose())

  const get = (token: string | null, path = arm.group(rg)) => arm.request('GET', path, { token })

  function assertChallenge(res: Awaited<ReturnType<typeof get>>, code: string) {
    assert.equal(res.status, 401, res.text)
    assert.equal(res.json().error.code, code)
    const challenge = String(res.headers['www-authenticate'])
    assert.match(
      challenge,
      new RegExp(
        `^Bearer authorization_uri="${arm.k.endpoints.authorityHost}/${arm.tenantId}", error="invalid_token", error_description="[^"]+"$`,
      ),
    )
  }

  it('accepts the operator token for the Azure and the Keyless management audiences', async () => {
    for (const resource of [
      'https://management.azure.com/',
      'https://management.core.windows.net/',
      arm.base,
      `${arm.base}/`,
    ]) {
      const token = await arm.tokenFor(arm.k.admin.clientId, arm.k.admin.clientSecret, resource)
      const res = await get(token)
      assert.equal(res.status, 200, `${resource}: ${res.text}`)
    }
  })

  it('answers AuthenticationFailed without an Authorization header', async () => {
    const res = await get(null)
    assertChallenge(res, 'AuthenticationFailed')
    assert.equal(
      res.json().error.message,
      "Authentication failed. The 'Authorization' header is missing.",
    )
  })

  it('answers AuthenticationFailed to a header that is not a bearer token', async () => {
    const res = await arm.request('GET', arm.group(rg), {
      token: null,
      headers: { authorization: 'Basic dXNlcjpwYXNz' },
    })
    assertChallenge(res, 'AuthenticationFailed')
  })

  it('answers InvalidAuthenticationToken to a malformed token', async () => {
    assertChallenge(await get('not.a.jwt'), 'InvalidAuthenticationToken')
  })

  it('answers InvalidAuthenticationToken to a token signed by another key', async () => {
    const { privateKey } = await generateKeyPair('RS256')
    const forged = await sign(claims, { kid: key.kid, alg: 'RS256', key: privateKey })
    assertChallenge(await get(forged), 'InvalidAuthenticationToken')
  })

  it('answers ExpiredAuthenticationToken to an expired token', async () => {
    const t = now() - 7200
    const expired = await sign({ ...claims, iat: t, nbf: t, exp: t + 600 })
    const res = await get(expired)
    assertChallenge(res, 'ExpiredAuthenticationToken')
    assert.match(
      res.json().error.message,
      /^The access token expiry UTC time '.+' is earlier than current UTC time '.+'\.$/,
    )
  })

  it('answers InvalidAuthenticationTokenAudience to a token for another resource', async () => {
    const vaultToken = await arm.tokenFor(
      arm.k.admin.clientId,
      arm.k.admin.clientSecret,
      'https://vault.azure.net',
    )
    const res = await get(vaultToken)
    assertChallenge(res, 'InvalidAuthenticationTokenAudience')
    assert.match(
      res.json().error.message,
      /wrong audience or resource 'https:\/\/vault\.azure\.net'/,
    )
  })

  it('answers InvalidAuthenticationTokenTenant to a token of another issuer', async () => {
    const foreign = await sign({
      ...claims,
      iss: 'https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/',
    })
    const res = await get(foreign)
    assertChallenge(res, 'InvalidAuthenticationTokenTenant')
    assert.match(res.json().error.message, /wrong issuer 'https:\/\/sts\.windows\.net\//)
  })

  it('answers 403 AuthorizationFailed with Azure’s message to a principal that is not the operator', async () => {
    const res = await get(otherToken)
    assert.equal(res.status, 403, res.text)
    assert.equal(res.json().error.code, 'AuthorizationFailed')
    assert.equal(
      res.json().error.message,
      `The client '${other.objectId}' with object id '${other.objectId}' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourceGroups/read' over scope '${arm.group(rg)}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    )
  })

  it('names the Azure action of each operation in the denial', async () => {
    const vm = arm.resource(rg, 'Microsoft.Compute/virtualMachines', 'vm1')
    const cases: [string, string, string, unknown?][] = [
      ['PUT', vm, 'Microsoft.Compute/virtualMachines/write', { location: LOCATION }],
      ['DELETE', vm, 'Microsoft.Compute/virtualMachines/delete'],
      ['GET', arm.identity(rg, 'id1'), 'Microsoft.ManagedIdentity/userAssignedIdentities/read'],
      [
        'PUT',
        arm.group('new-rg'),
        'Microsoft.Resources/subscriptions/resourceGroups/write',
        { location: LOCATION },
      ],
      [
        'GET',
        `${vm}/providers/Microsoft.ManagedIdentity/identities/default`,
        'Microsoft.ManagedIdentity/identities/read',
      ],
      [
        'GET',
        `/subscriptions/${arm.subscriptionId}/providers/Microsoft.Web/sites`,
        'Microsoft.Web/sites/read',
      ],
    ]
    for (const [method, path, action, body] of cases) {
      const res = await arm.request(method, path, { token: otherToken, body })
      assert.equal(res.status, 403, `${method} ${path}: ${res.text}`)
      assert.ok(
        res.json().error.message.includes(`perform action '${action}' over scope`),
        res.json().error.message,
      )
    }
    assert.equal(
      (await arm.request('HEAD', arm.group('new-rg'))).status,
      404,
      'nothing was created',
    )
  })

  it('protects the Graph read API the same way, in Graph’s error format', async () => {
    const url = `${arm.base}/v1.0/servicePrincipals/${arm.k.admin.clientId}`
    const anonymous = await https(url, { ca: arm.k.ca })
    assert.equal(anonymous.status, 401)
    assert.equal(anonymous.json().error.code, 'InvalidAuthenticationToken')
    assert.ok(anonymous.headers['www-authenticate'])
    const denied = await https(url, {
      headers: { authorization: `Bearer ${otherToken}` },
      ca: arm.k.ca,
    })
    assert.equal(denied.status, 403)
    assert.equal(denied.json().error.code, 'Authorization_RequestDenied')
    const graphToken = await arm.tokenFor(
      arm.k.admin.clientId,
      arm.k.admin.clientSecret,
      'https://graph.microsoft.com',
    )
    const own = await https(`${arm.base}/v1.0/servicePrincipals/${other.objectId}`, {
      headers: { authorization: `Bearer ${graphToken}` },
      ca: arm.k.ca,
    })
    assert.equal(own.status, 200, own.text)
    assert.equal(own.json().displayName, 'another-app')
    assert.equal(own.json().servicePrincipalType, 'Application')
    const missing = await https(`${arm.base}/v1.0/servicePrincipals/${randomUUID()}`, {
      headers: { authorization: `Bearer ${graphToken}` },
      ca: arm.k.ca,
    })
    assert.equal(missing.status, 404)
    assert.equal(missing.json().error.code, 'Request_ResourceNotFound')
  })
})
