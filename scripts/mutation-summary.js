// Prints a module's mutation report (reports/mutation/<module>.json, written by
// scripts/mutation.js) as the Markdown of docs/mutation.md: the score per file and each
// surviving or uncovered mutant with its line and replacement.
//
//   node scripts/mutation-summary.js rbac
import { readFileSync } from 'node:fs'

const DETECTED = new Set(['Killed', 'Timeout'])
const UNDETECTED = new Set(['Survived', 'NoCoverage'])

for (const name of process.argv.slice(2)) {
  const report = JSON.parse(readFileSync(`reports/mutation/${name}.json`, 'utf8'))
  let killed = 0
  let valid = 0
  const rows = []
  const survivors = []
  for (const [path, file] of Object.entries(report.files).sort()) {
    const ms = file.mutants
    const k = ms.filter((m) => DETECTED.has(m.status)).length
    const v = ms.filter((m) => DETECTED.has(m.status) || UNDETECTED.has(m.status)).length
    const ignored = ms.filter((m) => m.status === 'Ignored').length
    const invalid = ms.filter((m) => m.status === 'CompileError').length
    killed += k
    valid += v
    const score = v === 0 ? 'n/a' : `${((100 * k) / v).toFixed(1)} %`
    rows.push(`| ${path} | ${score} | ${k} / ${v} | ${invalid} | ${ignored} |`)
    for (const m of ms.filter((x) => UNDETECTED.has(x.status))) {
      const line = m.location.start.line
      const text = (m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 70)
      survivors.push(`- ${path}:${line} ${m.mutatorName} → \`${text}\` (${m.status})`)
    }
  }
  const total = valid === 0 ? 'n/a' : `${((100 * killed) / valid).toFixed(1)} %`
  console.log(`### ${name}: ${total} (${killed} of ${valid} detected)\n`)
  console.log('| file | score | killed / valid | type errors | static, skipped |')
  console.log('| --- | --- | --- | --- | --- |')
  for (const r of rows) console.log(r)
  console.log(`\nSurviving mutants (${survivors.length}):\n`)
  for (const s of survivors) console.log(s)
  console.log()
}
