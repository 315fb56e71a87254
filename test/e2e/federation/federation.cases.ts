// Every way a federated assertion can be wrong, with the refusal the token endpoint answers:
// shared by the refusal tests and the dry-run tests (which must explain each of them).
import { createHmac, createPublicKey } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FederationEnv } from './federation.config.js'

export const MAIN = 'repo:octo-org/octo-repo:ref:refs/heads/main'

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')

export interface Refusal {
  what: string
  /** The assertion to present (built once the environment runs). */
  assertion: (env: FederationEnv) => Promise<string>
  status: number
  error: string
  code: number
  message: RegExp
}

/** Issuers: `gh` trusted; `other` trusted but named by no credential; the rest misbehave. */
export const ISSUERS = ['gh', 'other', 'liar', 'huge', 'slow', 'httpjwks']
export const UNTRUSTED = ['private']

/** Makes the misbehaving issuers misbehave and adds the credentials. */
export async function prepare(env: FederationEnv): Promise<void> {
  const { issuers, issuer } = env
  const json = (body: unknown) => (_req: unknown, res: any) => {
    const text = JSON.stringify(body)
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(text)
  }
  issuers.override(
    '/liar/.well-known/openid-configuration',
    json({ issuer: issuer.gh!.url, jwks_uri: `${issuer.gh!.url}/keys` }),
  )
  const many = Array.from({ length: 400 }, () => issuer.huge!.jwks().keys[0])
  issuers.override('/huge/keys', json({ keys: many }))
  issuers.override('/slow/keys', (_req, res) => {
    void sleep(6_000).then(() => json(issuer.slow!.jwks())(undefined, res))
  })
  issuers.override(
    '/httpjwks/.well-known/openid-configuration',
    json({
      issuer: issuer.httpjwks!.url,
      jwks_uri: issuer.httpjwks!.url.replace('https:', 'http:') + '/keys',
    }),
  )
  await env.trust('gh-main', { issuer: issuer.gh!.url, subject: MAIN })
  for (const n of ['liar', 'huge', 'slow', 'httpjwks', 'private']) {
    await env.trust(`${n}-cred`, { issuer: issuer[n]!.url, subject: MAIN })
  }
}

const now = () => Date.now()

