// Resources placed on this host in a network namespace (`properties.networkNamespace`) get IMDS
// in it without anyone on the host asking: the agent reads its placements from the server
// (PLACEMENTS_PATH) when its change stream connects, after every resource event that concerns
// it, and every minute, and makes the namespace runs match: one `imds` run per namespace,
// marked `placed`. Runs registered by hand are never touched; a namespace one of them holds is
// left to it. A failed read keeps the runs as they are (the server may be down).
import type { Placement } from '../common/agent-protocol.js'
import { isNamespaceName } from '../domain/network-namespace.js'
import type { Logger } from './respond.js'
import type { Runs } from './runs.js'

export interface PlacementSyncOptions {
  fetchPlacements: () => Promise<Placement[]>
  runs: Pick<Runs, 'list' | 'create' | 'delete'>
  log: Logger
  /** Changes arrive in bursts (a PUT is several events): one read after the burst. */
  debounceMs?: number
  resyncMs?: number
}

export function createPlacementSync(o: PlacementSyncOptions) {
  const failures = new Map<string, string>()
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let again = false
  let stopped = false

  async function reconcile(): Promise<void> {
    const desired = (await o.fetchPlacements()).filter((p) => isNamespaceName(p.networkNamespace))
    const want = new Map(desired.map((p) => [p.networkNamespace, p.resourceId]))
    for (const run of o.runs.list()) {
      if (!run.placed || run.netns === undefined) continue
      if (want.get(run.netns)?.toLowerCase() !== run.resourceId.toLowerCase()) {
        await o.runs.delete(run.id)
      }
    }
    const held = new Set(o.runs.list().flatMap((r) => (r.netns === undefined ? [] : [r.netns])))
    failures.clear()
    for (const [netns, resourceId] of want) {
      if (held.has(netns)) continue
      try {
        await o.runs.create(resourceId, 'imds', { netns, placed: true })
      } catch (err) {
        failures.set(netns, (err as Error).message)
        o.log.warn({ netns, resourceId, err: (err as Error).message }, 'placement not served')
      }
    }
  }

  function run(): void {
    if (stopped) return
    if (running) {
      again = true
      return
    }
    running = reconcile()
      .catch((err: unknown) =>
        o.log.debug({ err: (err as Error).message }, 'placements not read; runs kept'),
      )
      .finally(() => {
        running = undefined
        if (again) {
          again = false
          run()
        }
      })
  }

  const resync = setInterval(run, o.resyncMs ?? 60_000)
  resync.unref()

  return {
    /** Reads the placements again soon (after a burst of events settles). */
    schedule(): void {
      if (timer) return
      timer = setTimeout(() => {
        timer = undefined
        run()
      }, o.debounceMs ?? 100)
      timer.unref()
    },
    /** Namespaces whose placement could not be served, and why. */
    get failures(): Record<string, string> {
      return Object.fromEntries(failures)
    },
    async stop(): Promise<void> {
      stopped = true
      clearInterval(resync)
      if (timer) clearTimeout(timer)
      await running
    },
  }
}
