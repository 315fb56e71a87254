// One request handler for every identity protocol, as a visible pipeline:
//   guard (proxy, Host, method, body) → route → headers → query → host state → caller
//   (protocol-specific) → peer bound to the run → proof (Arc) → operator's faults → rate limit →
//   cache → process selectors of the token's identity (process-selection.ts) → body. A cached
//   token costs the checks and a few map lookups, synchronously: queries already seen are not
//   parsed again, and bodies are rendered at most once a second (token-body.ts).
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import type { Clock } from '../domain/clock.js'
import { EndpointErrors } from './endpoint-errors.js'
import type { Faults } from './faults.js'
import {
  checkHeaders,
  createQueryReader,
  type IdentityQuery,
  type ProtocolRules,
} from './identity-request.js'
import type { Peer, PeerLookup } from './peer-process.js'
import { createProcessFacts, type ProcessFactsReader } from './process-facts.js'
import { createProcessSelection } from './process-selection.js'
import type { RateLimiter } from './rate-limiter.js'
import { guardRequest } from './request-guard.js'
import { createPeerAdmission, type RunBinding } from './run-binding.js'
import { sendError, sendJsonText, type Logger } from './respond.js'
import { renderServiceFabricError } from './servicefabric-endpoint.js'
import { renderTokenBody } from './token-body.js'
import type { IssuedToken, TokenRequest } from './token-source.js'
import type { AnsweredRequest } from './sign-in-recorder.js'

export const IMDS_TOKEN_PATH = '/metadata/identity/oauth2/token'
export const APPSERVICE_TOKEN_PATH = '/msi/token'

/** The compute resource a request is made for, as its listener or header established it. */
export interface Caller {
  resourceId: string
  /** Lower-case id: the rate-limit bucket. */
  key: string
  /** Which local processes may use the run (run-binding.ts); absent: any. */
  binding?: RunBinding
  /** The run the request is for, when its listener or header names one (faults per run). */
  runId?: string
}

/** Decides which run a request is for, or throws the protocol's refusal (a KeylessError). */
export type Authenticate = (req: IncomingMessage, query: IdentityQuery, rawQuery: string) => Caller

/** A further proof a protocol asks of an admitted peer (Arc's challenge), or its refusal. */
export type Prove = (req: IncomingMessage, rawQuery: string, peer: Peer | undefined) => void

export interface TokenEndpointDeps {
  tokens: {
    /** A usable cached token, synchronously: the hot path. */
    peek(request: TokenRequest): IssuedToken | undefined
    get(request: TokenRequest): Promise<IssuedToken>
    /** Past the cache (a client's forced refresh), rate-limited by the cache. */
    refresh(request: TokenRequest, tokenSha256?: string): Promise<IssuedToken>
  }
  limiter: RateLimiter
  clock: Clock
  isRevoked: () => boolean
  log: Logger
  peers: PeerLookup
  /** Faults an operator set (faults.ts); absent or empty: none. */
  faults?: Pick<Faults, 'decide'>
  /** Reads local processes for selectors; one per agent, so executables are hashed once. */
  processFacts?: ProcessFactsReader
  /** Told of every answered request, issued or refused (sign-in-recorder.ts); synchronous. */
  record?: (answered: AnsweredRequest) => void
}

/** Clients lower-case the path and add a slash (AZURE_POD_IDENTITY_AUTHORITY_HOST): both match. */
function samePath(path: string, expected: string): boolean {
  if (path === expected) return true
  const p = path.toLowerCase()
  return p === expected || p === `${expected}/`
}

