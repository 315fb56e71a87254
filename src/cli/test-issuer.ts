// A small OIDC issuer for trying federation offline (`keyless test-issuer`) and for the tests:
// discovery and JWKS over HTTPS under the installation's CA, at `https://host:port/<name>` for
// any number of named issuers, each with its own RSA key, and tokens minted with the claim sets
// of GitHub Actions or a Kubernetes projected service-account token.
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose'
import type { PemPair } from '../common/pki.js'
import { urlHost } from '../common/public-url.js'
import { newTlsCertificate, tlsNames } from '../server/tls-material.js'

export type Flavor = 'github-actions' | 'kubernetes' | 'plain'

export interface MintOptions {
  /** Claims to add or replace (`undefined` removes one). */
  claims?: Record<string, unknown>
  lifetimeSeconds?: number
  /** Header members to add or replace. */
  header?: Record<string, unknown>
  /** Epoch ms the token is issued at (default now). */
  now?: number
}

export interface NamedIssuer {
  url: string
  /** A signed token; `subject` defaults to the flavour's usual one. */
  mint(subject?: string, options?: MintOptions): Promise<string>
  jwks(): { keys: JWK[] }
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void

export interface TestIssuerServer {
  base: string
  issuer(name: string, flavor?: Flavor): Promise<NamedIssuer>
  /** Serves `path` with `handler` instead (the tests' misbehaving issuers). */
  override(path: string, handler: Handler): void
  close(): Promise<void>
}

const AUDIENCE = 'api://AzureADTokenExchange'

/** The claims those platforms put in their tokens, for `subject`. */
export function flavorClaims(flavor: Flavor, subject?: string): Record<string, unknown> {
  if (flavor === 'github-actions') {
    const sub = subject ?? 'repo:octo-org/octo-repo:ref:refs/heads/main'
    const repository = /^repo:([^:]+)/.exec(sub)?.[1] ?? 'octo-org/octo-repo'
    const ref = /:ref:(.+)$/.exec(sub)?.[1] ?? 'refs/heads/main'
    const workflowRef = `${repository}/.github/workflows/ci.yml@${ref}`
    // As GitHub's token has them (every value a string, ids included).
    return {
      sub,
      repository,
      repository_id: '123456789',
      repository_owner: repository.split('/')[0],
      repository_owner_id: '987654',
      repository_visibility: 'private',
      ref,
      ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
      ref_protected: 'false',
      head_ref: '',
      base_ref: '',
      sha: 'a'.repeat(40),
      event_name: 'push',
      workflow: 'ci',
      workflow_ref: workflowRef,
      workflow_sha: 'a'.repeat(40),
      job_workflow_ref: workflowRef,
      job_workflow_sha: 'a'.repeat(40),
      actor: 'octocat',
      actor_id: '583231',
      run_id: '1',
      run_number: '1',
      run_attempt: '1',
      runner_environment: 'github-hosted',
    }
  }
  if (flavor === 'kubernetes') {
    const sub = subject ?? 'system:serviceaccount:default:workload'
    const [, , namespace = 'default', name = 'workload'] = sub.split(':')
    return {
      sub,
      'kubernetes.io': {
        namespace,
        serviceaccount: { name, uid: randomUUID() },
        pod: { name: `${name}-0`, uid: randomUUID() },
        node: { name: 'node-0', uid: randomUUID() },
      },
    }
  }
  return { sub: subject ?? 'test-subject' }
}

function json(res: ServerResponse, body: unknown) {
  const text = JSON.stringify(body)
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}

export async function startTestIssuer(o: {
  ca: PemPair
  host?: string
  port?: number
}): Promise<TestIssuerServer> {
  const host = o.host ?? '127.0.0.1'
  const tls = await newTlsCertificate(o.ca, tlsNames(host), Date.now())
  const issuers = new Map<string, { named: NamedIssuer; jwk: JWK }>()
  const overrides = new Map<string, Handler>()
  let base = ''

  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://x').pathname
    const override = overrides.get(path)
    if (override) return override(req, res)
    const m = /^\/([^/]+)\/(\.well-known\/openid-configuration|keys)$/.exec(path)
    const entry = m ? issuers.get(m[1]!) : undefined
    if (!m || !entry) {
      res.writeHead(404).end()
      return
    }
    if (m[2] === 'keys') return json(res, entry.named.jwks())
    return json(res, {
      issuer: entry.named.url,
      jwks_uri: `${entry.named.url}/keys`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    })
  })
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, host, resolve))
  base = `https://${urlHost(host)}:${(server.address() as AddressInfo).port}`

  async function issuer(name: string, flavor: Flavor = 'plain'): Promise<NamedIssuer> {
    const known = issuers.get(name)
    if (known) return known.named
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true })
    const kid = randomUUID()
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }
    const url = `${base}/${name}`
    const named: NamedIssuer = {
      url,
      jwks: () => ({ keys: [jwk] }),
      mint: (subject, options = {}) =>
        sign(
          privateKey,
          kid,
          url,
          { ...flavorClaims(flavor, subject), ...options.claims },
          options,
        ),
    }
    issuers.set(name, { named, jwk })
    return named
  }

  return {
    base,
    issuer,
    override: (path, handler) => overrides.set(path, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function sign(
  key: Parameters<SignJWT['sign']>[0],
  kid: string,
  iss: string,
  claims: Record<string, unknown>,
  options: MintOptions,
): Promise<string> {
  const iat = Math.floor((options.now ?? Date.now()) / 1000)
  const payload: JWTPayload = {
    iss,
    aud: AUDIENCE,
    iat,
    nbf: iat,
    exp: iat + (options.lifetimeSeconds ?? 600),
    jti: randomUUID(),
    ...claims,
  }
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k]
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid, ...options.header } as never)
    .sign(key)
}
