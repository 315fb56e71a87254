// The `{error:{code,message,target,details,additionalInfo}}` envelope of ARM, also used by
// Keyless's own REST API (/keyless/v1) so every control-plane client parses one error shape.
import { KeylessError } from '../domain/errors.js'

export interface ErrorEnvelope {
  error: {
    code: string
    message: string
    target: string | null
    details: { code: string; message: string; target: string | null }[]
    additionalInfo: { type: string; info: unknown }[]
  }
}

export function errorEnvelope(e: KeylessError): ErrorEnvelope {
  if (!e.expose) {
    return {
      error: {
        code: 'InternalServerError',
        message: 'The server encountered an internal error. Please retry the request.',
        target: null,
        details: [],
        additionalInfo: [],
      },
    }
  }
  return {
    error: {
      code: e.code,
      message: e.message,
      target: e.target ?? null,
      details: (e.details ?? []).map((d) => ({
        code: d.code,
        message: d.message,
        target: d.target ?? null,
      })),
      additionalInfo: [],
    },
  }
}
