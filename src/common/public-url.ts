// The server's public base URL is known only once it listens (port 0 picks a free port), yet the
// issuer and every link the APIs return depend on it. Plugins receive this holder at build time
// and read it at request time, when it is always set.
export interface PublicUrl {
  (): string
  set(url: string): void
}

export function latePublicUrl(): PublicUrl {
  let value: string | undefined
  const get = (() => {
    if (value === undefined) throw new Error('public URL read before the server listens')
    return value
  }) as PublicUrl
  get.set = (url: string) => {
    value = url.replace(/\/+$/, '')
  }
  return get
}

/** The host to put in a URL for a listener bound to `host`: loopback for a wildcard bind,
 * brackets for IPv6. */
export function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}
