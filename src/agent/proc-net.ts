// Reading Linux's socket tables (/proc/net/tcp, /proc/net/tcp6; proc(5)): pure functions from the
// text to rows, and the encoding of an address as the kernel prints it, so that the peer of a
// loopback connection can be found by its address and port.
import { isIPv4, isIPv6 } from 'node:net'

export interface SocketRow {
  /** `ADDR:PORT` in the kernel's hex form. */
  local: string
  remote: string
  uid: number
  inode: number
}

function ipv4Bytes(ip: string): number[] {
  return ip.split('.').map(Number)
}

/** The 16 bytes of an IPv6 address (with `::` and a trailing dotted IPv4 part). */
export function ipv6Bytes(ip: string): number[] {
  const address = ip.split('%')[0]!
  let tail: number[] = []
  let text = address
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address)
  if (dotted) {
    tail = ipv4Bytes(dotted[1]!)
    text = address.slice(0, -dotted[1]!.length) + '0:0'
  }
  const [head, rest] = text.split('::') as [string, string | undefined]
  const words = (s: string) => (s === '' ? [] : s.split(':').map((w) => parseInt(w, 16)))
  const front = words(head)
  const back = rest === undefined ? [] : words(rest)
  const zeros = new Array<number>(8 - front.length - back.length).fill(0)
  const all = [...front, ...zeros, ...back]
  const bytes = all.flatMap((w) => [w >> 8, w & 0xff])
  if (tail.length) bytes.splice(12, 4, ...tail)
  return bytes
}

const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0')

/**
 * The kernel prints each 32-bit word of the address in host byte order (`%08X`), and the port in
 * network order.
 */
export function encodeProcAddress(bytes: number[], port: number, littleEndian: boolean): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 4) {
    const word = bytes.slice(i, i + 4)
    if (littleEndian) word.reverse()
    out += word.map((b) => hex(b, 2)).join('')
  }
  return `${out}:${hex(port, 4)}`
}

/** How `ip:port` appears in tcp (IPv4) and tcp6 (IPv6, and IPv4 as `::ffff:a.b.c.d`). */
export function procForms(ip: string, port: number, littleEndian: boolean) {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1]
  const v4 = mapped ?? (isIPv4(ip) ? ip : undefined)
  if (v4) {
    return {
      tcp: encodeProcAddress(ipv4Bytes(v4), port, littleEndian),
      tcp6: encodeProcAddress(
        [...new Array(10).fill(0), 255, 255, ...ipv4Bytes(v4)],
        port,
        littleEndian,
      ),
    }
  }
  if (!isIPv6(ip)) return {}
  return { tcp6: encodeProcAddress(ipv6Bytes(ip), port, littleEndian) }
}

/** The row whose local and remote addresses are exactly these, if any. */
export function findSocketRow(text: string, local: string, remote: string): SocketRow | undefined {
  for (const line of text.split('\n')) {
    // sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode …
    const f = line.trim().split(/\s+/)
    if (f.length < 10 || f[1] !== local || f[2] !== remote) continue
    return { local, remote, uid: Number(f[7]), inode: Number(f[9]) }
  }
  return undefined
}