export function createTokenHandler(
  deps: TokenEndpointDeps,
  rules: ProtocolRules,
  path: string,
  authenticate: Authenticate,
  prove?: Prove,
  /** The address a relayed listener stands for (netns.ts); default the socket's own. */
  stands?: { host: string; port: number },
): RequestListener {
  const readQuery = createQueryReader(rules)
  const render = rules.name === 'servicefabric' ? renderServiceFabricError : undefined
  const record = deps.record
  // The one hook of the sign-in record: every answer goes through `fail` or `render`.
  const fail = (res: ServerResponse, err: unknown, t?: AnsweredRequest) => {
    if (record && t) {
      t.error = err
      record(t)
    }
    sendError(res, err, deps.log, render)
  }
  const admitPeer = createPeerAdmission({ ...deps, protocol: rules.name })
  const admitProcess = createProcessSelection({
    peers: deps.peers,
    facts: deps.processFacts ?? createProcessFacts(),
    log: deps.log,
  })

  /** From the peer on: proof, then an operator's fault if one fires, else the token. */
  function answer(
    req: IncomingMessage,
    res: ServerResponse,
    query: IdentityQuery,
    rawQuery: string,
    caller: Caller,
    peer: Peer | undefined,
    t: AnsweredRequest | undefined,
  ): void {
    try {
      prove?.(req, rawQuery, peer)
    } catch (err) {
      return fail(res, err, t)
    }
    const fault = deps.faults?.decide(caller)
    if (!fault) return serve(req, res, query, caller, t)
    deps.log.debug(
      { resourceId: caller.resourceId, runId: caller.runId, ...fault },
      'fault injected',
    )
    const act = () =>
      fault.status === undefined
        ? serve(req, res, query, caller, t)
        : fail(res, EndpointErrors.injected(fault.status), t)
    if (fault.delayMs === undefined) return act()
    setTimeout(act, fault.delayMs)
  }

  /** Rate limit, cache, token service. */
  function serve(
    req: IncomingMessage,
    res: ServerResponse,
    query: IdentityQuery,
    caller: Caller,
    t: AnsweredRequest | undefined,
  ): void {
    let admitted: (() => void) | undefined
    try {
      const admission = deps.limiter.admit(caller.key)
      if (!admission.ok) throw EndpointErrors.throttled(admission.retryAfterS)
      admitted = admission.release
      const request: TokenRequest = {
        callerResourceId: caller.resourceId,
        selector: query.selector,
        resource: query.resource,
      }
      let isCacheHit = false
      const render = (token: IssuedToken) => {
        if (t) {
          t.token = token
          t.isCacheHit = isCacheHit
          record?.(t)
        }
        sendJsonText(
          res,
          200,
          renderTokenBody(rules, token, query, Math.floor(deps.clock.now() / 1000)),
        )
      }
      // Throws (or rejects with) "Identity not found" for a process the selectors exclude.
      const send = (token: IssuedToken): void | Promise<void> => {
        if (!token.selectors) return render(token)
        const admitted = admitProcess(req.socket, token.selectors, caller.resourceId)
        if (!admitted) return render(token)
        return admitted.then(() => render(token))
      }
      const cached = query.refresh ? undefined : deps.tokens.peek(request)
      if (cached) {
        isCacheHit = true
        const sent = send(cached)
        if (sent) sent.catch((err: unknown) => fail(res, err, t))
        return
      }
      // The slot stays taken until the token service answers.
      const release = admitted
      admitted = undefined
      ;(query.refresh
        ? deps.tokens.refresh(request, query.refresh.tokenSha256)
        : deps.tokens.get(request)
      )
        .then((token) => {
          if (deps.isRevoked()) throw EndpointErrors.revoked()
          return send(token)
        })
        .catch((err: unknown) => fail(res, err, t))
        .finally(release)
    } catch (err) {
      fail(res, err, t)
    } finally {
      admitted?.()
    }
  }

  return (req, res) => {
    const t: AnsweredRequest | undefined = record && {
      socket: req.socket,
      protocol: rules.name,
      startedAt: performance.now(),
    }
    try {
      guardRequest(req, stands)
      const url = req.url ?? '/'
      const q = url.indexOf('?')
      if (!samePath(q < 0 ? url : url.slice(0, q), path)) throw EndpointErrors.notFound()
      checkHeaders(req.headers, rules)
      const rawQuery = q < 0 ? '' : url.slice(q + 1)
      const query = readQuery(rawQuery)
      if (t) t.resource = query.resource
      if (deps.isRevoked()) throw EndpointErrors.revoked()
      const caller = authenticate(req, query, rawQuery)
      if (t) t.callerResourceId = caller.resourceId
      const peer = admitPeer(req.socket, caller)
      // The first request of a connection waits for the process lookup; later ones do not.
      if (!(peer instanceof Promise)) return answer(req, res, query, rawQuery, caller, peer, t)
      peer
        .then((p) => answer(req, res, query, rawQuery, caller, p, t))
        .catch((err: unknown) => fail(res, err, t))
    } catch (err) {
      fail(res, err, t)
    }
  }
}
