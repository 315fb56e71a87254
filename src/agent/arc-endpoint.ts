// The proof step of an Arc listener: no Authorization header → a 401 naming a new key file
// (`WWW-Authenticate: Basic realm=<path>`, unquoted: clients split on `Basic realm=` and reject
// quotes, identity-protocols.md §5); `Authorization: Basic <file contents>` → the key is spent
// and must belong to a challenge for this very listener and query. Keys are counted per caller
// uid, so one local user cannot exhaust them for the others.
import { Unauthenticated } from '../domain/errors.js'
import { TooManyChallenges, type ArcChallenges } from './arc-challenges.js'
import { EndpointErrors } from './endpoint-errors.js'
import type { Prove } from './token-endpoint.js'

export function arcProve(challenges: ArcChallenges, listenerId: string): Prove {
  return (req, rawQuery, peer) => {
    const scope = `${listenerId}\n${rawQuery}`
    const authorization = req.headers.authorization
    if (authorization === undefined) {
      let path: string
      try {
        path = challenges.issue(scope, peer ? `uid:${peer.uid}` : 'unknown')
      } catch (e) {
        if (e instanceof TooManyChallenges) throw EndpointErrors.throttled(1)
        throw e
      }
      throw new Unauthenticated('invalid_client', 'Authenticate with the key in the realm file', {
        extra: { wwwAuthenticate: `Basic realm=${path}` },
      })
    }
    // The contents are sent as they are: no base64, no trimming (msal-node AzureArc).
    if (!authorization.startsWith('Basic ')) throw EndpointErrors.arcKeyRejected('unknown')
    const outcome = challenges.redeem(authorization.slice('Basic '.length), scope)
    if (outcome !== 'ok') throw EndpointErrors.arcKeyRejected(outcome)
  }
}
