// The only process of the agent that lives inside a VM's network namespace (started there by
// `ip netns exec`, since a Node process cannot enter a namespace itself): it listens at
// 169.254.169.254:80 and pipes each connection, bytes untouched, to the agent's Unix socket for
// that run, where the IMDS handler answers. It prints `ready` once listening and exits when its
// stdin closes, so it never outlives the agent.
//   node netns-relay.js <unix socket> <address> <port>
import { connect, createServer } from 'node:net'

const [socketPath, address, port] = process.argv.slice(2)
if (!socketPath || !address || !port) {
  process.stderr.write('usage: netns-relay <unix socket> <address> <port>\n')
  process.exit(2)
}

const server = createServer((client) => {
  const upstream = connect(socketPath)
  client.pipe(upstream).pipe(client)
  const end = () => {
    client.destroy()
    upstream.destroy()
  }
  client.once('error', end).once('close', end)
  upstream.once('error', end).once('close', end)
})
server.once('error', (err) => {
  process.stderr.write(`${err.message}\n`)
  process.exit(1)
})
server.listen({ host: address, port: Number(port) }, () => process.stdout.write('ready\n'))
process.stdin.resume()
process.stdin.once('end', () => process.exit(0))
process.stdin.once('close', () => process.exit(0))
