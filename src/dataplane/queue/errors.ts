// The Queue service's own errors (https://learn.microsoft.com/rest/api/storageservices/queue-service-error-codes).
// The ones every storage service shares (authentication, AuthorizationPermissionMismatch, query
// parameters, XML, metadata) are the Blob service's: one table, rendered by blob/render.ts.
import { KeylessError } from '../../domain/errors.js'
import { BlobErrors } from '../blob/errors.js'

const queueError = (
  status: number,
  code: string,
  message: string,
  fields?: Record<string, string>,
) => new KeylessError(status, code, message, { extra: fields ? { fields } : {} })

export const QueueErrors = {
  ...BlobErrors,
  queueNotFound: () => queueError(404, 'QueueNotFound', 'The specified queue does not exist.'),
  queueExists: () => queueError(409, 'QueueAlreadyExists', 'The specified queue already exists.'),
  messageNotFound: () =>
    queueError(404, 'MessageNotFound', 'The specified message does not exist.'),
  popReceiptMismatch: () =>
    queueError(
      400,
      'PopReceiptMismatch',
      'The specified pop receipt did not match the pop receipt for a dequeued message.',
    ),
  missingQuery: (name: string) =>
    queueError(
      400,
      'MissingRequiredQueryParameter',
      "A query parameter that's mandatory for this request is not specified.",
      { QueryParameterName: name },
    ),
  messageTooLarge: (maxBytes: number) =>
    queueError(
      413,
      'RequestBodyTooLarge',
      'The request body is too large and exceeds the maximum permissible limit.',
      { MaxLimit: String(maxBytes) },
    ),
}
