// Shared setup for the token-exchange tests: the test issuer (src/cli/test-issuer.ts) under the
// test run's CA on 127.0.0.1, a real `keyless up` configured to trust those issuers at a private
// address (`federation.privateIssuers`), a user-assigned identity with Reader on its group, and
// plain token requests for the attacker-side tests.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LOCATION, startArm, type Arm } from '../arm/arm.config.js'
import { tempDataDir } from '../../helpers/keyless.js'
import { https, form, type HttpResult } from '../../helpers/https.js'
import { arm as armCall, assignRole } from '../../helpers/arm.js'
import {
  startTestIssuer,
  type NamedIssuer,
  type TestIssuerServer,
} from '../../../src/cli/test-issuer.js'

export const AUDIENCE = 'api://AzureADTokenExchange'
export const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

export interface FederationEnv {
  arm: Arm
  issuers: TestIssuerServer
  /** Named issuers, trusted at 127.0.0.1 by the server's configuration. */
  issuer: Record<string, NamedIssuer>
  rg: string
  identity: { id: string; clientId: string; principalId: string }
  /** PUTs a federated credential on the identity. */
  trust(name: string, properties: Record<string, unknown>, apiVersion?: string): Promise<void>
  /** A raw v2 token request with `assertion` for the identity (or `clientId`). */
  exchange(assertion: string, o?: { clientId?: string; scope?: string }): Promise<HttpResult>
  dispose(): Promise<void>
}

function testCa() {
  const dir = process.env.KEYLESS_TEST_CA_DIR
  if (!dir) throw new Error('run through scripts/test.js (it provides the test CA)')
  return {
    certPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    keyPem: readFileSync(join(dir, 'ca.key'), 'utf8'),
  }
}

/** `names` become trusted issuers; `untrusted` are served but not configured as private. */
export async function startFederation(
  names: string[],
  untrusted: string[] = [],
  extraConfig: Record<string, unknown> = {},
): Promise<FederationEnv> {
  const issuers = await startTestIssuer({ ca: testCa() })
  const issuer: Record<string, NamedIssuer> = {}
  for (const n of [...names, ...untrusted]) issuer[n] = await issuers.issuer(n, 'github-actions')
  const dataDir = tempDataDir()
  writeFileSync(
    join(dataDir, 'config.json'),
    JSON.stringify({
      federation: {
        privateIssuers: names.map((n) => issuer[n]!.url),
        fetchTimeoutSeconds: 2,
        ...extraConfig,
      },
    }),
  )
  const arm = await startArm({ dataDir })
  const rg = 'fed-rg'
  const created = await arm.request('PUT', arm.group(rg), { body: { location: LOCATION } })
  if (created.status !== 201) throw new Error(created.text)
  const put = await arm.request('PUT', arm.identity(rg, 'workload'), {
    body: { location: LOCATION },
  })
  if (put.status !== 201) throw new Error(put.text)
  const props = put.json().properties
  const identity = { id: put.json().id, clientId: props.clientId, principalId: props.principalId }
  await assignRole(armCall(arm.k, arm.operatorToken), arm.subscriptionId, {
    scope: arm.group(rg),
    role: READER,
    principalId: identity.principalId,
  })
  return {
    arm,
    issuers,
    issuer,
    rg,
    identity,
    async trust(name, properties, apiVersion) {
      const res = await arm.request(
        'PUT',
        `${arm.identity(rg, 'workload')}/federatedIdentityCredentials/${name}`,
        { body: { properties }, ...(apiVersion && { apiVersion }) },
      )
      if (res.status !== 201 && res.status !== 200) throw new Error(res.text)
    },
    exchange: (assertion, o = {}) =>
      https(`${arm.k.endpoints.authorityHost}/${arm.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({
          grant_type: 'client_credentials',
          client_id: o.clientId ?? identity.clientId,
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: assertion,
          scope: o.scope ?? 'https://management.azure.com/.default',
        }),
        ca: arm.k.ca,
      }),
    async dispose() {
      await arm.dispose()
      await issuers.close()
    },
  }
}
