// One GET of an external issuer's discovery document or JWKS, held to what a document from the
// internet deserves: https only, no redirects, a 200 with a JSON body, the whole response within
// a time limit and a size limit, and only public addresses unless the issuer is trusted at a
// private one (domain/issuer-address.ts). The address check runs in the connection's own DNS
// lookup, so the address checked is the address connected to (no DNS-rebinding window).
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns'
import { request } from 'node:https'
import { isIP } from 'node:net'
import { rootCertificates } from 'node:tls'
import { isPublicAddress } from '../domain/issuer-address.js'

export interface IssuerFetchOptions {
  /** CAs trusted besides the system's: the installation's own (for local test issuers). */
  extraCaPems: readonly string[]
  timeoutMs: number
  maxBytes: number
}

/** Why a fetch failed, in words a user can act on; never carries the response body. */
export class IssuerFetchError extends Error {}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void

function checkedLookup(allowPrivate: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, [])
      const refused = addresses.find((a) => !isPublicAddress(a.address))
      if (refused && !allowPrivate) {
        const e = new IssuerFetchError(
          `'${hostname}' resolves to the non-public address ${refused.address}`,
        )
        return callback(e as NodeJS.ErrnoException, [])
      }
      if (options.all) return callback(null, addresses)
      const first = addresses[0]!
      return callback(null, first.address, first.family)
    })
  }
}

export function createIssuerFetch(o: IssuerFetchOptions) {
  const ca = [...rootCertificates, ...o.extraCaPems]

  /** The JSON document at `url`; `allowPrivate` lets it be at a non-public address. */
  return function fetchJson(url: string, allowPrivate: boolean): Promise<unknown> {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      return Promise.reject(new IssuerFetchError(`'${url}' is not a URL`))
    }
    if (parsed.protocol !== 'https:') {
      return Promise.reject(new IssuerFetchError(`'${url}' is not an https URL`))
    }
    // Node connects to an IP literal without a lookup, so the literal is checked here.
    const literal = parsed.hostname.replace(/^\[|\]$/g, '')
    if (isIP(literal) && !allowPrivate && !isPublicAddress(literal)) {
      return Promise.reject(
        new IssuerFetchError(`'${url}' names the non-public address ${literal}`),
      )
    }
    return new Promise((resolve, reject) => {
      const req = request(
        parsed,
        {
          method: 'GET',
          ca,
          headers: { accept: 'application/json' },
          lookup: checkedLookup(allowPrivate) as never,
          agent: false,
        },
        (res) => {
          if (res.statusCode !== 200) {
            req.destroy(new IssuerFetchError(`'${url}' answered HTTP ${res.statusCode}`))
            return
          }
          const declared = Number(res.headers['content-length'] ?? 0)
          const tooLarge = () =>
            new IssuerFetchError(`'${url}' answered more than ${o.maxBytes} bytes`)
          if (declared > o.maxBytes) {
            req.destroy(tooLarge())
            return
          }
          const chunks: Buffer[] = []
          let size = 0
          res.on('data', (c: Buffer) => {
            size += c.length
            if (size > o.maxBytes) req.destroy(tooLarge())
            else chunks.push(c)
          })
          res.on('end', () => {
            clearTimeout(timer)
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
            } catch {
              reject(new IssuerFetchError(`'${url}' did not answer JSON`))
            }
          })
          res.on('error', () => undefined)
        },
      )
      // A deadline for the whole exchange, not an idle timeout: a server that trickles bytes
      // must not hold a token request open.
      const timer = setTimeout(
        () => req.destroy(new IssuerFetchError(`'${url}' did not answer within ${o.timeoutMs} ms`)),
        o.timeoutMs,
      )
      req.on('error', (err) => {
        clearTimeout(timer)
        reject(
          err instanceof IssuerFetchError
            ? err
            : new IssuerFetchError(`'${url}' could not be fetched: ${err.message}`),
        )
      })
      req.end()
    })
  }
}

export type IssuerFetch = ReturnType<typeof createIssuerFetch>
