// Every process the benchmark starts is tracked here and killed when the benchmark exits, however
// it exits (end of run, error, watchdog, Ctrl-C), so nothing outlives it.
import type { ChildProcess } from 'node:child_process'

const live = new Set<ChildProcess>()

export function track<T extends ChildProcess>(child: T): T {
  live.add(child)
  child.once('exit', () => live.delete(child))
  return child
}

function killAll() {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
}

process.once('exit', killAll)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll()
    process.exit(130)
  })
}
