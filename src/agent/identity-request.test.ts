import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { KeylessError } from '../domain/errors.js'
import { checkHeaders, PROTOCOLS, readIdentityQuery } from './identity-request.js'

const UAI =
  '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u1'
const GUID = '0d8a6a5e-8b4c-4a39-9df1-7a4f1f5c2b10'
const ARM = encodeURIComponent('https://management.azure.com/')

const refusal = (status: number, code: string, message?: string | RegExp) => (e: KeylessError) => {
  assert.equal(e.status, status)
  assert.equal(e.code, code)
  if (typeof message === 'string') assert.equal(e.message, message)
  else if (message) assert.match(e.message, message)
  return true
}

describe('identity request validation', () => {
  const queries: {
    name: string
    protocol: keyof typeof PROTOCOLS
    query: string
    status?: number
    code?: string
    message?: string | RegExp
    expect?: object
  }[] = [
    {
      name: 'accepts api-version, resource and no selector',
      protocol: 'imds',
      query: `api-version=2018-02-01&resource=${ARM}`,
      expect: { apiVersion: '2018-02-01', resource: 'https://management.azure.com/' },
    },
    {
      name: 'accepts newer IMDS api-versions',
      protocol: 'imds',
      query: `api-version=2025-04-07&resource=${ARM}`,
      expect: { apiVersion: '2025-04-07', resource: 'https://management.azure.com/' },
    },
    {
      name: 'refuses IMDS api-versions before 2018-02-01',
      protocol: 'imds',
      query: `api-version=2017-12-01&resource=${ARM}`,
      status: 400,
      code: 'invalid_request',
      message: /api-version '2017-12-01'/,
    },
    {
      name: 'refuses a missing api-version',
      protocol: 'imds',
      query: `resource=${ARM}`,
      status: 400,
      code: 'invalid_request',
      message: /api-version/,
    },
    {
      name: 'refuses a malformed api-version',
      protocol: 'arc',
      query: `api-version=latest&resource=${ARM}`,
      status: 400,
      code: 'invalid_request',
    },
    {
      name: 'accepts both Arc api-versions',
      protocol: 'arc',
      query: `api-version=2019-11-01&resource=${ARM}`,
      expect: { apiVersion: '2019-11-01', resource: 'https://management.azure.com/' },
    },
    {
      name: 'refuses App Service api-version 2017-09-01 (the secret-header protocol)',
      protocol: 'appservice',
      query: `api-version=2017-09-01&resource=${ARM}`,
      status: 400,
      code: 'invalid_request',
    },
    {
      name: 'refuses a duplicate query name',
      protocol: 'imds',
      query: `api-version=2018-02-01&resource=${ARM}&resource=${ARM}`,
      status: 400,
      code: 'invalid_request',
      message: "Query parameter 'resource' is given more than once",
    },
    {
      name: 'refuses a missing resource',
      protocol: 'imds',
      query: 'api-version=2018-02-01',
      status: 400,
      code: 'invalid_request',
      message: /resource/,
    },
    {
      name: 'refuses a resource that is not a URI or app id',
      protocol: 'imds',
      query: 'api-version=2018-02-01&resource=not%20a%20uri',
      status: 400,
      code: 'invalid_resource',
      message: /AADSTS500011/,
    },
    {
      name: 'keeps the resource exactly as sent, trailing slash and case included',
      protocol: 'imds',
      query: `api-version=2018-02-01&resource=${encodeURIComponent('HTTPS://Vault.Azure.NET')}`,
      expect: { apiVersion: '2018-02-01', resource: 'HTTPS://Vault.Azure.NET' },
    },
    {
      name: 'reads an IMDS client_id selector as sent',
      protocol: 'imds',
      query: `api-version=2018-02-01&resource=${ARM}&client_id=${GUID.toUpperCase()}`,
      expect: {
        apiVersion: '2018-02-01',
        resource: 'https://management.azure.com/',
        selector: { kind: 'clientId', value: GUID.toUpperCase() },
        selectorParam: 'client_id',
      },
    },
    {
      name: 'reads msi_res_id and mi_res_id on IMDS',
      protocol: 'imds',
      query: `api-version=2018-02-01&resource=${ARM}&mi_res_id=${encodeURIComponent(UAI)}`,
      expect: {
        apiVersion: '2018-02-01',
        resource: 'https://management.azure.com/',
        selector: { kind: 'resourceId', value: UAI },
        selectorParam: 'mi_res_id',
      },
    },
    {
      name: 'reads principal_id as the object id on App Service',
      protocol: 'appservice',
      query: `api-version=2019-08-01&resource=${ARM}&principal_id=${GUID}`,
      expect: {
        apiVersion: '2019-08-01',
        resource: 'https://management.azure.com/',
        selector: { kind: 'objectId', value: GUID },
        selectorParam: 'principal_id',
      },
    },
    {
      name: 'ignores principal_id on IMDS, which does not define it',
      protocol: 'imds',
      query: `api-version=2018-02-01&resource=${ARM}&principal_id=${GUID}`,
      expect: { apiVersion: '2018-02-01', resource: 'https://management.azure.com/' },
    },
    {
      name: 'refuses two selectors',
      protocol: 'imds',
      query: `api-version=2018-02-01&resource=${ARM}&client_id=${GUID}&object_id=${GUID}`,
      status: 400,
      code: 'invalid_request',
      message: /Only one of client_id, object_id, msi_res_id, mi_res_id/,
    },
    {
      name: 'answers a malformed client id with Identity not found',
      protocol: 'imds',
      query: `api-version=2018-02-01&resource=${ARM}&client_id=nope`,
      status: 400,
      code: 'invalid_request',
      message: 'Identity not found',
    },
    {
      name: 'answers a resource id that names no resource with Identity not found',
      protocol: 'appservice',
      query: `api-version=2019-08-01&resource=${ARM}&mi_res_id=%2Fsubscriptions%2Fs1`,
      status: 400,
      code: 'invalid_request',
      message: 'Identity not found',
    },
  ]
  for (const c of queries) {
    it(c.name, () => {
      const run = () => readIdentityQuery(c.query, PROTOCOLS[c.protocol])
      if (c.expect) assert.deepEqual(run(), c.expect)
      else assert.throws(run, refusal(c.status!, c.code!, c.message))
    })
  }

  it('refuses a request without exactly Metadata: true on IMDS and Arc, not on App Service', () => {
    const missing = refusal(400, 'invalid_request', 'Required metadata header not specified')
    for (const value of [undefined, '', 'false', 'True', 'TRUE', '1', 'true, true', ' true']) {
      const headers = value === undefined ? {} : { metadata: value }
      assert.throws(() => checkHeaders(headers, PROTOCOLS.imds), missing)
      assert.throws(() => checkHeaders(headers, PROTOCOLS.arc), missing)
    }
    checkHeaders({ metadata: 'true' }, PROTOCOLS.imds)
    checkHeaders({ metadata: 'true' }, PROTOCOLS.arc)
    checkHeaders({}, PROTOCOLS.appservice)
  })
})
