// The signing keys of external OIDC issuers, as a relying party finds them (OpenID Connect
// Discovery 1.0 §4): `<iss>/.well-known/openid-configuration`, whose `issuer` must equal `iss`
// exactly (§4.3: otherwise a document could speak for an issuer it is not), then its `jwks_uri`.
// Kept for a while per issuer; an unknown `kid` (the issuer rotated) fetches again, at most once
// per refetch interval, and so does a failed fetch: a token flood with made-up kids or for a
// dead issuer costs one fetch per interval, not one per request.
import { createLocalJWKSet, type JSONWebKeySet } from 'jose'
import type { Clock } from '../domain/clock.js'
import { IssuerFetchError, type IssuerFetch } from './issuer-fetch.js'

export interface IssuerKeysOptions {
  fetchJson: IssuerFetch
  clock: Clock
  cacheMs: number
  refetchMs: number
  /** Whether `issuer` may be fetched from private addresses (configuration). */
  isPrivateAllowed: (issuer: string) => boolean
  /** Issuers remembered at most (the oldest leave first). */
  maxIssuers?: number
}

export interface IssuerKeySet {
  /** For jose jwtVerify. */
  resolve: ReturnType<typeof createLocalJWKSet>
  kids: ReadonlySet<string>
  fetchedAt: number
}

/** Entra reads the first 100 keys of an issuer's JWKS; so does Keyless. */
const MAX_KEYS = 100

type Entry = { keys: IssuerKeySet } | { error: IssuerFetchError; at: number }

export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`
}

function asObject(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new IssuerFetchError(`${what} is not a JSON object`)
  }
  return v as Record<string, unknown>
}

export function createIssuerKeys(o: IssuerKeysOptions) {
  const max = o.maxIssuers ?? 1000
  const entries = new Map<string, Entry & { fetchedAt: number }>()
  const inFlight = new Map<string, Promise<IssuerKeySet>>()

  async function load(issuer: string): Promise<IssuerKeySet> {
    const allowPrivate = o.isPrivateAllowed(issuer)
    const url = discoveryUrl(issuer)
    const discovery = asObject(
      await o.fetchJson(url, allowPrivate),
      `the discovery document at '${url}'`,
    )
    if (discovery.issuer !== issuer) {
      throw new IssuerFetchError(
        `the discovery document at '${url}' names issuer '${String(discovery.issuer)}', not '${issuer}'`,
      )
    }
    if (typeof discovery.jwks_uri !== 'string') {
      throw new IssuerFetchError(`the discovery document at '${url}' has no jwks_uri`)
    }
    const jwksUri = discovery.jwks_uri
    const jwks = asObject(await o.fetchJson(jwksUri, allowPrivate), `the JWKS at '${jwksUri}'`)
    if (!Array.isArray(jwks.keys))
      throw new IssuerFetchError(`the JWKS at '${jwksUri}' has no keys`)
    const keys = (jwks.keys as unknown[])
      .slice(0, MAX_KEYS)
      .filter((k): k is Record<string, unknown> => typeof k === 'object' && k !== null)
    const set = { keys } as JSONWebKeySet
    return {
      resolve: createLocalJWKSet(set),
      kids: new Set(keys.map((k) => k.kid).filter((k): k is string => typeof k === 'string')),
      fetchedAt: o.clock.now(),
    }
  }

  function refresh(issuer: string, now: number): Promise<IssuerKeySet> {
    let p = inFlight.get(issuer)
    if (!p) {
      p = load(issuer)
        .then(
          (keys) => {
            remember(issuer, { keys, fetchedAt: now })
            return keys
          },
          (err: unknown) => {
            const error = err instanceof IssuerFetchError ? err : new IssuerFetchError(String(err))
            remember(issuer, { error, at: now, fetchedAt: now })
            throw error
          },
        )
        .finally(() => inFlight.delete(issuer))
      inFlight.set(issuer, p)
    }
    return p
  }

  function remember(issuer: string, entry: Entry & { fetchedAt: number }) {
    entries.delete(issuer)
    entries.set(issuer, entry)
    if (entries.size > max) entries.delete(entries.keys().next().value!)
  }

  return {
    /** The issuer's keys, fresh enough to verify a token signed with `kid`. */
    async keysFor(issuer: string, kid: string | undefined): Promise<IssuerKeySet> {
      const now = o.clock.now()
      const entry = entries.get(issuer)
      if (!entry || now - entry.fetchedAt >= o.cacheMs) return refresh(issuer, now)
      const mayRefetch = now - entry.fetchedAt >= o.refetchMs
      if ('error' in entry) {
        if (mayRefetch) return refresh(issuer, now)
        throw entry.error
      }
      if (kid !== undefined && !entry.keys.kids.has(kid) && mayRefetch) return refresh(issuer, now)
      return entry.keys
    },
  }
}

export type IssuerKeys = ReturnType<typeof createIssuerKeys>
