// The shared App Service listener speaks both of App Service's protocols on one path, as App
// Service does (it gives MSI_ENDPOINT/MSI_SECRET the values of IDENTITY_ENDPOINT/IDENTITY_HEADER):
// 2019-08-01 with X-IDENTITY-HEADER, and the legacy 2017-09-01 with `secret` that older SDKs and
// az 2.45 (msrestazure `get_msi_token_webapp`) use. The api-version picks the protocol.
import type { RequestListener } from 'node:http'
import type { IdentityHeaders } from './identity-headers.js'
import { PROTOCOLS } from './identity-request.js'
import {
  APPSERVICE_TOKEN_PATH,
  createTokenHandler,
  type TokenEndpointDeps,
} from './token-endpoint.js'

export const LEGACY_API_VERSION = '2017-09-01'

/** Whether a request asks for the 2017-09-01 protocol (duplicates are refused by its reader). */
export function isLegacyRequest(url: string): boolean {
  const q = url.indexOf('?')
  if (q < 0 || !url.includes(LEGACY_API_VERSION, q)) return false
  return new URLSearchParams(url.slice(q + 1)).getAll('api-version').includes(LEGACY_API_VERSION)
}

export function createAppServiceHandler(
  deps: TokenEndpointDeps,
  headers: Pick<IdentityHeaders, 'authenticate' | 'authenticateSecret'>,
): RequestListener {
  const path = APPSERVICE_TOKEN_PATH
  const current = createTokenHandler(deps, PROTOCOLS.appservice, path, headers.authenticate)
  const legacy = createTokenHandler(
    deps,
    PROTOCOLS.appservice2017,
    path,
    headers.authenticateSecret,
  )
  return (req, res) => (isLegacyRequest(req.url ?? '') ? legacy : current)(req, res)
}
