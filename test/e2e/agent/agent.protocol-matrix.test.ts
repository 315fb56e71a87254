// The protocol matrix: every stock client gets a token over every protocol it supports, for the
// system-assigned identity and a user-assigned one where the client and protocol allow it.
// msal-node's ManagedIdentityApplication, @azure/identity's ManagedIdentityCredential and
// DefaultAzureCredential, Debian's Python azure-identity and az 2.45 (`az login --identity`,
// then `az account get-access-token`). Everything runs in a network namespace with loopback
// only (unshare -n), Keyless included, so that az reaches nothing else; az's IMDS rows run in a
// VM's namespace made inside it (169.254.169.254 by the agent, ARM relayed in, removed after); the driver
// (agent.protocol-matrix.driver.ts) runs the rows and this file checks each token against the
// installation's JWKS. App Service 2017 is App Service's pair of MSI_ variables alone: Node and
// Python clients read it as Azure ML's, az (msrestazure) as App Service's.
import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { ROOT } from '../../helpers/keyless.js'
import { mirid } from './agent.config.js'
import {
  AZ_RESOURCE,
  MATRIX_RESOURCE,
  type Row,
  type RowResult,
} from './agent.protocol-matrix.driver.js'

const DRIVER = join(ROOT, 'dist/test/e2e/agent/agent.protocol-matrix.driver.js')
const skip =
  process.getuid?.() !== 0
    ? 'needs root for unshare -n'
    : !existsSync('/usr/bin/unshare')
      ? 'needs unshare (util-linux)'
      : false

type Client = Row['client']
type Protocol = Row['protocol']

/** Which identities each client gets over each protocol; absent: the client does not speak it. */
const SUPPORT: Record<Client, Partial<Record<Protocol, Row['identity'][]>>> = {
  msal: {
    imds: ['system', 'user'],
    appservice: ['system', 'user'],
    appservice2017: ['system', 'user'],
    arc: ['system', 'user'],
    servicefabric: ['system', 'user'],
  },
  // @azure/identity refuses a user-assigned id under Service Fabric itself.
  mic: {
    imds: ['system', 'user'],
    appservice: ['system', 'user'],
    appservice2017: ['system', 'user'],
    arc: ['system', 'user'],
    servicefabric: ['system'],
  },
  dac: {
    imds: ['system', 'user'],
    appservice: ['system', 'user'],
    appservice2017: ['system', 'user'],
    arc: ['system', 'user'],
    servicefabric: ['system'],
  },
  // azure-identity 1.13 refuses a user-assigned id under Arc itself.
  python: {
    imds: ['system', 'user'],
    appservice: ['system', 'user'],
    appservice2017: ['system', 'user'],
    arc: ['system'],
    servicefabric: ['system', 'user'],
  },
  // az 2.45 reads MSI_ENDPOINT/MSI_SECRET (with APPSETTING_WEBSITE_SITE_NAME) or goes to
  // 169.254.169.254: IMDS here is the VM's network namespace (keyless runs add --netns).
  az: { imds: ['system', 'user'], appservice2017: ['system', 'user'] },
}

const ROWS: Row[] = Object.entries(SUPPORT).flatMap(([client, protocols]) =>
  Object.entries(protocols).flatMap(([protocol, identities]) =>
    identities.map((identity) => ({ client, protocol, identity }) as Row),
  ),
)

interface Outcome {
  issuer: string
  jwks: { keys: object[] }
  vm: { id: string; principalId: string }
  uami: { id: string; principalId: string; clientId: string }
  subscriptionId: string
  results: RowResult[]
}

function runDriver(): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      '/usr/bin/unshare',
      [
        '-n',
        'sh',
        '-c',
        'ip link set lo up && exec "$0" "$1" "$2"',
        process.execPath,
        DRIVER,
        JSON.stringify(ROWS),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (err += c.toString()))
    child.once('error', reject)
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`the matrix driver exited ${code}:\n${err}`))
      resolve(JSON.parse(out.trim().split('\n').pop()!) as Outcome)
    })
  })
}

describe('protocol matrix: stock clients × identity protocols', { skip }, () => {
  let outcome: Outcome
  before(async () => {
    outcome = await runDriver()
  })

  it('ran every row of the table', () => {
    assert.deepEqual(
      outcome.results.map(({ client, protocol, identity }) => ({ client, protocol, identity })),
      ROWS,
    )
  })

  for (const row of ROWS) {
    it(`${row.client} over ${row.protocol} gets a valid ${row.identity}-assigned token`, async () => {
      const r = outcome.results.find(
        (x) =>
          x.client === row.client && x.protocol === row.protocol && x.identity === row.identity,
      )!
      assert.ok(r.token, r.error)
      const { payload } = await jwtVerify(r.token!, createLocalJWKSet(outcome.jwks as never), {
        issuer: outcome.issuer,
        audience: row.client === 'az' ? AZ_RESOURCE : MATRIX_RESOURCE,
      })
      const who = row.identity === 'user' ? outcome.uami : outcome.vm
      assert.equal(payload.oid, who.principalId)
      assert.equal(payload.xms_mirid, mirid(who.id))
      if (row.client === 'az') assert.deepEqual(r.subscriptions, [outcome.subscriptionId])
    })
  }
})
