// Tokens for a signed-in portal session (portal/): the same claims, key and sign-in log as the
// token endpoint's, for a principal the session acts as. The portal calls ARM and /keyless/v1
// with them like any client, so RBAC decides every read and write there; nothing here grants.
import { randomUUID } from 'node:crypto'
import type { Clock } from '../domain/clock.js'
import { Unauthenticated } from '../domain/errors.js'
import { latestExpiry, type RotationPolicy } from '../domain/key-rotation.js'
import type { SignInRecord } from '../domain/log-records.js'
import { buildAccessTokenClaims } from '../domain/token-claims.js'
import type { PrincipalStore } from '../store/store.js'
import { v1Issuer } from './discovery.js'
import type { KeyRing } from './key-ring.js'
import { signAccessToken } from './mint.js'
import type { RecordSignIn } from './sign-in-log.js'

export interface SessionTokenOptions {
  keyRing: KeyRing
  policy: RotationPolicy
  clock: Clock
  tenantId: string
  authority: () => string
  principals: Pick<PrincipalStore, 'fetch'>
  lifetimeMs: number
  /** The sign-in log; unset, nothing is recorded. */
  recordSignIn?: RecordSignIn
}

export interface SessionTokenRequest {
  principalId: string
  audience: string
  correlationId: string
  ipAddress: string
}

export function createSessionTokenMinter(o: SessionTokenOptions) {
  return async function mintSessionToken(r: SessionTokenRequest) {
    const startedAt = performance.now()
    const principal = await o.principals.fetch(r.principalId)
    const base = {
      id: randomUUID(),
      correlationId: r.correlationId,
      source: 'server',
      protocol: 'portal',
      servicePrincipalId: r.principalId,
      resourceId: r.audience,
      resourceDisplayName: r.audience,
      ipAddress: r.ipAddress,
    } as const
    const record = (extra: Partial<SignInRecord> & Pick<SignInRecord, 'status'>) =>
      o.recordSignIn?.({
        ...base,
        createdDateTime: new Date(o.clock.now()).toISOString(),
        latencyMs: Math.round((performance.now() - startedAt) * 1000) / 1000,
        ...extra,
      })
    if (!principal) {
      const message = 'the principal this portal session acts as no longer exists'
      await record({
        status: { errorCode: 401, failureReason: message, additionalDetails: 'SessionEnded' },
      })
      throw new Unauthenticated('SessionEnded', message)
    }
    const key = await o.keyRing.signingKey()
    const now = o.clock.now()
    const claims = buildAccessTokenClaims({
      issuer: v1Issuer(o.authority(), o.tenantId),
      audience: r.audience,
      tenantId: o.tenantId,
      // A person at a browser: a public client, no secret of its own (appidacr 0).
      subject: { objectId: principal.object_id, appId: principal.app_id, appidacr: '0' },
      now,
      expiresAt: Math.min(now + o.lifetimeMs, latestExpiry(key, o.policy, now)),
      tokenId: randomUUID(),
    })
    const accessToken = signAccessToken(claims, key)
    // Fail closed, as at the token endpoint: no token leaves before its entry committed.
    await record({
      appId: principal.app_id,
      uniqueTokenIdentifier: claims.uti,
      status: { errorCode: 0 },
    })
    return { accessToken, expiresOn: claims.exp, expiresIn: claims.exp - claims.iat }
  }
}

export type MintSessionToken = ReturnType<typeof createSessionTokenMinter>