export const REFUSALS: Refusal[] = [
  {
    what: 'a token from an issuer no credential trusts',
    assertion: (e) => e.issuer.other!.mint(MAIN),
    status: 400,
    error: 'invalid_request',
    code: 700211,
    message:
      /presented assertion issuer 'https:\/\/127\.0\.0\.1:\d+\/other'.*Claim: 'iss'.*Closest credential: 'gh-main'/,
  },
  {
    what: 'a token for another audience',
    assertion: (e) => e.issuer.gh!.mint(MAIN, { claims: { aud: 'api://SomethingElse' } }),
    status: 400,
    error: 'invalid_request',
    code: 700212,
    message: /audience 'api:\/\/SomethingElse'.*Claim: 'aud'/,
  },
  {
    what: 'a token for another subject',
    assertion: (e) => e.issuer.gh!.mint('repo:octo-org/octo-repo:ref:refs/heads/dev'),
    status: 400,
    error: 'invalid_request',
    code: 700213,
    message:
      /subject 'repo:octo-org\/octo-repo:ref:refs\/heads\/dev'.*Claim: 'sub'.*Closest credential: 'gh-main'/,
  },
  {
    what: 'a subject differing only in case',
    assertion: (e) => e.issuer.gh!.mint(MAIN.toUpperCase()),
    status: 400,
    error: 'invalid_request',
    code: 7002138,
    message: /only with case-insensitive comparison/,
  },
  {
    what: 'an expired token',
    assertion: (e) => e.issuer.gh!.mint(MAIN, { now: now() - 7_200_000 }),
    status: 401,
    error: 'invalid_client',
    code: 700024,
    message: /not within its valid time range: it has expired/,
  },
  {
    what: 'a token not yet valid',
    assertion: (e) =>
      e.issuer.gh!.mint(MAIN, {
        lifetimeSeconds: 7200,
        claims: { nbf: Math.floor(now() / 1000) + 3600 },
      }),
    status: 401,
    error: 'invalid_client',
    code: 700024,
    message: /not valid yet \(nbf\)/,
  },
  {
    what: 'a token living longer than a day',
    assertion: (e) => e.issuer.gh!.mint(MAIN, { lifetimeSeconds: 3 * 86_400 }),
    status: 401,
    error: 'invalid_client',
    code: 700024,
    message: /lives 259200 s, longer than the 86400 s/,
  },
  {
    what: "an unsigned token (alg 'none')",
    assertion: async (e) => {
      const signed = await e.issuer.gh!.mint(MAIN)
      const [, payload] = signed.split('.')
      return `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`
    },
    status: 401,
    error: 'invalid_client',
    code: 700027,
    message: /algorithm 'none' is not one of RS256/,
  },
  {
    what: "an HS256 token whose HMAC key is the issuer's public key",
    assertion: async (e) => {
      const jwk = e.issuer.gh!.jwks().keys[0]!
      const pem = createPublicKey({ key: jwk as any, format: 'jwk' })
        .export({ type: 'spki', format: 'pem' })
        .toString()
      const signed = await e.issuer.gh!.mint(MAIN)
      const [, payload] = signed.split('.')
      const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: jwk.kid })}.${payload}`
      return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`
    },
    status: 401,
    error: 'invalid_client',
    code: 700027,
    message: /algorithm 'HS256' is not one of/,
  },
  {
    what: "a token signed with a key not in the issuer's JWKS",
    assertion: (e) => e.issuer.gh!.mint(MAIN, { header: { kid: 'not-a-published-key' } }),
    status: 401,
    error: 'invalid_client',
    code: 700027,
    message: /JWKS has no key 'not-a-published-key'/,
  },
  {
    what: "a token signed by another issuer's key under this issuer's kid",
    assertion: async (e) => {
      // `other` signs a token that claims to be gh's, with gh's kid.
      const kid = e.issuer.gh!.jwks().keys[0]!.kid
      return e.issuer.other!.mint(MAIN, { claims: { iss: e.issuer.gh!.url }, header: { kid } })
    },
    status: 401,
    error: 'invalid_client',
    code: 700027,
    message: /signature does not verify/,
  },
  {
    what: 'an issuer whose discovery document names another issuer',
    assertion: (e) => e.issuer.liar!.mint(MAIN),
    status: 400,
    error: 'invalid_request',
    code: 50166,
    message:
      /discovery document at '.*\/liar\/.well-known\/openid-configuration' names issuer '.*\/gh', not/,
  },
  {
    what: 'an issuer whose JWKS is huge',
    assertion: (e) => e.issuer.huge!.mint(MAIN),
    status: 400,
    error: 'invalid_request',
    code: 50166,
    message: /huge\/keys' answered more than 65536 bytes/,
  },
  {
    what: 'an issuer whose JWKS is slow',
    assertion: (e) => e.issuer.slow!.mint(MAIN),
    status: 400,
    error: 'invalid_request',
    code: 50166,
    message: /slow\/keys' did not answer within 2000 ms/,
  },
  {
    what: 'an issuer whose jwks_uri is http',
    assertion: (e) => e.issuer.httpjwks!.mint(MAIN),
    status: 400,
    error: 'invalid_request',
    code: 50166,
    message: /'http:\/\/127\.0\.0\.1:\d+\/httpjwks\/keys' is not an https URL/,
  },
  {
    what: 'an http issuer',
    assertion: (e) =>
      e.issuer.gh!.mint(MAIN, { claims: { iss: e.issuer.gh!.url.replace('https:', 'http:') } }),
    status: 400,
    error: 'invalid_request',
    code: 700211,
    message: /issuer 'http:.*' \(Keyless trusts only https issuers\)/,
  },
  {
    what: 'an issuer at a private address the installation does not trust',
    assertion: (e) => e.issuer.private!.mint(MAIN),
    status: 400,
    error: 'invalid_request',
    code: 50166,
    message: /names the non-public address 127\.0\.0\.1/,
  },
  {
    what: 'a token that is not a JWT',
    assertion: async () => 'not-a-jwt',
    status: 401,
    error: 'invalid_client',
    code: 50027,
    message: /not a valid JWT/,
  },
]
