// Rotating the CA of a `keyless up` installation (issue 19 §4), with real processes: `keyless
// up`, a `keyless agent` as on another host, and `keyless ca rotate|retire` while the server is
// stopped. The agent moves over by itself (it fetches the bundle, trusts it, renews its host
// certificate under the new CA) and goes on serving tokens; retirement is refused while a host
// still holds an old certificate; after it, the old CA is refused from the attacker's side —
// a host certificate minted with its key, over an assertion and over TLS.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { Agent } from 'node:https'
import { join } from 'node:path'
import { call } from '../../../src/agent/test-http.js'
import { issueCertificate, splitCertificates, type PemPair } from '../../../src/common/pki.js'
import { CA_PATH } from '../../../src/common/agent-protocol.js'
import { rotatedCaSet } from '../../../src/server/ca-set.js'
import { tlsNames } from '../../../src/server/tls-material.js'
import { startKeyless, tempDataDir, type KeylessProcess } from '../../helpers/keyless.js'
import { form, https } from '../../helpers/https.js'
import { operatorToken } from '../../helpers/tokens.js'
import {
  assertion,
  enroll,
  identityToken,
  newKeyPair,
  type TestHost,
} from '../hosts/hosts.config.js'
import {
  eventually,
  keyless,
  management,
  removeDir,
  startAgentProcess,
  TOKEN_PATH,
  VAULT,
  type AgentProcess,
} from '../agent/agent.config.js'
import { freePort } from '../../helpers/free-port.js'

const subjects = (pem: string) => splitCertificates(pem).map((c) => new X509Certificate(c).subject)
const issuerOf = (pem: string) => new X509Certificate(pem).issuer

