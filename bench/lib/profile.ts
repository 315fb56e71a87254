// `--profile`: Keyless processes started by the benchmark run under `node --cpu-prof`, and their
// profiles are summarized here: self time by function and by area (a folder of src/, or a
// package of node_modules/, or Node's internals), heaviest first.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

function area(url: string): string {
  if (!url) return '(native, GC, idle)'
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (nm) return nm[1]!
  const src = /dist\/src\/([^/]+)/.exec(url)
  if (src) return `src/${src[1]}`
  if (url.startsWith('node:')) return 'node internals'
  return url.replace(/^file:\/\//, '')
}

export interface ProfileSummary {
  file: string
  totalMs: number
  byArea: { area: string; ms: number; share: number }[]
  byFunction: { fn: string; ms: number; share: number }[]
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000)
  }
  const areas = new Map<string, number>()
  const fns = new Map<string, number>()
  let total = 0
  for (const [id, ms] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame
    if (functionName === '(idle)' || functionName === '(program)') continue
    total += ms
    const a = area(url)
    areas.set(a, (areas.get(a) ?? 0) + ms)
    const where = url.startsWith('node:') ? url : a
    const name =
      `${functionName || '(anonymous)'} ${url ? `${where}:${lineNumber + 1}` : ''}`.trim()
    fns.set(name, (fns.get(name) ?? 0) + ms)
  }
  const sorted = <K extends string>(m: Map<string, number>, key: K) =>
    [...m]
      .sort((x, y) => y[1] - x[1])
      .slice(0, top)
      .map(
        ([k, ms]) =>
          ({ [key]: k, ms, share: ms / total }) as Record<K, string> & {
            ms: number
            share: number
          },
      )
  return { file, totalMs: total, byArea: sorted(areas, 'area'), byFunction: sorted(fns, 'fn') }
}

export function summarizeProfiles(dir: string): ProfileSummary[] {
  let files: string[]
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))
  } catch {
    return []
  }
  return files.map((f) => summarizeProfile(join(dir, f)))
}

export function profileMarkdown(s: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`
  const lines = [`### ${s.file.split('/').pop()} (${(s.totalMs / 1000).toFixed(1)} s busy)`, '']
  lines.push('| area | self time | share |', '|---|---:|---:|')
  for (const a of s.byArea) lines.push(`| ${a.area} | ${a.ms.toFixed(0)} ms | ${pct(a.share)} |`)
  lines.push('', '| function | self time | share |', '|---|---:|---:|')
  for (const f of s.byFunction) lines.push(`| ${f.fn} | ${f.ms.toFixed(0)} ms | ${pct(f.share)} |`)
  return lines.join('\n') + '\n'
}
