// The Blob errors with Azure Storage's codes, statuses and messages
// (https://learn.microsoft.com/rest/api/storageservices/blob-service-error-codes and
// .../common-rest-api-error-codes). `extra.fields` become extra XML elements after <Message>
// (HeaderName, QueryParameterName, ...), `extra.detail` the <AuthenticationErrorDetail>, and
// `extra.headers` response headers such as WWW-Authenticate. render.ts writes them as XML.
import { KeylessError } from '../../domain/errors.js'

export interface BlobErrorExtra {
  detail?: string
  fields?: Record<string, string>
  headers?: Record<string, string>
}

function blobError(status: number, code: string, message: string, extra: BlobErrorExtra = {}) {
  return new KeylessError(status, code, message, { extra: { ...extra } })
}

const AUTH_FAILED =
  'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.'
const SEE_CHALLENGE =
  'Server failed to authenticate the request. Please refer to the information in the www-authenticate header.'

export const BlobErrors = {
  noAuthentication: (challenge: string) =>
    blobError(401, 'NoAuthenticationInformation', SEE_CHALLENGE, {
      headers: { 'www-authenticate': challenge },
    }),
  invalidAuthentication: (challenge: string, detail: string) =>
    blobError(401, 'InvalidAuthenticationInfo', SEE_CHALLENGE, {
      detail,
      headers: { 'www-authenticate': challenge },
    }),
  authenticationFailed: (detail: string) =>
    blobError(403, 'AuthenticationFailed', AUTH_FAILED, { detail }),
  keyBasedAuthentication: () =>
    blobError(
      403,
      'KeyBasedAuthenticationNotPermitted',
      'Key based authentication is not permitted on this storage account.',
    ),
  permissionMismatch: () =>
    blobError(
      403,
      'AuthorizationPermissionMismatch',
      'This request is not authorized to perform this operation using this permission.',
    ),
  resourceNotFound: () =>
    blobError(404, 'ResourceNotFound', 'The specified resource does not exist.'),
  containerNotFound: () =>
    blobError(404, 'ContainerNotFound', 'The specified container does not exist.'),
  containerExists: () =>
    blobError(409, 'ContainerAlreadyExists', 'The specified container already exists.'),
  blobNotFound: () => blobError(404, 'BlobNotFound', 'The specified blob does not exist.'),
  blobExists: () => blobError(409, 'BlobAlreadyExists', 'The specified blob already exists.'),
  conditionNotMet: () =>
    blobError(
      412,
      'ConditionNotMet',
      'The condition specified using HTTP conditional header(s) is not met.',
    ),
  leaseNotPresent: (on: 'blob' | 'container') =>
    blobError(
      412,
      on === 'blob' ? 'LeaseNotPresentWithBlobOperation' : 'LeaseNotPresentWithContainerOperation',
      `There is currently no lease on the ${on}.`,
    ),
  md5Mismatch: (userSpecified: string, serverCalculated: string) =>
    blobError(
      400,
      'Md5Mismatch',
      'The MD5 value specified in the request did not match with the MD5 value calculated by the server.',
      { fields: { UserSpecifiedMd5: userSpecified, ServerCalculatedMd5: serverCalculated } },
    ),
  invalidRange: (size: number) =>
    blobError(
      416,
      'InvalidRange',
      'The range specified is invalid for the current size of the resource.',
      {
        headers: { 'content-range': `bytes */${size}` },
      },
    ),
  bodyTooLarge: (maxBytes: number) =>
    blobError(
      413,
      'RequestBodyTooLarge',
      'The request body is too large and exceeds the maximum permissible limit.',
      { fields: { MaxLimit: String(maxBytes) } },
    ),
  blobTooLarge: (maxBytes: number) =>
    blobError(
      413,
      'RequestBodyTooLarge',
      `The blob would exceed the maximum blob size of this installation (${maxBytes} bytes).`,
      { fields: { MaxLimit: String(maxBytes) } },
    ),
  invalidBlockList: () =>
    blobError(400, 'InvalidBlockList', 'The specified block list is invalid.'),
  invalidXml: () =>
    blobError(400, 'InvalidXmlDocument', 'XML specified is not syntactically valid.'),
  invalidResourceName: () =>
    // Azure's message, misspelling included.
    blobError(
      400,
      'InvalidResourceName',
      'The specifed resource name contains invalid characters.',
    ),
  invalidUri: () =>
    blobError(
      400,
      'InvalidUri',
      'The requested URI does not represent any resource on the server.',
    ),
  invalidQuery: (name: string, value: string, reason: string) =>
    blobError(
      400,
      'InvalidQueryParameterValue',
      'Value for one of the query parameters specified in the request URI is invalid.',
      { fields: { QueryParameterName: name, QueryParameterValue: value, Reason: reason } },
    ),
  queryOutOfRange: (name: string, value: string, min: number, max: number) =>
    blobError(
      400,
      'OutOfRangeQueryParameterValue',
      'One of the query parameters specified in the request URI is outside the permissible range.',
      {
        fields: {
          QueryParameterName: name,
          QueryParameterValue: value,
          MinimumAllowed: String(min),
          MaximumAllowed: String(max),
        },
      },
    ),
  unsupportedQuery: (name: string, value: string) =>
    blobError(
      400,
      'UnsupportedQueryParameter',
      'One of the query parameters specified in the request URI is not supported.',
      {
        fields: {
          QueryParameterName: name,
          QueryParameterValue: value,
          Reason: 'Keyless does not support this operation',
        },
      },
    ),
  unsupportedHeader: (name: string, value: string) =>
    blobError(
      400,
      'UnsupportedHeader',
      'One of the HTTP headers specified in the request is not supported.',
      {
        fields: {
          HeaderName: name,
          HeaderValue: value,
          Reason: 'Keyless does not support this feature',
        },
      },
    ),
  invalidHeader: (name: string, value: string) =>
    blobError(
      400,
      'InvalidHeaderValue',
      'The value for one of the HTTP headers is not in the correct format.',
      {
        fields: { HeaderName: name, HeaderValue: value },
      },
    ),
  missingHeader: (name: string) =>
    blobError(
      400,
      'MissingRequiredHeader',
      "An HTTP header that's mandatory for this request is not specified.",
      {
        fields: { HeaderName: name },
      },
    ),
  unsupportedVerb: () =>
    blobError(405, 'UnsupportedHttpVerb', "The resource doesn't support specified Http Verb."),
  invalidMetadata: () =>
    blobError(
      400,
      'InvalidMetadata',
      'The metadata specified is invalid. It has characters that are not permitted.',
    ),
  metadataTooLarge: () =>
    blobError(
      400,
      'MetadataTooLarge',
      'The size of the specified metadata exceeds the maximum size permitted.',
    ),
  publicAccessNotPermitted: () =>
    blobError(
      409,
      'PublicAccessNotPermitted',
      'Public access is not permitted on this storage account.',
    ),
  invalidInput: () => blobError(400, 'InvalidInput', 'One of the request inputs is not valid.'),
  /** Azure Storage's answer while it cannot serve: 503 ServerBusy, with the Retry-After. */
  serverBusy: (unavailable: KeylessError) =>
    blobError(
      503,
      'ServerBusy',
      'The server is currently unable to receive requests. Please retry your request.',
      { headers: (unavailable.extra?.headers as Record<string, string> | undefined) ?? {} },
    ),
  internal: () =>
    blobError(
      500,
      'InternalError',
      'Server encountered an internal error. Please try again after some time.',
    ),
}
