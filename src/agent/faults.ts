// The faults an operator set on this agent, per compute resource or per run (fault-plan.ts has
// the rules). Off by default: a request meets a fault only if a plan was set for its run or its
// resource through the control API. Kept in memory only, so a restarted agent answers normally;
// a run's plan goes with the run.
import { BadRequest, NotFound } from '../domain/errors.js'
import {
  createFaultPlan,
  formatFault,
  parseFault,
  type FaultDecision,
  type FaultPlan,
} from '../domain/fault-plan.js'
import { parseResourceId } from '../domain/resource-id.js'
import type { Caller } from './token-endpoint.js'

/** Whose requests a plan changes: one run's, or every request made as one resource. */
export type FaultTarget = { runId: string } | { resourceId: string }

export interface FaultSetView {
  target: FaultTarget
  faults: { spec: string; injected: number }[]
}

export type Faults = ReturnType<typeof createFaults>

export function createFaults(o: {
  random?: () => number
  /** Whether a run exists, so a plan is not set for a mistyped id. */
  hasRun: (id: string) => boolean
}) {
  const random = o.random ?? Math.random
  const plans = new Map<string, { target: FaultTarget; plan: FaultPlan }>()

  function keyOf(target: FaultTarget): { key: string; target: FaultTarget } {
    if ('runId' in target) {
      if (typeof target.runId !== 'string' || !o.hasRun(target.runId)) {
        throw new NotFound('RunNotFound', `run '${String(target.runId)}' does not exist`)
      }
      return { key: `run:${target.runId}`, target: { runId: target.runId } }
    }
    let id
    try {
      id = parseResourceId(String(target.resourceId))
    } catch (e) {
      throw new BadRequest('InvalidResourceId', (e as Error).message)
    }
    return { key: `resource:${id.key}`, target: { resourceId: id.id } }
  }

  const view = ({ target, plan }: { target: FaultTarget; plan: FaultPlan }): FaultSetView => ({
    target,
    faults: plan.faults.map((f, i) => ({ spec: formatFault(f), injected: plan.injected[i]! })),
  })

  return {
    /** Replaces the target's plan; every spec is checked before anything changes. */
    set(target: FaultTarget, specs: unknown): FaultSetView {
      if (!Array.isArray(specs) || specs.length === 0 || specs.some((s) => typeof s !== 'string')) {
        throw new BadRequest('InvalidFault', 'faults must be a non-empty list of specs')
      }
      const faults = (specs as string[]).map(parseFault)
      const k = keyOf(target)
      const entry = { target: k.target, plan: createFaultPlan(faults, random) }
      plans.set(k.key, entry)
      return view(entry)
    },

    /** Removes the target's plan (all plans without a target); returns how many. */
    clear(target?: FaultTarget): number {
      if (target === undefined) {
        const n = plans.size
        plans.clear()
        return n
      }
      return plans.delete(keyOf(target).key) ? 1 : 0
    },

    dropRun(runId: string): void {
      plans.delete(`run:${runId}`)
    },

    list: (): FaultSetView[] => [...plans.values()].map(view),

    /** The run's plan decides first; the resource's applies to what the run's left alone. */
    decide(caller: Caller): FaultDecision | undefined {
      if (plans.size === 0) return undefined
      const run = caller.runId === undefined ? undefined : plans.get(`run:${caller.runId}`)
      const resource = plans.get(`resource:${caller.key}`)
      const a = run?.plan.decide()
      const b = resource?.plan.decide()
      if (!a) return b
      if (!b) return a
      const status = a.status ?? b.status
      const delayMs = (a.delayMs ?? 0) + (b.delayMs ?? 0)
      return { ...(status ? { status } : {}), ...(delayMs ? { delayMs } : {}) }
    },
  }
}
