import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import { BadRequest, NotFound } from '../domain/errors.js'
import { renderArmError } from './envelope.js'
import { acceptJson } from './json-body.js'

async function app() {
  const logged: unknown[] = []
  const a = Fastify({ bodyLimit: 100 })
  a.addHook('onRequest', async (req) => {
    req.log.error = ((o: unknown) => logged.push(o)) as never
  })
  acceptJson(a)
  a.setErrorHandler(renderArmError)
  a.put('/echo', async (req) => ({ got: req.body ?? null }))
  a.get('/bad', async () => {
    throw new BadRequest('InvalidThing', 'the thing is invalid', {
      target: 'thing',
      details: [{ code: 'Inner', message: 'why' }],
    })
  })
  a.get('/missing', async () => {
    throw new NotFound('ResourceNotFound', 'gone')
  })
  a.get('/crash', async () => {
    throw new Error('secret detail: connection string xyz')
  })
  await a.ready()
  return { a, logged }
}

describe('the ARM error envelope', () => {
  it('renders a KeylessError with code, message, target, details and additionalInfo', async () => {
    const { a } = await app()
    const res = await a.inject({ method: 'GET', url: '/bad' })
    assert.equal(res.statusCode, 400)
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8')
    assert.deepEqual(res.json(), {
      error: {
        code: 'InvalidThing',
        message: 'the thing is invalid',
        target: 'thing',
        details: [{ code: 'Inner', message: 'why', target: null }],
        additionalInfo: [],
      },
    })
    const nf = await a.inject({ method: 'GET', url: '/missing' })
    assert.equal(nf.statusCode, 404)
    assert.equal(nf.json().error.target, null)
  })

  it('hides the internals of an unexpected error and logs it once', async () => {
    const { a, logged } = await app()
    const res = await a.inject({ method: 'GET', url: '/crash' })
    assert.equal(res.statusCode, 500)
    assert.equal(res.json().error.code, 'InternalServerError')
    assert.doesNotMatch(res.body, /secret|xyz/)
    assert.equal(logged.length, 1)
  })

  const bodies: [string, string | undefined, string, number, string][] = [
    ['bad JSON', 'application/json', '{"a":', 400, 'InvalidRequestContent'],
    ['a __proto__ key', 'application/json', '{"__proto__":{"x":1}}', 400, 'InvalidRequestContent'],
    ['a text body', 'text/plain', 'hello', 415, 'UnsupportedMediaType'],
    [
      'a body over the limit',
      'application/json',
      `{"a":"${'x'.repeat(200)}"}`,
      413,
      'RequestContentTooLarge',
    ],
  ]
  for (const [name, contentType, payload, status, code] of bodies) {
    it(`answers ${status} ${code} to ${name}`, async () => {
      const { a } = await app()
      const res = await a.inject({
        method: 'PUT',
        url: '/echo',
        payload,
        headers: contentType ? { 'content-type': contentType } : {},
      })
      assert.equal(res.statusCode, status, res.body)
      assert.equal(res.json().error.code, code)
    })
  }

  it('reads an empty JSON body as no body, and text/json as JSON', async () => {
    const { a } = await app()
    const empty = await a.inject({
      method: 'PUT',
      url: '/echo',
      payload: '',
      headers: { 'content-type': 'application/json' },
    })
    assert.deepEqual(empty.json(), { got: null })
    const text = await a.inject({
      method: 'PUT',
      url: '/echo',
      payload: '{"a":1}',
      headers: { 'content-type': 'text/json; charset=utf-8' },
    })
    assert.deepEqual(text.json(), { got: { a: 1 } })
  })
})
