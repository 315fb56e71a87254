// A Blob service for tests: a real SQLite store and real files in a temporary directory, a fake
// token verifier (the token is its claims, base64url) and fake access decisions from a table,
// and raw HTTPS requests that send exactly what a test means to.
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { TokenRejected } from '../../common/access-token.js'
import { LOCAL_NAMES, createCertificateAuthority, issueCertificate } from '../../common/pki.js'
import { openSqliteStore } from '../../store/sqlite.js'
import type { Store } from '../../store/store.js'
import { createBlobService, type BlobService } from './index.js'
import { deriveKeyHierarchy } from '../../common/key-hierarchy.js'

/** The service's keys (a fixed master key), for tests that read content files themselves. */
export const TEST_KEYS = deriveKeyHierarchy(new Uint8Array(32))
export const TENANT = '11111111-2222-3333-4444-555555555555'
const GROUP = '/subscriptions/s1/resourceGroups/rg1'
export const ACCOUNT = `${GROUP}/providers/Microsoft.Storage/storageAccounts/acct1`
const SB = 'Microsoft.Storage/storageAccounts/blobServices/containers'

export interface Res {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  text: string
}

export const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('base64')
export const token = (oid: string, aud = 'https://storage.azure.com') =>
  Buffer.from(JSON.stringify({ oid, tid: TENANT, aud })).toString('base64url')
export const code = (res: Res) => [res.status, res.headers['x-ms-error-code']]

/** Principal → the actions it is granted (both planes). */
const GRANTS = new Map<string, Set<string>>([
  [
    'writer',
    new Set([
      `${SB}/read`,
      `${SB}/write`,
      `${SB}/delete`,
      `${SB}/blobs/read`,
      `${SB}/blobs/write`,
      `${SB}/blobs/delete`,
    ]),
  ],
  ['adder', new Set([`${SB}/blobs/add/action`, `${SB}/blobs/read`])],
])
const decide = (principalId: string, action: string) => ({
  allowed: GRANTS.get(principalId)?.has(action) ?? false,
  reason: 'test',
})

async function seed(store: Store) {
  await store.tenants.create({ id: TENANT, display_name: 't', created_at: 1 })
  await store.subscriptions.create({
    id: 's1',
    tenant_id: TENANT,
    display_name: 's',
    state: 'Enabled',
    created_at: 1,
  })
  await store.resourceGroups.create({
    key: GROUP.toLowerCase(),
    id: GROUP,
    subscription_id: 's1',
    name: 'rg1',
    location: 'eastus',
    tags: '{}',
    managed_by: null,
    created_at: 1,
    updated_at: 1,
  })
  await store.resources.create({
    key: ACCOUNT.toLowerCase(),
    id: ACCOUNT,
    subscription_id: 's1',
    group_key: GROUP.toLowerCase(),
    parent_key: null,
    type: 'Microsoft.Storage/storageAccounts',
    type_key: 'microsoft.storage/storageaccounts',
    name: 'acct1',
    kind: 'StorageV2',
    location: 'eastus',
    tags: '{}',
    properties: '{}',
    host_id: null,
    created_at: 1,
    updated_at: 1,
  })
}

export interface TestService {
  dir: string
  store: Store
  service: BlobService
  ca: string
  send(
    method: string,
    path: string,
    o?: { headers?: Record<string, string>; body?: Buffer | string | Readable; as?: string },
  ): Promise<Res>
  /** Put Blob of a block blob. */
  put(path: string, body: string | Buffer, headers?: Record<string, string>): Promise<Res>
  /** Content files on disk. */
  dataFiles(): string[]
  close(): Promise<void>
}

export async function startTestService(maxBlobBytes: number): Promise<TestService> {
  const dir = mkdtempSync(join(tmpdir(), 'keyless-blob-'))
  const store = await openSqliteStore(join(dir, 'keyless.db'))
  await seed(store)
  const authority = await createCertificateAuthority('Blob Test CA', {
    now: Date.now(),
    validityDays: 1,
    permitted: LOCAL_NAMES,
  })
  const leaf = await issueCertificate(authority, {
    commonName: 'Blob test server',
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
    now: Date.now(),
    validityDays: 1,
  })
  const service = createBlobService({
    verifyToken: async (raw, audiences) => {
      const claims = JSON.parse(Buffer.from(raw, 'base64url').toString())
      if (!audiences.includes(claims.aud)) throw new TokenRejected('audience', 'wrong audience')
      return claims
    },
    authorize: decide,
    authorizeAction: decide,
    revocationOf: async () => undefined,
    directory: undefined as never,
    store,
    clock: { now: () => Date.now() },
    tenantId: TENANT,
    authority: () => 'https://login.keyless.test',
    dataDir: dir,
    keys: TEST_KEYS,
    tls: { certPem: leaf.certPem, keyPem: leaf.keyPem as string },
    maxBlobBytes,
    logLevel: 'silent',
  })
  await service.start()
  const ca = authority.certPem
  const send: TestService['send'] = (method, path, o = {}) =>
    new Promise((resolve, reject) => {
      const req = request(
        `${service.endpoint}/acct1${path}`,
        {
          method,
          ca,
          agent: false,
          headers: {
            'x-ms-version': '2026-04-06',
            authorization: `Bearer ${token(o.as ?? 'writer')}`,
            ...o.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const body = Buffer.concat(chunks)
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body,
              text: body.toString(),
            })
          })
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      if (o.body instanceof Readable) o.body.pipe(req)
      else req.end(o.body)
    })
  return {
    dir,
    store,
    service,
    ca,
    send,
    put: (path, body, headers = {}) =>
      send('PUT', path, { body, headers: { 'x-ms-blob-type': 'BlockBlob', ...headers } }),
    dataFiles: () =>
      readdirSync(join(dir, 'blobs', 'data')).flatMap((d) =>
        readdirSync(join(dir, 'blobs', 'data', d)),
      ),
    async close() {
      await service.stop()
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
