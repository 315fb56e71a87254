// The ARM errors the control plane raises itself, with Azure's codes and, where Azure's wording
// is known, its messages (reference/arm-rbac-dataplane.md §2). Directory and domain errors
// already carry their codes; envelope.ts renders both the same way.
import { BadRequest, KeylessError, NotFound, type KeylessErrorOptions } from '../domain/errors.js'

export const ArmErrors = {
  missingApiVersion: () =>
    new BadRequest(
      'MissingApiVersionParameter',
      'The api-version query parameter (?api-version=) is required for all requests.',
    ),
  invalidApiVersion: (value: string, supported: readonly string[], minimum: string) =>
    new BadRequest(
      'InvalidApiVersionParameter',
      `The api-version '${value}' is invalid. The supported versions are '${supported.join(',')}'. Any version dated ${minimum} or later is accepted.`,
    ),
  invalidNamespace: (namespace: string) =>
    new BadRequest('InvalidResourceNamespace', `The resource namespace '${namespace}' is invalid.`),
  // ARM answers 404 for a type its provider does not have (Azure/acs-engine#4037,
  // JulianHayward/Azure-MG-Sub-Governance-Reporting#297).
  invalidResourceType: (namespace: string, type: string, apiVersion: string) =>
    new NotFound(
      'InvalidResourceType',
      `The resource type '${type}' could not be found in the namespace '${namespace}' for api version '${apiVersion}'.`,
    ),
  invalidContent: (message: string, options?: KeylessErrorOptions) =>
    new BadRequest('InvalidRequestContent', message, options),
  unsupportedMediaType: (contentType: string) =>
    new KeylessError(
      415,
      'UnsupportedMediaType',
      `The content media type '${contentType}' is not supported. Only 'application/json' is supported.`,
    ),
  // ARM's code for an oversized body (Azure/azure-api-management-devops-resource-kit#594).
  contentTooLarge: (limitBytes: number) =>
    new KeylessError(
      413,
      'RequestContentTooLarge',
      `The request content size exceeds the maximum size of ${limitBytes} bytes.`,
    ),
  methodNotAllowed: (method: string) =>
    new KeylessError(
      405,
      'MethodNotAllowed',
      `The requested resource does not support http method '${method}'.`,
    ),
  noRoute: (path: string) => new NotFound('NotFound', `no operation is served at '${path}'`),
  invalidQuery: (name: string, value: string, rule: string) =>
    new BadRequest(
      'InvalidQueryParameterValue',
      `the value '${value}' of query parameter '${name}' is invalid: ${rule}`,
      { target: name },
    ),
  resourceGroupNotFound: (name: string) =>
    new NotFound('ResourceGroupNotFound', `Resource group '${name}' could not be found.`),
  operationNotFound: () => new NotFound('OperationNotFound', 'the operation could not be found'),
}