describe('CA rotation of keyless up, end to end', () => {
  let port: number
  let k: KeylessProcess
  let agent: AgentProcess
  let stale: TestHost
  let oldCa: PemPair
  let vm: string
  let imds: string

  const token = (resource: string) =>
    call(`${imds}${TOKEN_PATH}?api-version=2018-02-01&resource=${encodeURIComponent(resource)}`, {
      headers: { Metadata: 'true' },
    })
  const start = (dataDir?: string) =>
    startKeyless({ ...(dataDir && { dataDir }), args: ['--port', String(port)] })
  const agentFile = (name: string) => readFileSync(join(agent.stateDir, name), 'utf8')
  const hosts = async () => {
    const api = management(k, await operatorToken(k))
    return (await api.call('GET', '/keyless/v1/hosts')).json().value as {
      id: string
      certificateIssuer?: string
    }[]
  }
  const caOf = async (host: TestHost) =>
    https(`${k.endpoints.authorityHost}${CA_PATH}`, {
      headers: {
        authorization: `Bearer ${await assertion(host, `${k.endpoints.authorityHost}${CA_PATH}`)}`,
      },
      ca: k.ca,
    })

  before(async () => {
    port = await freePort()
    k = await start()
    // What an attacker who once read the CA key holds.
    oldCa = {
      certPem: readFileSync(join(k.dataDir, 'ca.crt'), 'utf8'),
      keyPem: readFileSync(join(k.dataDir, 'ca.key'), 'utf8'),
    }
    const api = management(k, await operatorToken(k))
    agent = await startAgentProcess(k, {
      joinToken: await api.joinToken(),
      args: ['--ca-check-interval', '1'],
    })
    // A host whose agent never moves over (switched off during the rotation).
    stale = await enroll(k, await api.joinToken())
    const rg = await api.createGroup('ca-rg')
    vm = (await api.putVm(rg, 'vm1', { hostId: agent.hostId, system: true })).id
    const created = await call('http://agent/runs', {
      method: 'POST',
      socketPath: agent.controlSocket,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceId: vm, protocol: 'imds' }),
    })
    imds = created.json().env.AZURE_POD_IDENTITY_AUTHORITY_HOST
    assert.equal((await token(VAULT)).status, 200)
  })
  after(async () => {
    await agent?.stop()
    if (agent) removeDir(agent.stateDir)
    await k?.dispose()
  })

  it('rotates while stopped: the new CA is published first in ca.crt, the old one beside it', async () => {
    const dataDir = k.dataDir
    const refused = await keyless(['ca', 'rotate', '--data-dir', dataDir])
    assert.equal(refused.code, 1, 'refused while keyless up runs')
    assert.match(refused.stderr, /stop it before changing its CA/)
    await k.stop()
    const rotated = await keyless(['ca', 'rotate', '--data-dir', dataDir])
    assert.equal(rotated.code, 0, rotated.stderr)
    assert.deepEqual(subjects(readFileSync(join(dataDir, 'ca.crt'), 'utf8')), [
      'CN=Keyless Test CA 2',
      'CN=Keyless Test CA',
    ])
    const again = await keyless(['ca', 'rotate', '--data-dir', dataDir])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /a rotation is in progress/)
    k = await start(dataDir)
  })

  it('moves the agent over: it trusts the bundle, renews under the new CA, serves tokens', async (t) => {
    // The server still serves a TLS certificate of the old CA: clients that have not fetched
    // the bundle yet connect.
    assert.equal(issuerOf(readFileSync(join(k.dataDir, 'tls.crt'), 'utf8')), 'CN=Keyless Test CA')
    const took = await eventually(
      30_000,
      () => issuerOf(agentFile('host.crt')) === 'CN=Keyless Test CA 2',
      100,
    )
    t.diagnostic(`agent renewed under the new CA ${took} ms after the restart`)
    assert.deepEqual(subjects(agentFile('ca.crt')), ['CN=Keyless Test CA 2', 'CN=Keyless Test CA'])
    assert.ok(agentFile('ca-bundle.pem').includes(k.ca.trim()), 'runs get the bundle too')
    const res = await token('https://storage.azure.com/')
    assert.equal(res.status, 200, res.text)
    // A host that has not moved over keeps working until retirement.
    assert.equal((await caOf(stale)).status, 200)
    // The agent inside keyless up moves over at its start.
    await eventually(
      30_000,
      async () => {
        const list = await hosts()
        return list
          .filter((h) => h.id !== stale.hostId)
          .every((h) => h.certificateIssuer === 'CN=Keyless Test CA 2')
      },
      200,
    )
  })

  it('refuses to retire while an active host holds an old-CA certificate, naming it; --force retires', async () => {
    await k.stop()
    const refused = await keyless(['ca', 'retire', '--data-dir', k.dataDir])
    assert.equal(refused.code, 1, refused.stdout)
    assert.match(refused.stderr, new RegExp(stale.hostId))
    assert.doesNotMatch(refused.stderr, new RegExp(agent.hostId))
    assert.equal(subjects(readFileSync(join(k.dataDir, 'ca.crt'), 'utf8')).length, 2, 'unchanged')
    const forced = await keyless(['ca', 'retire', '--data-dir', k.dataDir, '--force'])
    assert.equal(forced.code, 0, forced.stderr)
    assert.match(forced.stderr, new RegExp(`${stale.hostId}.*cut off`))
    assert.deepEqual(subjects(readFileSync(join(k.dataDir, 'ca.crt'), 'utf8')), [
      'CN=Keyless Test CA 2',
    ])
    k = await start(k.dataDir)
  })

  it('after retirement: new TLS certificate, the agent still serves, its bundle drops the old CA', async () => {
    assert.equal(issuerOf(readFileSync(join(k.dataDir, 'tls.crt'), 'utf8')), 'CN=Keyless Test CA 2')
    await eventually(
      30_000,
      async () => (await token('https://management.azure.com/')).status === 200,
      100,
    )
    await eventually(30_000, () => subjects(agentFile('ca.crt')).length === 1, 100)
    assert.deepEqual(subjects(agentFile('ca.crt')), ['CN=Keyless Test CA 2'])
    // A program started under `keyless run` now trusts the new CA and reaches the server with
    // Node's default trust (NODE_EXTRA_CA_CERTS), as a workload calling Key Vault would.
    const probe = [
      "const fs = require('fs')",
      'const env = process.env',
      "require('https').get(process.argv[1], (r) => { r.resume(); console.log(JSON.stringify({",
      "  status: r.statusCode, ca: fs.readFileSync(env.NODE_EXTRA_CA_CERTS, 'utf8'),",
      '  same: env.SSL_CERT_FILE === env.REQUESTS_CA_BUNDLE,',
      "  bundle: fs.readFileSync(env.SSL_CERT_FILE, 'utf8') })) })",
    ].join('\n')
    const ran = await keyless(
      [
        'run',
        '--as',
        vm,
        '--state-dir',
        agent.stateDir,
        '--',
        process.execPath,
        '-e',
        probe,
        k.endpoints.jwksUri,
      ],
      { NODE_EXTRA_CA_CERTS: '' },
    )
    assert.equal(ran.code, 0, ran.stderr)
    const seen = JSON.parse(ran.stdout)
    assert.equal(seen.status, 200)
    assert.deepEqual(subjects(seen.ca), ['CN=Keyless Test CA 2'])
    assert.ok(seen.same && seen.bundle.includes(seen.ca.trim()))
  })

  it('refuses the old CA from the attacker’s side', async () => {
    // The bundle is for hosts only.
    const anonymous = await https(`${k.endpoints.authorityHost}${CA_PATH}`, { ca: k.ca })
    assert.equal(anonymous.status, 401)
    assert.equal(anonymous.json().error.code, 'AuthenticationFailed')
    // The stale host's own certificate, from the retired CA.
    assert.equal((await caOf(stale)).status, 401)
    const stolen = await identityToken(k, stale, vm)
    assert.equal(stolen.status, 401, stolen.text)
    assert.equal(stolen.json().error, 'invalid_client')
    // A host certificate for the agent's host minted with the retired CA's key.
    const keys = newKeyPair()
    const minted = await issueCertificate(oldCa, {
      commonName: agent.hostId,
      usage: 'client',
      publicKeyPem: keys.publicKeyPem,
      now: Date.now(),
      validityDays: 1,
    })
    const forged: TestHost = {
      ...stale,
      hostId: agent.hostId,
      certificate: minted.certPem,
      ...keys,
    }
    const overAssertion = await identityToken(k, forged, vm)
    assert.equal(overAssertion.status, 401, overAssertion.text)
    assert.equal(overAssertion.json().error, 'invalid_client')
    const tls = new Agent({
      ca: k.ca,
      cert: minted.certPem,
      key: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    })
    try {
      const overTls = await https(stale.tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({
          grant_type: 'client_credentials',
          client_id: agent.hostId,
          scope: `${VAULT}/.default`,
          xms_az_rid: vm,
        }),
        agent: tls,
      })
      assert.equal(overTls.status, 401, overTls.text)
      assert.deepEqual(overTls.json().error_codes, [700027])
    } finally {
      tls.destroy()
    }
    // And a client that trusts only the retired CA no longer accepts the server.
    await assert.rejects(https(k.endpoints.jwksUri, { ca: oldCa.certPem }))
  })
})

