// The page's only way to the server: its session (cookie) buys short bearer tokens, and every
// read and write goes to ARM or /keyless/v1 with one, as the CLI's do. RBAC decides there.
const CSRF_HEADER = 'x-keyless-csrf'

/** The api-version each provider's SDK sends by default. */
const API_VERSIONS = {
  'microsoft.managedidentity': '2024-11-30',
  'microsoft.compute': '2024-07-01',
  'microsoft.web': '2024-04-01',
  'microsoft.keyvault': '2023-07-01',
  'microsoft.storage': '2023-05-01',
  'microsoft.authorization': '2022-04-01',
  'keyless.compute': '2024-01-01',
  'microsoft.resources': '2025-04-01',
}

export function apiVersionFor(path) {
  const providers = [...path.matchAll(/\/providers\/([^/?]+)/gi)]
  const ns = providers.length ? providers[providers.length - 1][1].toLowerCase() : ''
  return API_VERSIONS[ns] ?? API_VERSIONS['microsoft.resources']
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message)
    this.status = status
    this.code = code
  }
}

async function readJson(res) {
  const text = await res.text()
  if (!text) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return { error: { code: String(res.status), message: text.slice(0, 200) } }
  }
}

async function check(res) {
  const body = await readJson(res)
  if (!res.ok) {
    const e = body?.error ?? {}
    throw new ApiError(res.status, e.code ?? String(res.status), e.message ?? res.statusText)
  }
  return body
}

let session
let token
let tokenExpiresOn = 0

/** The session, signing in first when the address carries a link's code (#sign-in=…). */
export async function startSession() {
  const code = new URLSearchParams(location.hash.slice(1)).get('sign-in')
  if (code) {
    history.replaceState(null, '', location.pathname)
    const res = await fetch('/portal/api/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    })
    session = await check(res)
    return session
  }
  session = await check(await fetch('/portal/api/session'))
  return session
}

export async function signOut() {
  await fetch('/portal/api/sign-out', {
    method: 'POST',
    headers: { [CSRF_HEADER]: session.csrfToken },
  })
  session = undefined
  token = undefined
}

let pending

/** The session's bearer token, renewed a minute before it expires; requests made while one is
 * being fetched share it. */
function bearer() {
  if (token && tokenExpiresOn - Date.now() / 1000 > 60) return Promise.resolve(token)
  pending ??= fetch('/portal/api/token', {
    method: 'POST',
    headers: { [CSRF_HEADER]: session.csrfToken },
  })
    .then(check)
    .then((t) => {
      token = t.accessToken
      tokenExpiresOn = t.expiresOn
      return token
    })
    .finally(() => (pending = undefined))
  return pending
}

/** One request with the session's bearer token; ARM paths get their api-version. */
export async function call(method, path, body) {
  const url = new URL(path, location.origin)
  if (url.pathname.startsWith('/subscriptions') || url.pathname.startsWith('/providers')) {
    if (!url.searchParams.has('api-version')) {
      url.searchParams.set('api-version', apiVersionFor(url.pathname))
    }
  }
  const headers = { authorization: `Bearer ${await bearer()}` }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return check(res)
}

/** GET a collection and every page after it. */
export async function list(path) {
  const out = []
  let next = path
  while (next) {
    const page = await call('GET', next)
    out.push(...(page?.value ?? []))
    next = page?.nextLink
  }
  return out
}

/** Follows the change stream (server-sent events over fetch, which can send the bearer
 * token); calls `onEvent` per event, reconnecting after a break from where it stopped. */
export function followChanges(onEvent, onState) {
  let stopped = false
  let after
  const controller = new AbortController()
  async function run() {
    while (!stopped) {
      try {
        const q = after === undefined ? '' : `?after=${after}`
        const res = await fetch(`/keyless/v1/events${q}`, {
          headers: { authorization: `Bearer ${await bearer()}` },
          signal: controller.signal,
        })
        if (!res.ok) throw new ApiError(res.status, String(res.status), 'change stream refused')
        onState('live')
        const reader = res.body.getReader()
        const decoder = new TextDecoder()
        let buffer = ''
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          buffer += decoder.decode(value, { stream: true })
          let end
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            const fields = {}
            for (const line of frame.split('\n')) {
              const colon = line.indexOf(':')
              if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trim()
            }
            if (fields.id !== undefined) after = Number(fields.id)
            if (fields.event) onEvent({ kind: fields.event, seq: after, data: fields.data })
          }
        }
      } catch (err) {
        if (stopped) return
        onState(err?.status === 403 ? 'refused' : 'reconnecting')
        if (err?.status === 403) return
      }
      await new Promise((r) => setTimeout(r, 2000))
    }
  }
  void run()
  return () => {
    stopped = true
    controller.abort()
  }
}
