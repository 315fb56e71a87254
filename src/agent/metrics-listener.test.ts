import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { parseListenAddress } from './metrics-listener.js'

describe('the --metrics-listen address', () => {
  const good: [string, { host: string; port: number }][] = [
    ['127.0.0.1:9464', { host: '127.0.0.1', port: 9464 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
    ['[::1]:9464', { host: '::1', port: 9464 }],
    ['node-1.internal:80', { host: 'node-1.internal', port: 80 }],
  ]
  for (const [value, expected] of good) {
    it(`reads ${value}`, () => assert.deepEqual(parseListenAddress(value), expected))
  }
  for (const value of ['9464', '127.0.0.1', '127.0.0.1:65536', '::1:9464', ':9464', 'a:b']) {
    it(`refuses ${JSON.stringify(value)}, naming it`, () =>
      assert.throws(() => parseListenAddress(value), {
        name: 'TypeError',
        message: `metrics address ${JSON.stringify(value)} must be host:port`,
      }))
  }
})
