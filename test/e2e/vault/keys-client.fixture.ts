// A user's program, run by `keyless run --as <web app>` in the keys tests: it knows nothing of
// Keyless and uses only ManagedIdentityCredential, KeyClient and CryptographyClient. argv[2] is
// JSON {"vaultUrl", "steps": [{"op", "name", ...}]}; bytes go in and out as base64url. It prints
// one result per step, [{op, ok: true, value?} | {op, ok: false, status, code}].
import { ManagedIdentityCredential } from '@azure/identity'
import { CryptographyClient, KeyClient } from '@azure/keyvault-keys'

type Step = Record<string, any> & { op: string; name: string }

const { vaultUrl, steps } = JSON.parse(process.argv[2]!) as { vaultUrl: string; steps: Step[] }
const credential = new ManagedIdentityCredential()
// The vault is served at an IP address, which cannot be a subdomain of the challenge resource.
const options = { disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } }
const keys = new KeyClient(vaultUrl, credential, options)
const crypto = (name: string) =>
  new CryptographyClient(`${vaultUrl.replace(/\/$/, '')}/keys/${name}`, credential, options)
const bytes = (s: string) => Buffer.from(s, 'base64url')
const b64 = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('base64url')

const OPS: Record<string, (s: Step) => Promise<unknown>> = {
  async createRsa(s) {
    const k = await keys.createRsaKey(s.name, { keySize: s.size ?? 2048 })
    return { kty: k.keyType, n: b64(k.key?.n), e: b64(k.key?.e), hasD: k.key?.d !== undefined }
  },
  async createEc(s) {
    const k = await keys.createEcKey(s.name, { curve: s.curve ?? 'P-256' })
    return { kty: k.keyType, crv: k.key?.crv, x: b64(k.key?.x), y: b64(k.key?.y) }
  },
  sign: async (s) => b64((await crypto(s.name).sign(s.alg, bytes(s.digest))).result),
  verify: async (s) => (await crypto(s.name).verify(s.alg, bytes(s.digest), bytes(s.sig))).result,
  encrypt: async (s) =>
    b64((await crypto(s.name).encrypt({ algorithm: s.alg, plaintext: bytes(s.data) })).result),
  decrypt: async (s) =>
    b64((await crypto(s.name).decrypt({ algorithm: s.alg, ciphertext: bytes(s.data) })).result),
  wrap: async (s) => b64((await crypto(s.name).wrapKey(s.alg, bytes(s.data))).result),
  unwrap: async (s) => b64((await crypto(s.name).unwrapKey(s.alg, bytes(s.data))).result),
  deleteKey: async (s) => (await keys.beginDeleteKey(s.name)).getResult()?.name,
}

const results: object[] = []
for (const step of steps) {
  try {
    results.push({ op: step.op, ok: true, value: await OPS[step.op]!(step) })
  } catch (e: any) {
    results.push({ op: step.op, ok: false, status: e.statusCode, code: e.code })
  }
}
console.log(JSON.stringify(results))
