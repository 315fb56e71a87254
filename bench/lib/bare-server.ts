// A bare node:http server answering each path with a fixed JSON body of a given size: the
// baseline for Keyless's identity endpoints. Writes its port to a file once listening.
//
//   node dist/bench/lib/bare-server.js '{"/path": bodyBytes, …}' <portFile>
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

const sizes = JSON.parse(process.argv[2] ?? '{}') as Record<string, number>
const portFile = process.argv[3]!
const bodies = new Map(
  Object.entries(sizes).map(([path, size]) => {
    const filler = 'x'.repeat(Math.max(0, size - '{"access_token":""}'.length))
    return [path, JSON.stringify({ access_token: filler })]
  }),
)
const server = createServer((req, res) => {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  const body = bodies.get(q < 0 ? url : url.slice(0, q)) ?? '{}'
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(body)
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  writeFileSync(portFile, String((server.address() as AddressInfo).port))
})
process.once('SIGTERM', () => process.exit(0))
