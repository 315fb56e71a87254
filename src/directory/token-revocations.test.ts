// The revocations a replica holds, on a real SQLite store, the real directory, host registry and
// change feed: each change that revokes tokens (identity detached, resource deleted, principal
// deleted, host revoked) covers exactly the tokens issued through it before, live and after a
// restart (read back from the log), and only while such a token could still be valid.
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  createCertificateAuthority,
  issueCertificate,
  LOCAL_NAMES,
  type PemPair,
} from '../common/pki.js'
import { miridForm, parseResourceId } from '../domain/resource-id.js'
import type { RevocableClaims } from '../domain/token-revocation.js'
import { openStore } from '../store/index.js'
import type { Store } from '../store/store.js'
import { bootstrapInstallation } from './bootstrap.js'
import { createChangeFeed, type ChangeFeed } from './change-feed.js'
import { createDirectory } from './create-directory.js'
import type { Directory } from './directory.js'
import { createHostRegistry, type HostRegistry } from './hosts.js'
import { createTokenRevocations } from './token-revocations.js'

const DAY = 86_400_000

describe('token revocations from the change log', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'keyless-revocations-'))
  let store: Store
  let dir: Directory
  let hosts: HostRegistry
  let ca: PemPair
  let sub: string
  const feeds: ChangeFeed[] = []
  const clock = { now: () => Date.now() }
  const id = (type: string, name: string) =>
    parseResourceId(`/subscriptions/${sub}/resourceGroups/g/providers/${type}/${name}`)
  const second = () => Math.floor(Date.now() / 1000)

  /** A replica's view: a started feed and the revocations read from the log up to it. */
  async function replica(retainMs = DAY, now = clock.now) {
    const feed = createChangeFeed({ store, intervalMs: 60_000 })
    feeds.push(feed)
    const revocations = createTokenRevocations({ feed, clock: { now }, retainMs })
    await feed.start()
    await revocations.load(feed.position())
    return { feed, revocations }
  }

  /** A VM on a new host with a system- and a user-assigned identity, and their tokens' claims. */
  async function vmOnHost(name: string) {
    const { token } = await hosts.createJoinToken()
    const publicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString()
    const host = (await hosts.enroll(token, name, publicKey)).host
    const uai = id('Microsoft.ManagedIdentity/userAssignedIdentities', `${name}-id`)
    const uaiPrincipal = (await dir.putResource(uai, { location: 'eastus' })).resource.properties!
      .principalId as string
    const vm = id('Microsoft.Compute/virtualMachines', name)
    const identity = {
      type: 'SystemAssigned, UserAssigned',
      userAssignedIdentities: { [uai.id]: {} },
    }
    const put = (body: Record<string, unknown>) =>
      dir.putResource(vm, { location: 'eastus', properties: { hostId: host.id }, ...body })
    const created = await put({ identity })
    const iat = second()
    const system: RevocableClaims = {
      oid: created.resource.identity!.principalId!,
      iat,
      xms_mirid: miridForm(vm),
    }
    const user: RevocableClaims = {
      oid: uaiPrincipal,
      iat,
      xms_mirid: miridForm(uai),
      xms_az_rid: vm.id,
    }
    return {
      host,
      vm,
      uai,
      system,
      user,
      detach: () => put({ identity: { type: 'SystemAssigned' } }),
      later: (c: RevocableClaims) => ({ ...c, iat: second() + 1 }),
    }
  }

  before(async () => {
    store = await openStore({ sqliteFile: join(tmp, 'r.db') })
    const inst = await bootstrapInstallation(store, {
      now: 1,
      issueSecret: false,
      generateSecret: () => 'x',
      hashSecret: (x) => x,
    })
    sub = inst.subscriptionId
    dir = createDirectory({ store, clock, tenantId: inst.tenantId })
    await dir.putResourceGroup(sub, 'g', { location: 'eastus' })
    ca = await createCertificateAuthority('Revocations CA', {
      now: Date.now(),
      validityDays: 1,
      permitted: LOCAL_NAMES,
    })
    hosts = createHostRegistry({
      store,
      clock,
      tenantId: inst.tenantId,
      certificateLifetimeMs: DAY,
      joinTokenLifetimeMs: 60_000,
      issueCertificate: async (hostId, publicKeyPem, lifetimeMs) =>
        (
          await issueCertificate(ca, {
            commonName: hostId,
            usage: 'client',
            publicKeyPem,
            now: Date.now(),
            validityDays: lifetimeMs / DAY,
          })
        ).certPem,
    })
  })
  after(async () => {
    for (const f of feeds) f.stop()
    await store.close()
    rmSync(tmp, { recursive: true, force: true })
  })

  it('a detachment revokes the user-assigned tokens of that resource only', async () => {
    const { revocations, feed } = await replica()
    const w = await vmOnHost('detach')
    const other = await vmOnHost('bystander')
    await w.detach()
    await feed.poke()
    assert.equal(revocations.isRevoked(w.user), true)
    assert.equal(revocations.isRevoked(w.system), false, 'the system identity stays')
    assert.equal(revocations.isRevoked(other.user), false)
    assert.equal(revocations.isRevoked(w.later(w.user)), false, 'a token issued after it')
    const [entry] = revocations.after(0).filter((x) => 'mirid' in x.revocation)
    assert.deepEqual(entry!.revocation, {
      at: entry!.revocation.at,
      mirid: w.uai.key,
      rid: w.vm.key,
    })
  })

  it('deleting the resource revokes its system- and user-assigned tokens', async () => {
    const { revocations, feed } = await replica()
    const w = await vmOnHost('deleted')
    await dir.deleteResource(w.vm)
    await feed.poke()
    assert.equal(revocations.isRevoked(w.system), true)
    assert.equal(revocations.isRevoked(w.user), true)
    const uaiApp: RevocableClaims = { oid: w.user.oid, iat: w.user.iat }
    assert.equal(revocations.isRevoked(uaiApp), false, 'the identity itself lives on')
  })

  it('revoking a host revokes the tokens of every resource it ran, and only those', async () => {
    const { revocations, feed } = await replica()
    const w = await vmOnHost('revoked-host')
    const other = await vmOnHost('other-host')
    await hosts.revoke(w.host.id)
    await feed.poke()
    assert.equal(revocations.isRevoked(w.system), true)
    assert.equal(revocations.isRevoked(w.user), true)
    assert.equal(revocations.isRevoked(other.system), false)
    assert.equal(revocations.isRevoked(other.user), false)
  })

  it('a replica started later reads the revocations back from the log', async () => {
    const w = await vmOnHost('restart')
    await w.detach()
    const { revocations } = await replica()
    assert.equal(revocations.isRevoked(w.user), true)
    assert.equal(revocations.isRevoked(w.system), false)
  })

  it('forgets revocations older than any token it could refuse', async () => {
    const w = await vmOnHost('old')
    await w.detach()
    // A replica whose clock is 10 s ahead, keeping revocations 5 s: this one is too old to load.
    const { revocations } = await replica(5_000, () => Date.now() + 10_000)
    assert.equal(revocations.isRevoked(w.user), false)
    assert.equal(revocations.after(0).length, 0)
  })
})
