import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SESSION_COOKIE, clearedSessionCookie, readCookie, sessionCookie } from './portal.js'

describe('portal session cookie', () => {
  it('is a __Host- cookie: Secure, Path=/, no Domain, HttpOnly and SameSite=Strict', () => {
    const c = sessionCookie('abc', 28_800.9)
    assert.equal(
      c,
      `${SESSION_COOKIE}=abc; Path=/; Max-Age=28800; HttpOnly; Secure; SameSite=Strict`,
    )
    assert.ok(SESSION_COOKIE.startsWith('__Host-'))
    assert.match(clearedSessionCookie(), /=; Path=\/; Max-Age=0;/)
  })

  it('reads one cookie out of a Cookie header, exactly by name', () => {
    const header = `a=1; ${SESSION_COOKIE}x=no; ${SESSION_COOKIE}=yes ; b=2`
    assert.equal(readCookie(header, SESSION_COOKIE), 'yes')
    assert.equal(readCookie('a=1', SESSION_COOKIE), undefined)
    assert.equal(readCookie(undefined, SESSION_COOKIE), undefined)
    assert.equal(readCookie('garbage', SESSION_COOKIE), undefined)
  })
})
