// 1a. The in-process mint: claims built and signed as the token endpoint does it
// (buildAccessTokenClaims → signAccessToken), beside a raw `crypto.sign` of the same algorithm
// over a payload of the same size, in this process, one call at a time.
import { randomUUID } from 'node:crypto'
import { buildAccessTokenClaims } from '../../src/domain/token-claims.js'
import { generateSigningKey, type SigningAlgorithm } from '../../src/sts/key-material.js'
import type { LoadedKey } from '../../src/sts/key-ring.js'
import { signAccessToken } from '../../src/sts/mint.js'
import { pairedSlices } from '../lib/paired.js'
import { timedSlice } from '../lib/rate.js'
import type { Row } from '../lib/report.js'
import type { Context } from '../lib/section.js'
import { rawSigner } from '../lib/sign-rate.js'
import { fmt } from '../lib/stats.js'

export const MINT_TARGET = 0.85
const ALGORITHMS: SigningAlgorithm[] = ['RS256', 'ES256', 'EdDSA']

async function loadedKey(alg: SigningAlgorithm): Promise<LoadedKey> {
  const now = Date.now()
  const key = await generateSigningKey(alg, now, now + 86_400_000)
  return { ...key, createdAt: now, activateAt: now, retireAt: now + 3_600_000, expireAt: now }
}

/** Claims as a managed identity's token carries them (the larger of Keyless's two shapes). */
export function sampleClaims() {
  const now = Date.now()
  const tenantId = '72f988bf-86f1-41af-91ab-2d7cd011db47'
  return buildAccessTokenClaims({
    issuer: `https://127.0.0.1:8443/${tenantId}/`,
    audience: 'https://vault.azure.net',
    tenantId,
    subject: {
      objectId: randomUUID(),
      appId: randomUUID(),
      appidacr: '2',
      mirid:
        '/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourcegroups/bench/providers/Microsoft.Compute/virtualMachines/vm-0001',
    },
    now,
    expiresAt: now + 86_400_000,
    tokenId: randomUUID(),
  })
}

export async function measureMint(ctx: Context): Promise<{ rows: Row[]; data: unknown }> {
  const sliceMs = ctx.quick ? 60 : 100
  const rows: Row[] = []
  const data: Record<string, unknown> = {}
  for (const alg of ALGORITHMS) {
    const key = await loadedKey(alg)
    const base = sampleClaims()
    const mint = () => signAccessToken({ ...base, uti: randomUUID() }, key)
    const token = mint()
    const signingInput = Buffer.from(token.slice(0, token.lastIndexOf('.')))
    const raw = rawSigner(alg, key.privateKey)
    const rawOnce = () => raw(signingInput)
    const p = await pairedSlices({
      rounds: ctx.rounds,
      slicesPerRound: ctx.quick ? 4 : 10,
      warmupMs: ctx.quick ? 200 : 600,
      subject: () => timedSlice(mint, sliceMs),
      baseline: () => timedSlice(rawOnce, sliceMs),
    })
    ctx.log(`mint ${alg}: ${fmt(p.subject)}/s vs raw ${fmt(p.baseline)}/s → ${fmt(p.ratio, 2)}`)
    data[alg] = { ...p, payloadBytes: signingInput.length, sliceMs }
    rows.push({
      measure: `mint ${alg} (claims + sign, one at a time)`,
      value: `${fmt(p.subject)} tokens/s (${fmt(1e6 / p.subject, 1)} µs each)`,
      baseline: `raw crypto.sign ${alg}, ${signingInput.length} B`,
      baselineValue: `${fmt(p.baseline)} /s`,
      ratio: p.ratio,
      target: MINT_TARGET,
    })
  }
  return { rows, data }
}
