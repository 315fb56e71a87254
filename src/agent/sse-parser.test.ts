import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createSseParser, type ServerSentEvent } from './sse-parser.js'

function parse(chunks: string[]) {
  const events: ServerSentEvent[] = []
  const retries: number[] = []
  const p = createSseParser(
    (e) => events.push(e),
    (ms) => retries.push(ms),
  )
  for (const c of chunks) p.push(c)
  return { events, retries, lastId: p.lastId }
}

describe('server-sent events parser', () => {
  it('reads id, event and data of each event', () => {
    const { events, lastId } = parse([
      'id: 1\nevent: identity.detached\ndata: {"subject":"a"}\n\n',
      'id: 2\nevent: host.revoked\ndata: {"subject":"h"}\n\n',
    ])
    assert.deepEqual(events, [
      { id: '1', event: 'identity.detached', data: '{"subject":"a"}' },
      { id: '2', event: 'host.revoked', data: '{"subject":"h"}' },
    ])
    assert.equal(lastId, '2')
  })

  it('joins events split across chunks anywhere, CRLF included', () => {
    const text = 'id: 7\r\nevent: principal.deleted\r\ndata: {"subject":"x"}\r\n\r\n'
    for (let cut = 1; cut < text.length; cut++) {
      const { events } = parse([text.slice(0, cut), text.slice(cut)])
      assert.deepEqual(
        events,
        [{ id: '7', event: 'principal.deleted', data: '{"subject":"x"}' }],
        `cut at ${cut}`,
      )
    }
  })

  it('skips comments and joins multi-line data', () => {
    const { events } = parse([': keep-alive\n\ndata: a\ndata: b\n\n'])
    assert.deepEqual(events, [{ id: undefined, event: 'message', data: 'a\nb' }])
  })

  it('reports the retry field', () => {
    assert.deepEqual(parse(['retry: 1500\n\n']).retries, [1500])
  })

  it('keeps the last id when an event has none', () => {
    const { events } = parse(['id: 3\ndata: a\n\ndata: b\n\n'])
    assert.equal(events[1]!.id, '3')
  })

  it('takes the id of a block without data, but not of a block cut off before its blank line', () => {
    // The server opens each stream with `: connected` and the position it starts from.
    assert.equal(parse([': connected\nid: 41\n\n']).lastId, '41')
    const cut = parse([': connected\nid: 41\n\n', 'id: 42\nevent: x\ndata: {}'])
    assert.deepEqual(cut.events, [])
    assert.equal(cut.lastId, '41')
  })
})
