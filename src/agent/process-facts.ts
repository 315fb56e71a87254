// What a local process is, for process selectors (issue 15; domain/process-selectors.ts), read
// from /proc (proc(5)): effective uid and gid (status), the executable (exe), its cgroup v2 path
// (cgroup, the `0::` line) and the systemd unit that path names (or, on a hybrid system, the
// `name=systemd` v1 path). The executable's SHA-256 is
// computed only when a selector asks for it, and once per file: cached by (device, inode, mtime,
// size) of the file /proc/<pid>/exe opens, which is the running binary even if its path was
// replaced since.
import { createHash } from 'node:crypto'
import {
  closeSync,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  statSync,
} from 'node:fs'
import { join } from 'node:path'
import type { ProcessFacts } from '../domain/process-selectors.js'
import { holds } from './peer-process.js'

export type ProcessFactsReader = ReturnType<typeof createProcessFacts>

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** The effective id of a `Uid:` or `Gid:` line (real, effective, saved, filesystem). */
function effectiveId(status: string, name: 'Uid' | 'Gid'): number | undefined {
  const line = new RegExp(`^${name}:\\s+(\\d+)\\s+(\\d+)`, 'm').exec(status)
  return line ? Number(line[2]) : undefined
}

/** The cgroup v2 path (the `0::` line; hybrid hierarchies have v1 lines besides). */
export function cgroupOf(text: string): string | undefined {
  for (const line of text.split('\n')) if (line.startsWith('0::')) return line.slice(3)
  return undefined
}

/** systemd's own v1 hierarchy (`N:name=systemd:/path`), where a hybrid system tracks units. */
export function systemdCgroupOf(text: string): string | undefined {
  return /^\d+:name=systemd:(.*)$/m.exec(text)?.[1]
}

/**
 * The systemd unit a cgroup path names: its innermost `.service` or `.scope` segment
 * (`/user.slice/user-1000.slice/user@1000.service/app.slice/a.service` is `a.service`).
 */
export function unitOf(cgroup: string | undefined): string | undefined {
  const segments = cgroup?.split('/') ?? []
  for (let i = segments.length - 1; i >= 0; i--) {
    if (/\.(service|scope)$/.test(segments[i]!)) return segments[i]
  }
  return undefined
}

export function createProcessFacts(o: { procRoot?: string } = {}) {
  const proc = o.procRoot ?? '/proc'
  const hashes = new Map<string, string>()

  function hashExe(pid: number): string | undefined {
    let fd: number
    try {
      fd = openSync(join(proc, String(pid), 'exe'), 'r')
    } catch {
      return undefined
    }
    try {
      const st = fstatSync(fd)
      const key = `${st.dev}:${st.ino}:${st.mtimeMs}:${st.size}`
      const known = hashes.get(key)
      if (known) return known
      const hash = createHash('sha256')
      const buf = Buffer.allocUnsafe(1 << 20)
      for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) hash.update(buf.subarray(0, n))
      const hex = hash.digest('hex')
      if (hashes.size >= 1024) hashes.clear()
      hashes.set(key, hex)
      return hex
    } catch {
      return undefined
    } finally {
      closeSync(fd)
    }
  }

  return {
    /** The facts of a running process, or undefined if it is gone or unreadable. */
    read(pid: number): ProcessFacts | undefined {
      const dir = join(proc, String(pid))
      const status = readText(join(dir, 'status'))
      if (!status) return undefined
      const uid = effectiveId(status, 'Uid')
      const gid = effectiveId(status, 'Gid')
      if (uid === undefined || gid === undefined) return undefined
      let exe: string | undefined
      try {
        // A deleted or replaced binary reads as `path (deleted)`: it then matches no path.
        exe = readlinkSync(join(dir, 'exe'))
      } catch {
        exe = undefined
      }
      const cgroups = readText(join(dir, 'cgroup')) ?? ''
      const cgroup = cgroupOf(cgroups)
      let sha: string | undefined | null = null
      return {
        uid,
        gid,
        exe,
        cgroup,
        unit: unitOf(cgroup) ?? unitOf(systemdCgroupOf(cgroups)),
        sha256: () => (sha === null ? (sha = hashExe(pid)) : sha),
      }
    },
    /**
     * The processes that hold socket `inode`: first among those running as `uid` (the socket's
     * creator, usually its only holder), else among all. One scan of /proc per connection.
     */
    holdersOf(inode: number, uid: number): number[] {
      let pids: number[]
      try {
        pids = readdirSync(proc)
          .filter((n) => /^\d+$/.test(n))
          .map(Number)
      } catch {
        return []
      }
      const ownerOf = (pid: number) => {
        try {
          return statSync(join(proc, String(pid))).uid
        } catch {
          return -1
        }
      }
      const own = new Set(pids.filter((pid) => ownerOf(pid) === uid))
      const found = [...own].filter((pid) => holds(proc, pid, inode))
      if (found.length) return found
      return pids.filter((pid) => !own.has(pid) && holds(proc, pid, inode))
    },
  }
}
