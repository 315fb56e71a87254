import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FederatedCredentialRow, NewResourceRow, Store } from '../index.js'
import { DANGLING, DUPLICATE, T0, UAI, resourceRow, seedHierarchy } from './fixtures.js'

function credentialRow(identity: NewResourceRow, name: string, subject: string | null) {
  const row: FederatedCredentialRow = {
    identity_key: identity.key,
    name_key: name.toLowerCase(),
    id: `${identity.id}/federatedIdentityCredentials/${name}`,
    name,
    issuer: 'https://token.actions.githubusercontent.com',
    subject,
    audiences: '["api://AzureADTokenExchange"]',
    claims_matching_expression:
      subject === null
        ? '{"value":"claims[\'sub\'] matches \'repo:*\'","languageVersion":1}'
        : null,
    created_at: T0,
    updated_at: T0,
  }
  return row
}

export function describeFederatedCredentials(store: () => Store): void {
  describe('federated identity credentials', () => {
    it('creates, fetches by lower-cased name, lists by name, counts, updates and deletes', async () => {
      const h = await seedHierarchy(store())
      const uai = resourceRow(h, UAI, 'ci')
      await store().resources.create(uai)
      const b = credentialRow(uai, 'Beta', 'repo:o/r:ref:refs/heads/main')
      const a = credentialRow(uai, 'alpha', null)
      await store().federatedCredentials.create(b)
      await store().federatedCredentials.create(a)
      assert.deepEqual(await store().federatedCredentials.fetch(uai.key, 'beta'), b)
      assert.equal(await store().federatedCredentials.fetch(uai.key, 'gamma'), undefined)
      assert.deepEqual(await store().federatedCredentials.list(uai.key), [a, b])
      assert.equal(await store().federatedCredentials.count(uai.key), 2)

      assert.equal(
        await store().federatedCredentials.update(uai.key, 'beta', {
          subject: 'repo:o/r:environment:prod',
          updated_at: T0 + 1,
        }),
        true,
      )
      assert.equal(
        (await store().federatedCredentials.fetch(uai.key, 'beta'))?.subject,
        'repo:o/r:environment:prod',
      )
      assert.equal(
        await store().federatedCredentials.update(uai.key, 'none', { updated_at: 1 }),
        false,
      )
      assert.equal(await store().federatedCredentials.delete(uai.key, 'beta'), true)
      assert.equal(await store().federatedCredentials.delete(uai.key, 'beta'), false)
      assert.equal(await store().federatedCredentials.deleteByIdentity(uai.key), 1)
      assert.equal(await store().federatedCredentials.count(uai.key), 0)
    })

    it('lists the credentials of one issuer among 1,000 (the default cap)', async () => {
      const h = await seedHierarchy(store())
      const uai = resourceRow(h, UAI, 'many')
      await store().resources.create(uai)
      await store().transaction(async (tx) => {
        for (let i = 0; i < 1000; i++) {
          const row = credentialRow(uai, `c-${String(i).padStart(4, '0')}`, `sub-${i}`)
          await tx.federatedCredentials.create({ ...row, issuer: `https://issuer-${i % 10}.test` })
        }
      })
      const some = await store().federatedCredentials.listByIssuer(uai.key, 'https://issuer-3.test')
      assert.equal(some.length, 100)
      assert.deepEqual(
        some.slice(0, 2).map((c) => c.subject),
        ['sub-3', 'sub-13'],
      )
      assert.deepEqual(await store().federatedCredentials.listByIssuer(uai.key, 'https://x'), [])
      assert.equal(await store().federatedCredentials.deleteByIdentity(uai.key), 1000)
    })

    it('rejects a second credential with the same name or the same issuer and subject', async () => {
      const h = await seedHierarchy(store())
      const uai = resourceRow(h, UAI, 'ci')
      await store().resources.create(uai)
      await store().federatedCredentials.create(credentialRow(uai, 'one', 'sub-1'))
      await assert.rejects(
        store().federatedCredentials.create(credentialRow(uai, 'ONE', 'sub-2')),
        DUPLICATE,
      )
      await assert.rejects(
        store().federatedCredentials.create(credentialRow(uai, 'two', 'sub-1')),
        DUPLICATE,
      )
      // Expression credentials have no subject, and any number of them may share an issuer.
      await store().federatedCredentials.create(credentialRow(uai, 'e1', null))
      await store().federatedCredentials.create(credentialRow(uai, 'e2', null))
      assert.equal(await store().federatedCredentials.count(uai.key), 3)
    })

    it('refuses a credential of a missing identity and an identity delete that leaves credentials', async () => {
      const h = await seedHierarchy(store())
      const uai = resourceRow(h, UAI, 'ci')
      const ghost = resourceRow(h, UAI, 'ghost')
      await assert.rejects(
        store().federatedCredentials.create(credentialRow(ghost, 'x', 's')),
        DANGLING,
      )
      await store().resources.create(uai)
      await store().federatedCredentials.create(credentialRow(uai, 'x', 's'))
      await assert.rejects(store().resources.delete(uai.key), DANGLING)
      await store().transaction(async (tx) => {
        await tx.federatedCredentials.deleteByIdentity(uai.key)
        await tx.resources.delete(uai.key)
      })
      assert.equal(await store().resources.fetch(uai.key), undefined)
    })
  })
}
