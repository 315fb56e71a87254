// The local side of an agent over a fake token service, for the endpoint tests: listeners,
// runs and the control socket exactly as in production, tokens from test-fakes.ts.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServing, type ServeOptions, type Serving } from './serve.js'
import { createTokenCache } from './token-cache.js'
import { fakeClock, fakeSource, type FakeClock, type FakeSource } from './test-fakes.js'
import { call, type Answer } from './test-http.js'
import { silentLogger } from './respond.js'
import { TokenRequestError } from './token-source.js'
import { AgentErrorCodes } from '../common/agent-protocol.js'

export const VM =
  '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1'
/** A resource the fake server says this host does not host. */
export const VM2 =
  '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm2'
export const UAI =
  '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u1'
export const ARM = 'https://management.azure.com/'
export const CLIENT = 'AAAAAAAA-0000-4000-8000-000000000001'
/** An identity the fake server does not know. */
export const UNKNOWN = '99999999-0000-4000-8000-000000000009'
export const PATH = '/metadata/identity/oauth2/token'
export const query = (extra = '') =>
  `?api-version=2018-02-01&resource=${encodeURIComponent(ARM)}${extra}`

/** App Service 2017-09-01's `expires_on` (token-body.ts). */
export const LEGACY_EXPIRES_ON = /^\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d \+00:00$/

export function assertJson(a: Answer) {
  assert.equal(a.headers['content-type'], 'application/json; charset=utf-8')
  return a.json()
}

/** A 200 with the fields every client needs, and none that make it an error (reference §2.2). */
export function assertTokenBody(a: Answer, resource = ARM, expiresOn = /^\d+$/) {
  assert.equal(a.status, 200, a.text)
  const body = assertJson(a)
  assert.match(body.access_token, /^token-\d+$/)
  assert.match(body.expires_on, expiresOn)
  assert.equal(body.resource, resource)
  assert.equal(body.token_type, 'Bearer')
  for (const k of ['message', 'error', 'error_description']) assert.equal(k in body, false)
  return body
}

export interface FakeAgent {
  dir: string
  clock: FakeClock
  source: FakeSource
  serving: Serving
  revoked: boolean
  control(method: string, path: string, body?: object): Promise<Answer>
  createRun(
    resourceId: string,
    protocol: string,
  ): Promise<{ id: string; env: Record<string, string> }>
  close(): Promise<void>
}

export async function startFakeAgent(
  options: Partial<Pick<ServeOptions, 'rateLimits' | 'listenHost' | 'log'>> & {
    dir?: string
    clock?: FakeClock
  } = {},
): Promise<FakeAgent> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'keyless-serve-'))
  const clock = options.clock ?? fakeClock()
  const source = fakeSource(clock)
  source.refuse = (r) =>
    r.selector?.value === UNKNOWN
      ? new TokenRequestError(400, 'invalid_request', 'no such identity\r\nTrace ID: x', [
          AgentErrorCodes.identityNotFound,
        ])
      : r.callerResourceId === VM2
        ? new TokenRequestError(
            400,
            'unauthorized_client',
            'AADSTS2: The host does not host the resource',
            [AgentErrorCodes.notHostedHere],
          )
        : undefined
  const agent: FakeAgent = {
    dir,
    clock,
    source,
    revoked: false,
    serving: undefined as unknown as Serving,
    control: (method, path, body) =>
      call(`http://agent${path}`, {
        method,
        socketPath: agent.serving.control.socketPath,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      }),
    async createRun(resourceId, protocol) {
      const a = await agent.control('POST', '/runs', { resourceId, protocol })
      assert.equal(a.status, 201, a.text)
      return a.json()
    },
    async close() {
      await agent.serving.close()
      if (!options.dir) rmSync(dir, { recursive: true, force: true })
    },
  }
  agent.serving = await startServing({
    stateDir: dir,
    clock,
    tokens: createTokenCache({ source, clock }),
    isRevoked: () => agent.revoked,
    log: options.log ?? silentLogger,
    arcTokensDir: join(dir, 'tokens'),
    rateLimits: options.rateLimits,
    listenHost: options.listenHost,
  })
  return agent
}
