// A loopback port that is free now, for a process the test starts on a port it must know in
// advance (a server restarted on the same address, a replica behind a load balancer). Another
// process may take it in between; callers use it at once.
import { createServer } from 'node:net'

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}
