import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Placement } from '../common/agent-protocol.js'
import { createPlacementSync } from './placements.js'
import { silentLogger } from './respond.js'
import type { Run, RunOwner, RunProtocol } from './runs.js'

const VM = (n: string) =>
  `/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/${n}`

/** Runs in memory, as runs.ts keeps them, with namespaces that fail on request. */
function fakeRuns(failing: Set<string> = new Set()) {
  const runs: Run[] = []
  let n = 0
  return {
    runs,
    list: () => runs.map((r) => ({ ...r })),
    async create(resourceId: string, protocol: RunProtocol, owner: RunOwner = {}) {
      if (owner.netns && failing.has(owner.netns)) throw new Error(`cannot enter ${owner.netns}`)
      const run: Run = {
        id: `run-${++n}`,
        resourceId,
        protocol,
        createdAt: 0,
        uid: 0,
        ...(owner.netns ? { netns: owner.netns } : {}),
        ...(owner.placed ? { placed: true } : {}),
      }
      runs.push(run)
      return run
    },
    async delete(id: string) {
      runs.splice(
        runs.findIndex((r) => r.id === id),
        1,
      )
    },
  }
}

async function settle(sync: { schedule(): void }) {
  sync.schedule()
  await sleep(30)
}

describe('placement sync', () => {
  it('makes the namespace runs match the placements, leaving runs made by hand alone', async () => {
    let placements: Placement[] = [
      { resourceId: VM('a'), networkNamespace: 'ns-a' },
      { resourceId: VM('b'), networkNamespace: 'ns-b' },
      { resourceId: VM('c'), networkNamespace: 'ns-manual' },
      { resourceId: VM('d'), networkNamespace: '../bad' },
    ]
    const runs = fakeRuns()
    await runs.create(VM('x'), 'imds', { netns: 'ns-manual' })
    await runs.create(VM('y'), 'appservice')
    const sync = createPlacementSync({
      fetchPlacements: async () => placements,
      runs,
      log: silentLogger,
      debounceMs: 1,
    })
    try {
      await settle(sync)
      const view = () =>
        runs.runs.map(
          (r) => `${r.netns ?? '-'} ${r.resourceId.slice(-1)}${r.placed ? ' placed' : ''}`,
        )
      assert.deepEqual(view(), ['ns-manual x', '- y', 'ns-a a placed', 'ns-b b placed'])

      // b moves to another VM, a leaves; a read that fails keeps everything.
      placements = [{ resourceId: VM('e'), networkNamespace: 'ns-b' }]
      await settle(sync)
      assert.deepEqual(view(), ['ns-manual x', '- y', 'ns-b e placed'])
      const kept = view()
      placements = undefined as unknown as Placement[]
      await settle(sync)
      assert.deepEqual(view(), kept)
    } finally {
      await sync.stop()
    }
  })

  it('reports the namespaces it could not serve, and retries them on the next read', async () => {
    const failing = new Set(['ns-a'])
    const runs = fakeRuns(failing)
    const sync = createPlacementSync({
      fetchPlacements: async () => [{ resourceId: VM('a'), networkNamespace: 'ns-a' }],
      runs,
      log: silentLogger,
      debounceMs: 1,
    })
    try {
      await settle(sync)
      assert.deepEqual(sync.failures, { 'ns-a': 'cannot enter ns-a' })
      failing.clear()
      await settle(sync)
      assert.deepEqual(sync.failures, {})
      assert.equal(runs.runs.length, 1)
    } finally {
      await sync.stop()
    }
  })
})
