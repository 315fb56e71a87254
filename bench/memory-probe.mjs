// Preloaded into the soak's `keyless up` (node --import): appends the process's memory every
// few seconds to $KEYLESS_SOAK_PROBE as JSON lines, so the soak reads the server's heap without
// an inspector. Its timer is unref'd: it never keeps the process alive.
import { appendFileSync, readdirSync } from 'node:fs'
import { setInterval } from 'node:timers'

const file = process.env.KEYLESS_SOAK_PROBE
const everyMs = Number(process.env.KEYLESS_SOAK_PROBE_MS ?? 5000)
if (file) {
  setInterval(() => {
    const m = process.memoryUsage()
    const fds = readdirSync('/proc/self/fd').length
    appendFileSync(
      file,
      JSON.stringify({ t: Date.now(), rss: m.rss, heap: m.heapUsed, fds }) + '\n',
    )
  }, everyMs).unref()
}
