// Who is on the other end of a loopback TCP connection (Linux): the connecting socket's row in
// /proc/net/tcp{,6} gives its owner's uid and inode; the inode, found among /proc/<pid>/fd,
// gives the processes holding it. Looked up once per connection: keep-alive requests reuse it.
// Reusable beyond run binding (issue 15: per-process selectors).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import type { Socket } from 'node:net'
import { endianness } from 'node:os'
import { join } from 'node:path'
import { findSocketRow, procForms } from './proc-net.js'

export interface Peer {
  /** Owner of the connecting socket (the uid that created it). */
  uid: number
  /** Its inode: the key to the processes holding it. */
  inode: number
}

export interface ProcessStart {
  pid: number
  /** Field 22 of /proc/<pid>/stat: tells a process from a later one with the same pid. */
  startTime: string
}

export type PeerLookup = ReturnType<typeof createPeerLookup>

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** pid, ppid and start time from /proc/<pid>/stat (the name in parentheses may hold spaces). */
function readStat(proc: string, pid: number): { ppid: number; startTime: string } | undefined {
  const text = readText(join(proc, String(pid), 'stat'))
  if (!text) return undefined
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // After the name: state(3) ppid(4) … starttime(22), so index = field - 3.
  return { ppid: Number(f[1]), startTime: f[19]! }
}

export function createPeerLookup(o: { procRoot?: string } = {}) {
  const proc = o.procRoot ?? '/proc'
  const littleEndian = endianness() === 'LE'
  const isSupported = readText(join(proc, 'net', 'tcp')) !== undefined
  const cache = new WeakMap<Socket, Peer | null>()

  function lookup(socket: Socket): Peer | undefined {
    const { remoteAddress, remotePort, localAddress, localPort } = socket
    if (!remoteAddress || !remotePort || !localAddress || !localPort) return undefined
    // The client's row: its local side is our remote side.
    const client = procForms(remoteAddress, remotePort, littleEndian)
    const server = procForms(localAddress, localPort, littleEndian)
    for (const table of ['tcp', 'tcp6'] as const) {
      const [local, remote] = [client[table], server[table]]
      if (!local || !remote) continue
      const text = readText(join(proc, 'net', table))
      const row = text && findSocketRow(text, local, remote)
      // inode 0: a socket no process holds any more (closing, time-wait).
      if (row && row.inode !== 0) return { uid: row.uid, inode: row.inode }
    }
    return undefined
  }

  return {
    /** Whether this system has the tables (Linux); elsewhere callers cannot be told apart. */
    isSupported,
    /** The peer of a connection accepted by this process, cached for the connection's life. */
    of(socket: Socket): Peer | undefined {
      const hit = cache.get(socket)
      if (hit !== undefined) return hit ?? undefined
      const peer = lookup(socket)
      cache.set(socket, peer ?? null)
      return peer
    },
    /** Processes holding the socket `inode` (only those whose /proc/<pid>/fd this user may read). */
    holders(inode: number): number[] {
      const target = `socket:[${inode}]`
      const out: number[] = []
      for (const name of readdirSync(proc)) {
        if (!/^\d+$/.test(name)) continue
        let fds: string[]
        try {
          fds = readdirSync(join(proc, name, 'fd'))
        } catch {
          continue
        }
        for (const fd of fds) {
          try {
            if (readlinkSync(join(proc, name, 'fd', fd)) === target) {
              out.push(Number(name))
              break
            }
          } catch {
            // closed meanwhile
          }
        }
      }
      return out
    },
    /** The start of a running process, to bind to it and its descendants. */
    processStart(pid: number): ProcessStart | undefined {
      const stat = readStat(proc, pid)
      return stat && { pid, startTime: stat.startTime }
    },
    /** Whether `pid` is `root` (the very process that started then) or one of its descendants. */
    isInTree(pid: number, root: ProcessStart): boolean {
      for (let p = pid, hops = 0; p > 0 && hops < 4096; hops++) {
        const stat = readStat(proc, p)
        if (!stat) return false
        if (p === root.pid) return stat.startTime === root.startTime
        p = stat.ppid
      }
      return false
    },
  }
}
