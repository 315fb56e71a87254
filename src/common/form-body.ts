// application/x-www-form-urlencoded bodies, keeping every value of a repeated name so that
// handlers can reject duplicates (RFC 6749 §3.2: parameters must not be included more than once).
import type { FastifyInstance } from 'fastify'

export type FormBody = Record<string, string[]>

export function parseForm(text: string): FormBody {
  const out: FormBody = Object.create(null)
  for (const [k, v] of new URLSearchParams(text)) (out[k] ??= []).push(v)
  return out
}

/** Registers the form parser in an (encapsulated) Fastify instance. */
export function acceptForms(app: FastifyInstance, bodyLimit: number): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit },
    (_req, body, done) => done(null, parseForm(body as string)),
  )
}
