// A parser for text/event-stream (WHATWG HTML §9.2.6): fed chunks, it yields complete events.
// Only what the agent uses: `id`, `event`, `data` (joined by newlines), `retry`; comments skipped.

export interface ServerSentEvent {
  id?: string
  event: string
  data: string
}

export function createSseParser(
  onEvent: (e: ServerSentEvent) => void,
  onRetry?: (ms: number) => void,
) {
  let buffer = ''
  let id: string | undefined
  // The spec's "last event ID": the id buffer as of the last blank line, set even by a block
  // that carries no data (the server's `: connected` block names the stream's start that way).
  // A block cut off before its blank line never counts.
  let lastEventId: string | undefined
  let event = ''
  let data: string[] = []

  function line(l: string): void {
    if (l === '') {
      lastEventId = id
      if (data.length > 0) onEvent({ id, event: event || 'message', data: data.join('\n') })
      event = ''
      data = []
      return
    }
    if (l.startsWith(':')) return
    const colon = l.indexOf(':')
    const field = colon < 0 ? l : l.slice(0, colon)
    let value = colon < 0 ? '' : l.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'data') data.push(value)
    else if (field === 'event') event = value
    else if (field === 'id' && !value.includes('\0')) id = value
    else if (field === 'retry' && /^\d+$/.test(value)) onRetry?.(Number(value))
  }

  return {
    push(chunk: string): void {
      buffer += chunk
      for (;;) {
        const m = /\r\n|\r|\n/.exec(buffer)
        if (!m) break
        // A lone \r at the end may be the first half of \r\n: wait for more.
        if (m[0] === '\r' && m.index === buffer.length - 1) break
        line(buffer.slice(0, m.index))
        buffer = buffer.slice(m.index + m[0].length)
      }
    },
    /** The last event ID as of the last complete block (ids persist across events). */
    get lastId(): string | undefined {
      return lastEventId
    },
  }
}
