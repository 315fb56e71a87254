// Key Vault keys across a crash: `keyless up` is killed (SIGKILL) while four writers create and
// import keys, then restarted on the same data directory. Every key acknowledged with 200 is
// there afterwards and still signs (node verifies with its public JWK), and no private key
// material, of imported keys (known to the test) or of created ones (opened here with the
// installation's sealing key, as only Keyless can), is anywhere in the data directory in the
// clear: not in the database, its WAL, the logs or any other file the crash left behind.
import assert from 'node:assert/strict'
import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { compactDecrypt } from 'jose'
import { purposeKey, startKeyless, type KeylessProcess } from '../../helpers/keyless.js'
import { ROLES, startVaultEnv, vaultRequest, withApi, type VaultEnv } from './vault.config.js'

const ACKNOWLEDGED_BEFORE_KILL = 24

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    const stat = statSync(path)
    // Sockets (the agent's) hold nothing at rest.
    return stat.isDirectory() ? filesUnder(path) : stat.isFile() ? [path] : []
  })
}

/** The forms a private JWK member could take on disk: base64url, base64, hex, raw bytes. */
function forms(member: string): Buffer[] {
  const raw = Buffer.from(member, 'base64url')
  return [
    Buffer.from(member.slice(0, 48)),
    Buffer.from(raw.toString('base64').slice(0, 48)),
    Buffer.from(raw.toString('hex').slice(0, 64)),
    raw.subarray(0, 24),
  ]
}

describe('vault keys across a crash', () => {
  let env: VaultEnv
  let restarted: KeylessProcess | undefined

  before(async () => {
    env = await startVaultEnv()
  })
  after(async () => {
    await restarted?.dispose()
    await env?.dispose()
  })

  it('keeps every acknowledged key and no private key material in the clear through kill -9', async (t) => {
    const vault = await env.createVault('kv-crash')
    const officer = await env.createWorkload('keys-crash')
    await env.assign(vault.id, ROLES.cryptoOfficer, officer.principalId)
    const token = await env.token(officer)
    await sleep(1000)
    let ca = env.k.ca
    const call = (method: string, path: string, body: unknown) =>
      vaultRequest(withApi(`${vault.url.replace(/\/$/, '')}${path}`), { method, token, body, ca })

    const acknowledged: { name: string; imported?: Record<string, string> }[] = []
    let killed = false
    const writer = async (w: number) => {
      for (let i = 0; !killed; i++) {
        const name = `crash-${w}-${i}`
        let imported: Record<string, string> | undefined
        let request: Promise<{ status: number }>
        if (i % 2 === 0) {
          const pair =
            w % 2 === 0
              ? generateKeyPairSync('rsa', { modulusLength: 2048 })
              : generateKeyPairSync('ec', { namedCurve: 'P-256' })
          const jwk = pair.privateKey.export({ format: 'jwk' }) as Record<string, string>
          imported = jwk
          request = call('PUT', `/keys/${name}`, { key: { ...jwk, key_ops: ['sign', 'verify'] } })
        } else {
          const spec = w % 2 === 0 ? { kty: 'RSA', key_size: 2048 } : { kty: 'EC', crv: 'P-256' }
          request = call('POST', `/keys/${name}/create`, spec)
        }
        const res = await request.catch(() => ({ status: 0 }))
        if (res.status === 200) acknowledged.push({ name, ...(imported && { imported }) })
      }
    }
    const writers = [0, 1, 2, 3].map(writer)
    const deadline = Date.now() + 90_000
    while (acknowledged.length < ACKNOWLEDGED_BEFORE_KILL && Date.now() < deadline) await sleep(5)
    assert.ok(acknowledged.length >= ACKNOWLEDGED_BEFORE_KILL, `only ${acknowledged.length} keys`)
    await env.k.stop('SIGKILL')
    killed = true
    await Promise.all(writers)
    const output = env.k.output()

    restarted = await startKeyless({ dataDir: env.k.dataDir })
    ca = restarted.ca
    const message = Buffer.from('signed after the crash')
    const digest = createHash('sha256').update(message).digest().toString('base64url')
    for (const { name } of acknowledged) {
      const got = await call('GET', `/keys/${name}`, undefined)
      assert.equal(got.status, 200, `${name}: ${got.text}`)
      const { key } = got.json()
      assert.equal(key.d, undefined, 'no private part returned')
      const alg = key.kty === 'RSA' ? 'RS256' : 'ES256'
      const signed = await call('POST', `/keys/${name}/${key.kid.split('/').pop()}/sign`, {
        alg,
        value: digest,
      })
      assert.equal(signed.status, 200, `${name}: ${signed.text}`)
      const sig = Buffer.from(signed.json().value, 'base64url')
      const publicKey = createPublicKey({ key, format: 'jwk' })
      const options = key.kty === 'RSA' ? publicKey : { key: publicKey, dsaEncoding: 'ieee-p1363' }
      assert.equal(verify('sha256', message, options as any, sig), true, name)
    }

    // Every private member of every key the vault held before the crash, in every form.
    const sealing = purposeKey(env.k.dataDir, 'vault-keys')
    const secrets: string[] = []
    for (const { name, imported } of acknowledged) {
      const rows = await env.store.vaultKeys.listAllVersions(vault.id, name)
      assert.equal(rows.length, 1, name)
      const sealed = rows[0]!.private_enc
      assert.equal(sealed.split('.').length, 5, 'a compact JWE')
      const opened = JSON.parse(
        Buffer.from((await compactDecrypt(sealed, sealing.key)).plaintext).toString(),
      ) as Record<string, string>
      if (imported) assert.equal(opened.d, imported.d, `${name} is the key imported`)
      for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi']) if (opened[m]) secrets.push(opened[m])
    }
    const files = filesUnder(env.k.dataDir).filter((f) => !f.endsWith('master.key'))
    assert.ok(files.some((f) => f.endsWith('keyless.db')))
    t.diagnostic(
      `${acknowledged.length} keys, ${secrets.length} private members, ${files.length} files`,
    )
    for (const file of files) {
      const bytes = readFileSync(file)
      for (const secret of secrets) {
        for (const form of forms(secret)) assert.equal(bytes.includes(form), false, file)
      }
    }
    const logs = output + restarted.output()
    for (const secret of secrets) assert.equal(logs.includes(secret.slice(0, 32)), false, 'logs')
  })
})
