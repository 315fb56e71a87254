// ARM bodies are JSON and nothing else (anything else is 415 `UnsupportedMediaType`). An empty
// body is no body: SDKs send `content-type: application/json` on some DELETEs and GETs. Parsing
// is Fastify's own, which refuses `__proto__` and `constructor.prototype` keys.
import type { FastifyInstance } from 'fastify'
import { invalidJson } from './envelope.js'

export function acceptJson(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error')
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(
    ['application/json', 'text/json'],
    { parseAs: 'string' },
    (request, body, done) => {
      if (body === '') return done(null, undefined)
      parse(request, body as string, (err, value) =>
        err ? done(invalidJson(), undefined) : done(null, value),
      )
    },
  )
}
