// Fakes for the agent's unit tests: a clock that moves only when told, a token source that
// records requests and answers from a script, and an HTTPS server for the clients.
import type { RequestListener } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import {
  LOCAL_NAMES,
  createCertificateAuthority,
  issueCertificate,
  type PemPair,
} from '../common/pki.js'
import type { Clock } from '../domain/clock.js'
import type { Logger } from './respond.js'
import type { ProcessSelectors } from '../domain/process-selectors.js'
import { AgentErrorCodes } from '../common/agent-protocol.js'
import {
  TokenRequestError,
  type IssuedToken,
  type TokenRequest,
  type TokenSource,
} from './token-source.js'

export interface FakeClock extends Clock {
  advance(ms: number): void
  set(ms: number): void
}

export function fakeClock(start = Date.UTC(2026, 0, 1)): FakeClock {
  let now = start
  return {
    now: () => now,
    advance: (ms) => {
      now += ms
    },
    set: (ms) => {
      now = ms
    },
  }
}

export interface FakeSource extends TokenSource {
  requests: TokenRequest[]
  /** What the next requests get: a token lifetime in seconds, or an error. */
  behaviour: 'ok' | TokenRequestError
  lifetimeS: number
  /** Per request: an error to answer instead of a token. */
  refuse?: (request: TokenRequest) => TokenRequestError | undefined
  /** Resolved by tests to hold answers back. */
  gate?: Promise<void>
  /** Per request: the process selectors the server would send with the token. */
  selectors?: (request: TokenRequest) => ProcessSelectors | undefined
}

export function fakeSource(clock: Clock, lifetimeS = 3600): FakeSource {
  let n = 0
  const source: FakeSource = {
    requests: [],
    behaviour: 'ok',
    lifetimeS,
    async requestToken(request: TokenRequest): Promise<IssuedToken> {
      source.requests.push(request)
      if (source.gate) await source.gate
      if (source.behaviour !== 'ok') throw source.behaviour
      const refusal = source.refuse?.(request)
      if (refusal) throw refusal
      n++
      const now = Math.floor(clock.now() / 1000)
      const selectors = source.selectors?.(request)
      return {
        ...(selectors ? { selectors } : {}),
        accessToken: `token-${n}`,
        expiresOn: now + source.lifetimeS,
        notBefore: now,
        clientId: '11111111-1111-1111-1111-111111111111',
        objectId: '22222222-2222-2222-2222-222222222222',
        msiResId: request.callerResourceId,
      }
    },
  }
  return source
}

export const offline = () => new TokenRequestError(0, 'temporarily_unavailable', 'unreachable')
export const refused = () =>
  new TokenRequestError(
    400,
    'invalid_request',
    `AADSTS${AgentErrorCodes.identityNotFound}: Identity not found`,
    [AgentErrorCodes.identityNotFound],
  )

/** An HTTPS server on 127.0.0.1 with a certificate from a fresh CA (or `sharedCa`, for
 * several servers one client trusts), for client tests. */
export async function fakeHttpsServer(handler: RequestListener, sharedCa?: PemPair) {
  const ca =
    sharedCa ??
    (await createCertificateAuthority('Fake CA', {
      now: Date.now(),
      validityDays: 2,
      permitted: LOCAL_NAMES,
    }))
  const tls = await issueCertificate(ca, {
    now: Date.now(),
    validityDays: 2,
    commonName: 'localhost',
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  })
  const server = createHttpsServer({ key: tls.keyPem!, cert: tls.certPem }, handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    ca: ca.certPem,
    caPair: ca,
    origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** A logger that keeps the warnings (with their message) for tests to read; drops the rest. */
export function warningsLogger(): { log: Logger; warnings: Array<Record<string, unknown>> } {
  const warnings: Array<Record<string, unknown>> = []
  const log: Logger = {
    debug() {},
    info() {},
    error() {},
    warn: (obj, msg) => warnings.push({ ...obj, msg }),
  }
  return { log, warnings }
}
