// Core pinning: the server under test gets core 0, the load generator (and this process) core 1,
// so that neither steals the other's time. Without taskset, or on one core, nothing is pinned
// and the report says so.
import { execFileSync } from 'node:child_process'
import { availableParallelism } from 'node:os'

export const SERVER_CORE = 0
export const LOAD_CORE = 1

let available: boolean | undefined

/** Whether processes can be pinned (taskset present and at least two cores). */
export function canPin(): boolean {
  if (available === undefined) {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' })
      available = availableParallelism() >= 2
    } catch {
      available = false
    }
  }
  return available
}

/** The command line that runs `command args` on one core (unchanged when pinning is unavailable). */
export function pinned(core: number, command: string, args: string[]): [string, string[]] {
  if (!canPin()) return [command, args]
  return ['taskset', ['-c', String(core), command, ...args]]
}

/** Pins this process, all of its threads, to one core. */
export function pinSelf(core: number): boolean {
  if (!canPin()) return false
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(core), String(process.pid)], {
      stdio: 'ignore',
    })
    return true
  } catch {
    return false
  }
}
