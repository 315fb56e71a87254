import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { setImmediate as tick } from 'node:timers/promises'
import { createTokenCache } from './token-cache.js'
import { fakeClock, fakeSource, offline, refused } from './test-fakes.js'
import { TokenRequestError, type TokenRequest } from './token-source.js'

const VM = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1'
const VM2 = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm2'
const ARM = 'https://management.azure.com/'
const req = (over: Partial<TokenRequest> = {}): TokenRequest => ({
  callerResourceId: VM,
  resource: ARM,
  ...over,
})

function setup(lifetimeS = 3600) {
  const clock = fakeClock()
  const source = fakeSource(clock, lifetimeS)
  const errors: unknown[] = []
  const cache = createTokenCache({ source, clock, onRefreshError: (e) => errors.push(e) })
  return { clock, source, cache, errors }
}

describe('token cache', () => {
  it('answers repeated requests from the cache with the server expiry', async () => {
    const { cache, source, clock } = setup()
    const a = await cache.get(req())
    const b = await cache.get(req())
    assert.equal(a, b)
    assert.equal(source.requests.length, 1)
    assert.equal(a.expiresOn, Math.floor(clock.now() / 1000) + 3600)
  })

  it('keys by caller, selector and the audience exactly as requested', async () => {
    const { cache, source } = setup()
    await cache.get(req())
    await cache.get(req({ resource: 'https://management.azure.com' }))
    await cache.get(req({ callerResourceId: VM2 }))
    await cache.get(req({ selector: { kind: 'clientId', value: 'AAAA' } }))
    await cache.get(req({ selector: { kind: 'clientId', value: 'aaaa' } }))
    await cache.get(req({ callerResourceId: VM.toUpperCase() }))
    assert.equal(source.requests.length, 4)
  })

  it('treats resource-id selectors case-insensitively and with // collapsed', async () => {
    const { cache, source } = setup()
    const id =
      '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u1'
    await cache.get(req({ selector: { kind: 'resourceId', value: id } }))
    await cache.get(
      req({ selector: { kind: 'resourceId', value: id.toLowerCase().replace('/rg/', '//rg/') } }),
    )
    assert.equal(source.requests.length, 1)
  })

  it('sends one request for concurrent callers of the same key', async () => {
    const { cache, source } = setup()
    let open!: () => void
    source.gate = new Promise((r) => (open = r))
    const all = Promise.all([cache.get(req()), cache.get(req()), cache.get(req())])
    await tick()
    open()
    const [a, b, c] = await all
    assert.equal(source.requests.length, 1)
    assert.equal(a, b)
    assert.equal(b, c)
  })

  it('refreshes in the background once two thirds of the lifetime have passed', async () => {
    const { cache, source, clock } = setup(3 * 3600)
    const first = await cache.get(req())
    clock.advance(2 * 3600 * 1000 - 1000)
    assert.equal(await cache.get(req()), first)
    assert.equal(source.requests.length, 1)
    clock.advance(2000)
    assert.equal(await cache.get(req()), first, 'the cached token is served while refreshing')
    assert.equal(source.requests.length, 2)
    await tick()
    const second = await cache.get(req())
    assert.notEqual(second, first)
    assert.equal(second.expiresOn, Math.floor(clock.now() / 1000) + 3 * 3600)
  })

  it('refreshes short-lived tokens when less than five minutes are left', async () => {
    const { cache, source, clock } = setup(600)
    await cache.get(req())
    clock.advance(299_000)
    await cache.get(req())
    assert.equal(source.requests.length, 1)
    clock.advance(2000)
    await cache.get(req())
    assert.equal(source.requests.length, 2)
  })

  it('keeps serving a cached token while the server is unreachable, until it expires', async () => {
    const { cache, source, clock, errors } = setup(3600)
    const first = await cache.get(req())
    source.behaviour = offline()
    clock.advance(3000 * 1000)
    assert.equal(await cache.get(req()), first)
    await tick()
    assert.equal(errors.length, 1)
    clock.advance(590 * 1000)
    assert.equal(await cache.get(req()), first)
    clock.advance(10 * 1000)
    await assert.rejects(cache.get(req()), (e: TokenRequestError) => e.status === 0)
  })

  it('spaces background refresh attempts while the server is down', async () => {
    const { cache, source, clock } = setup(3600)
    await cache.get(req())
    source.behaviour = offline()
    clock.advance(3000 * 1000)
    for (let i = 0; i < 5; i++) await cache.get(req())
    await tick()
    assert.equal(source.requests.length, 2)
    clock.advance(10_000)
    await cache.get(req())
    assert.equal(source.requests.length, 3)
  })

  it('backs off refresh attempts of a key exponentially, with jitter, while the server stays down', async () => {
    const clock = fakeClock()
    const source = fakeSource(clock, 3600)
    const cache = createTokenCache({ source, clock, random: () => 0.999999 })
    await cache.get(req())
    source.behaviour = offline()
    clock.advance(3000 * 1000)
    const attemptsAt: number[] = []
    for (let s = 0; s < 80; s++) {
      const before = source.requests.length
      await cache.get(req())
      await tick()
      if (source.requests.length > before) attemptsAt.push(s)
      clock.advance(1000)
    }
    // Waits of ~10, 20 and 40 s after the first three failures (random at its top).
    assert.deepEqual(attemptsAt, [0, 10, 30, 70])
  })

  it('spreads the refreshes of keys that failed together when the server returns', async () => {
    const clock = fakeClock()
    const source = fakeSource(clock, 3600)
    let seed = 1
    const random = () => ((seed = (seed * 48271) % 2147483647) - 1) / 2147483646
    const cache = createTokenCache({ source, clock, random })
    const keys = Array.from({ length: 20 }, (_, i) => req({ resource: `https://app${i}.example` }))
    for (const k of keys) await cache.get(k)
    source.behaviour = offline()
    clock.advance(3000 * 1000)
    for (const k of keys) await cache.get(k)
    await tick()
    source.behaviour = 'ok'
    const sent = source.requests.length
    // Second by second after the failure, each key asks once, when its own wait is over.
    const perSecond: number[] = []
    for (let s = 0; s < 11; s++) {
      clock.advance(1000)
      const before = source.requests.length
      for (const k of keys) await cache.get(k)
      await tick()
      perSecond.push(source.requests.length - before)
    }
    assert.equal(source.requests.length - sent, keys.length, 'each key refreshed once')
    assert.ok(Math.max(...perSecond) < keys.length / 2, `spread: ${perSecond.join(' ')}`)
    assert.equal(
      perSecond.slice(0, 4).reduce((a, b) => a + b),
      0,
      'none before half the wait',
    )
  })

  it('counts hits, misses, refreshes and failed refreshes', async () => {
    const { cache, source, clock } = setup(3600)
    await cache.get(req())
    await cache.get(req())
    assert.equal(cache.peek(req({ resource: 'https://other.example' })), undefined)
    source.behaviour = offline()
    clock.advance(3000 * 1000)
    await cache.get(req())
    await tick()
    assert.deepEqual(cache.stats, {
      hits: 2,
      misses: 1,
      refreshes: 1,
      refreshFailures: 1,
      forcedRefreshes: 0,
    })
  })

  it('fetches past the cache on a forced refresh, at most once per interval per request', async () => {
    const { cache, source, clock } = setup()
    const first = await cache.get(req())
    const forced = await cache.refresh(req())
    assert.notEqual(forced.accessToken, first.accessToken)
    assert.equal(source.requests.length, 2)
    assert.equal(await cache.get(req()), forced, 'the new token is cached')
    // A flood within the interval is answered from the cache.
    for (let i = 0; i < 20; i++) assert.equal(await cache.refresh(req()), forced)
    assert.equal(source.requests.length, 2)
    await cache.refresh(req({ callerResourceId: VM2 }))
    assert.equal(source.requests.length, 3, 'another request has its own interval')
    clock.advance(5_000)
    assert.notEqual((await cache.refresh(req())).accessToken, forced.accessToken)
    assert.equal(cache.stats.forcedRefreshes, 3)
  })

  it('refreshes by hash only when the cached token is the one the client names', async () => {
    const { cache, source, clock } = setup()
    const sha = (t: string) => createHash('sha256').update(t).digest('hex')
    const first = await cache.get(req())
    // Another token's hash (the client holds an older one): the cached, newer token answers.
    assert.equal(await cache.refresh(req(), sha('some-older-token')), first)
    assert.equal(source.requests.length, 1)
    const fresh = await cache.refresh(req(), sha(first.accessToken).toUpperCase().toLowerCase())
    assert.notEqual(fresh.accessToken, first.accessToken)
    assert.equal(source.requests.length, 2)
    clock.advance(5_000)
    assert.equal(await cache.refresh(req(), sha(first.accessToken)), fresh, 'already replaced')
  })

  it('recovers when the server is back', async () => {
    const { cache, source, clock } = setup(3600)
    const first = await cache.get(req())
    source.behaviour = offline()
    clock.advance(3000 * 1000)
    await cache.get(req())
    await tick()
    source.behaviour = 'ok'
    clock.advance(10_000)
    await cache.get(req())
    await tick()
    assert.notEqual(await cache.get(req()), first)
  })

  it('drops a cached token when a refresh is refused for good', async () => {
    const { cache, source, clock } = setup(3600)
    await cache.get(req())
    source.behaviour = refused()
    clock.advance(3000 * 1000)
    await cache.get(req())
    await tick()
    assert.equal(cache.size, 0)
    await assert.rejects(cache.get(req()), (e: TokenRequestError) => e.status === 400)
  })

  it('does not cache refusals', async () => {
    const { cache, source } = setup()
    source.behaviour = refused()
    await assert.rejects(cache.get(req()))
    source.behaviour = 'ok'
    await cache.get(req())
    assert.equal(source.requests.length, 2)
  })

  it('purges the entries of a calling resource', async () => {
    const { cache, source } = setup()
    await cache.get(req())
    await cache.get(req({ resource: 'https://vault.azure.net' }))
    await cache.get(req({ callerResourceId: VM2 }))
    assert.equal(cache.purgeCaller(VM.toLowerCase()), 2)
    await cache.get(req({ callerResourceId: VM2 }))
    assert.equal(source.requests.length, 3)
    await cache.get(req())
    assert.equal(source.requests.length, 4)
  })

  it('purges the entries of an identity by object id and by resource id', async () => {
    const { cache } = setup()
    await cache.get(req())
    await cache.get(req({ callerResourceId: VM2 }))
    assert.equal(cache.purgeIdentity('22222222-2222-2222-2222-222222222222'), 2)
    await cache.get(req())
    assert.equal(cache.purgeResource(VM), 1, 'the fake names the caller as msi_res_id')
    assert.equal(cache.size, 0)
  })

  it('asks again instead of caching an answer that raced a purge', async () => {
    const { cache, source } = setup()
    let open!: () => void
    source.gate = new Promise((r) => (open = r))
    const pending = cache.get(req())
    await tick()
    cache.purgeCaller(VM)
    open()
    const token = await pending
    assert.equal(source.requests.length, 2)
    assert.equal(token.accessToken, 'token-2')
    assert.equal(cache.size, 0)
  })

  it('clears everything', async () => {
    const { cache } = setup()
    await cache.get(req())
    await cache.get(req({ callerResourceId: VM2 }))
    assert.equal(cache.clear(), 2)
    assert.equal(cache.size, 0)
  })

  it('evicts the oldest entry beyond its capacity', async () => {
    const clock = fakeClock()
    const source = fakeSource(clock)
    const cache = createTokenCache({ source, clock, maxEntries: 2 })
    await cache.get(req({ resource: 'https://a' }))
    await cache.get(req({ resource: 'https://b' }))
    await cache.get(req({ resource: 'https://c' }))
    assert.equal(cache.size, 2)
    await cache.get(req({ resource: 'https://a' }))
    assert.equal(source.requests.length, 4)
  })
})
