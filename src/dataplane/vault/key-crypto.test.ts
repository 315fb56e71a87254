import assert from 'node:assert/strict'
import { createHash, createPublicKey, randomBytes, verify as nodeVerify } from 'node:crypto'
import { describe, it } from 'node:test'
import { ENCRYPTION_ALGORITHMS, SIGNATURE_ALGORITHMS } from '../../domain/vault-keys.js'
import { decrypt, encrypt, generateKey, sign, verify } from './key-crypto.js'

// Every signature algorithm signs a digest and the result verifies with node's own verifier over
// the message (the cross-check a workload does with the public JWK), and with ours.
describe('vault key cryptography', () => {
  for (const [name, alg] of Object.entries(SIGNATURE_ALGORITHMS)) {
    it(`${name} signs a digest that node verifies over the message`, async () => {
      const pair = await generateKey(alg.kty, {
        size: 2048,
        curve: alg.curve ?? 'P-256',
        publicExponent: 65537,
      })
      const message = randomBytes(100)
      const digest = createHash(alg.hash).update(message).digest()
      const signature = sign(pair.privateJwk, alg, digest)
      const key = createPublicKey({ key: pair.publicJwk, format: 'jwk' })
      const options =
        alg.scheme === 'pss'
          ? { key, padding: 6, saltLength: alg.digestBytes }
          : alg.scheme === 'ecdsa'
            ? { key, dsaEncoding: 'ieee-p1363' as const }
            : { key }
      assert.equal(nodeVerify(alg.hash, message, options, signature), true)
      assert.equal(verify(pair.publicJwk, alg, digest, signature), true)
      const tampered = Buffer.from(signature)
      tampered[5] = (tampered[5] ?? 0) ^ 1
      assert.equal(verify(pair.publicJwk, alg, digest, tampered), false)
      assert.equal(verify(pair.publicJwk, alg, digest, signature.subarray(1)), false)
    })
  }

  for (const [name, alg] of Object.entries(ENCRYPTION_ALGORITHMS)) {
    it(`${name} encrypts with the public key and decrypts with the private one`, async () => {
      const pair = await generateKey('RSA', { size: 2048, curve: 'P-256', publicExponent: 65537 })
      const plaintext = randomBytes(32)
      const ciphertext = encrypt(pair.publicJwk, alg, plaintext)
      assert.deepEqual(decrypt(pair.privateJwk, alg, ciphertext), plaintext)
      assert.throws(() => decrypt(pair.privateJwk, alg, randomBytes(256)))
    })
  }
})
