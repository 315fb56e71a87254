// The control API's fault routes (faults.ts): only whoever can open the control socket, the
// agent's operator, sets faults.
//   GET    /faults                          → 200 {value: [{target, faults: [{spec, injected}]}]}
//   PUT    /faults {runId|resourceId, faults: ["429:0.3", "delay:200ms"]}
//                                           → 200 {target, faults}; replaces that target's plan
//   DELETE /faults[?runId=…|?resourceId=…]  → 200 {cleared: n}; no target: every plan
import { BadRequest } from '../domain/errors.js'
import { readJson, type ControlRoutes } from './control.js'
import type { FaultTarget, Faults } from './faults.js'

function targetOf(v: { runId?: unknown; resourceId?: unknown }): FaultTarget | undefined {
  if (v.runId !== undefined && v.resourceId !== undefined) {
    throw new BadRequest('InvalidRequest', 'name either runId or resourceId, not both')
  }
  if (typeof v.runId === 'string') return { runId: v.runId }
  if (typeof v.resourceId === 'string') return { resourceId: v.resourceId }
  if (v.runId !== undefined || v.resourceId !== undefined) {
    throw new BadRequest('InvalidRequest', 'runId and resourceId must be strings')
  }
  return undefined
}

export function faultRoutes(faults: Faults): ControlRoutes {
  return async (req, path) => {
    if (path !== '/faults') return undefined
    if (req.method === 'GET') return { status: 200, body: { value: faults.list() } }
    if (req.method === 'PUT') {
      const body = await readJson(req)
      const target = targetOf(body)
      if (!target) throw new BadRequest('InvalidRequest', 'name the runId or the resourceId')
      return { status: 200, body: faults.set(target, body.faults) }
    }
    if (req.method === 'DELETE') {
      const q = new URL(req.url ?? '/', 'http://control').searchParams
      const target = targetOf({
        runId: q.get('runId') ?? undefined,
        resourceId: q.get('resourceId') ?? undefined,
      })
      return { status: 200, body: { cleared: faults.clear(target) } }
    }
    return undefined
  }
}