describe('an interrupted CA rotation', () => {
  it('is finished by the next keyless up: the new CA is active, the old one still trusted', async () => {
    let k = await startKeyless({ dataDir: tempDataDir() })
    try {
      await k.stop()
      const cas = {
        active: {
          certPem: readFileSync(join(k.dataDir, 'ca.crt'), 'utf8'),
          keyPem: readFileSync(join(k.dataDir, 'ca.key'), 'utf8'),
        },
      }
      // What `keyless ca rotate` writes first, and nothing after it: the crash.
      const next = await rotatedCaSet(cas, Date.now(), tlsNames('127.0.0.1'))
      writeFileSync(join(k.dataDir, 'ca.key.next'), next.active.keyPem + next.active.certPem, {
        mode: 0o600,
      })
      k = await startKeyless({ dataDir: k.dataDir })
      assert.deepEqual(subjects(k.ca), ['CN=Keyless Test CA 2', 'CN=Keyless Test CA'])
      assert.equal(
        readFileSync(join(k.dataDir, 'ca.key'), 'utf8').trim(),
        next.active.keyPem.trim(),
      )
      const res = await https(k.endpoints.jwksUri, { ca: k.ca })
      assert.equal(res.status, 200)
    } finally {
      await k.dispose()
    }
  })
})
