// Raw `crypto.sign` throughput of one algorithm, in a process of its own on the server's core:
// the ceiling a token service on that core could reach if signing were all it did. It signs in
// slices on command (IPC), so the benchmark can alternate it with load on the server.
//
//   node dist/bench/lib/sign-rate.js <RS256|ES256|EdDSA> [payloadBytes]
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'
import { rateSync } from './rate.js'

export type Algorithm = 'RS256' | 'ES256' | 'EdDSA'

/** A sign function shaped as a JWS signer does it for the algorithm. */
export function rawSigner(alg: Algorithm, key?: KeyObject): (data: Buffer) => Buffer {
  switch (alg) {
    case 'RS256': {
      const k = key ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
      return (data) => sign('sha256', data, k)
    }
    case 'ES256': {
      const k = key ?? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
      return (data) => sign('sha256', data, { key: k, dsaEncoding: 'ieee-p1363' })
    }
    case 'EdDSA': {
      const k = key ?? generateKeyPairSync('ed25519').privateKey
      return (data) => sign(null, data, k)
    }
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const signer = rawSigner(process.argv[2] as Algorithm)
  const data = randomBytes(Number(process.argv[3] ?? 880))
  process.on('message', (m: { ms?: number; close?: boolean }) => {
    if (m.close) return process.disconnect()
    const start = performance.now()
    const rate = rateSync(() => signer(data), m.ms!)
    const ms = performance.now() - start
    process.send!({ ops: (rate * ms) / 1000, ms })
  })
  process.send!({ ready: true })
}
