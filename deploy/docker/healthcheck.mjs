// The image's HEALTHCHECK: GET /readyz on this container's own listener, the probe Kubernetes
// uses too (deploy/k8s/server.yaml). The server's certificate is the installation's own CA's,
// which this process does not hold: the check sends nothing secret and trusts no answer beyond
// its status, so it does not verify the certificate. Exit 0 when ready, 1 otherwise.
import https from 'node:https'

const port = Number(process.env.KEYLESS_PORT || 8443)
const req = https.get(
  { host: '127.0.0.1', port, path: '/readyz', rejectUnauthorized: false, timeout: 2000 },
  (res) => {
    res.resume()
    process.exit(res.statusCode === 200 ? 0 : 1)
  },
)
req.on('timeout', () => req.destroy())
req.on('error', () => process.exit(1))
