// Who is on the other end of a loopback TCP connection (Linux): the connecting socket's row in
// /proc/net/tcp{,6} gives its owner's uid and inode; the inode, found among /proc/<pid>/fd of a
// process tree, tells whether that tree holds it. Looked up once per connection: keep-alive requests reuse it.
// Reusable beyond run binding (issue 15: per-process selectors).
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { readdir, readFile, readlink, stat } from 'node:fs/promises'
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

/** The processes of `root`'s tree: it and its descendants (/proc/<pid>/task/<tid>/children). */
function treeOf(proc: string, root: number): number[] {
  const out: number[] = []
  const queue = [root]
  while (queue.length && out.length < 4096) {
    const pid = queue.shift()!
    out.push(pid)
    let tasks: string[]
    try {
      tasks = readdirSync(join(proc, String(pid), 'task'))
    } catch {
      continue
    }
    for (const tid of tasks) {
      const children = readText(join(proc, String(pid), 'task', tid, 'children')) ?? ''
      for (const c of children.split(' ')) if (/^\d+$/.test(c)) queue.push(Number(c))
    }
  }
  return out
}

/** Whether process `pid` has the socket `inode` open. */
export function holds(proc: string, pid: number, inode: number): boolean {
  const target = `socket:[${inode}]`
  let fds: string[]
  try {
    fds = readdirSync(join(proc, String(pid), 'fd'))
  } catch {
    return false
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(join(proc, String(pid), 'fd', fd)) === target) return true
    } catch {
      // closed meanwhile
    }
  }
  return false
}

interface Waiting {
  socket: Socket
  resolve: (peer: Peer | null) => void
}

export function createPeerLookup(o: { procRoot?: string } = {}) {
  const proc = o.procRoot ?? '/proc'
  const littleEndian = endianness() === 'LE'
  const isSupported = existsSync(join(proc, 'net', 'tcp'))
  const cache = new WeakMap<Socket, Peer | null | Promise<Peer | null>>()
  // Reading a table walks the kernel's whole socket hash (milliseconds, whatever the number of
  // sockets), so it is read asynchronously and one read answers every connection waiting for it.
  let waiting: Waiting[] = []
  let reading = false

  function rowOf(socket: Socket, table: 'tcp' | 'tcp6', text: string): Peer | undefined {
    const { remoteAddress, remotePort, localAddress, localPort } = socket
    if (!remoteAddress || !remotePort || !localAddress || !localPort) return undefined
    // The client's row: its local side is our remote side.
    const local = procForms(remoteAddress, remotePort, littleEndian)[table]
    const remote = procForms(localAddress, localPort, littleEndian)[table]
    const row = local && remote ? findSocketRow(text, local, remote) : undefined
    // inode 0: a socket no process holds any more (closing, time-wait).
    return row && row.inode !== 0 ? { uid: row.uid, inode: row.inode } : undefined
  }

  async function readRound(): Promise<void> {
    const batch = waiting
    waiting = []
    let rest = batch
    for (const table of ['tcp', 'tcp6'] as const) {
      if (!rest.length) break
      const text = await readFile(join(proc, 'net', table), 'utf8').catch(() => '')
      const next: Waiting[] = []
      for (const w of rest) {
        const peer = rowOf(w.socket, table, text)
        if (peer) w.resolve(peer)
        else next.push(w)
      }
      rest = next
    }
    for (const w of rest) w.resolve(null)
  }

  async function drain(): Promise<void> {
    if (reading) return
    reading = true
    try {
      while (waiting.length) await readRound()
    } finally {
      reading = false
    }
  }

  return {
    /** Whether this system has the tables (Linux); elsewhere callers cannot be told apart. */
    isSupported,
    /**
     * The peer of a connection accepted by this process (null: none found), cached for the
     * connection's life: the value itself once known, else a promise of it.
     */
    of(socket: Socket): Peer | null | Promise<Peer | null> {
      const hit = cache.get(socket)
      if (hit !== undefined) return hit
      const promise = new Promise<Peer | null>((resolve) => {
        waiting.push({ socket, resolve })
      }).then((peer) => {
        cache.set(socket, peer)
        return peer
      })
      cache.set(socket, promise)
      void drain()
      return promise
    },
    /**
     * A process that holds the socket `inode` (owned by `uid`) and its executable, searched
     * among every process of that uid: for the record of a request (sign-in-recorder.ts),
     * asynchronously and once per connection. Undefined when none is found (it exited).
     */
    async holderOf(inode: number, uid: number): Promise<{ pid: number; exe?: string } | undefined> {
      const pids = (await readdir(proc).catch(() => [] as string[])).filter((d) => /^\d+$/.test(d))
      for (const d of pids) {
        const pid = Number(d)
        const owner = await stat(join(proc, d)).catch(() => undefined)
        if (owner?.uid !== uid || !holds(proc, pid, inode)) continue
        const exe = await readlink(join(proc, d, 'exe')).catch(() => undefined)
        return exe === undefined ? { pid } : { pid, exe }
      }
      return undefined
    },
    /** The start of a running process, to bind to it and its descendants. */
    processStart(pid: number): ProcessStart | undefined {
      const stat = readStat(proc, pid)
      return stat && { pid, startTime: stat.startTime }
    },
    /**
     * Whether a process of `root`'s tree (the very process that started then, or one of its
     * descendants) holds the socket `inode`. Only the tree is searched, not every process.
     */
    isHeldInTree(inode: number, root: ProcessStart): boolean {
      if (readStat(proc, root.pid)?.startTime !== root.startTime) return false
      return treeOf(proc, root.pid).some((pid) => holds(proc, pid, inode))
    },
  }
}
