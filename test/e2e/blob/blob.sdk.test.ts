// The real @azure/storage-blob clients with ManagedIdentityCredential, in a child process started
// by `keyless run --as <vm>`: every container and blob operation succeeds with Storage Blob Data
// Contributor and Owner, Reader reads but cannot write, and a machine without a data role is
// refused everything with Azure's 403 AuthorizationPermissionMismatch.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { ROLES, startBlobEnv, type BlobEnv, type OpResult } from './blob.config.js'

const md5 = (s: string) => createHash('md5').update(s).digest('base64')
const DENIED = { ok: false, status: 403, code: 'AuthorizationPermissionMismatch' }

function byId(results: OpResult[]): Record<string, OpResult> {
  return Object.fromEntries(results.map((r) => [r.op, r]))
}

function pick(r: OpResult | undefined): Partial<OpResult> {
  assert.ok(r, 'missing result')
  return r.ok ? { ok: true, value: r.value } : { ok: false, status: r.status, code: r.code }
}

/** Every operation, in an order where each builds on the last. */
function writerPlan(container: string) {
  const c = { container }
  const at = (blob: string) => ({ container, blob })
  return [
    { id: 'create', op: 'createContainer', ...c, metadata: { Team: 'blue' } },
    { id: 'createAgain', op: 'createContainer', ...c },
    { id: 'createIfNotExists', op: 'createIfNotExists', ...c },
    { id: 'exists', op: 'containerExists', ...c },
    { id: 'props', op: 'getContainerProperties', ...c },
    {
      id: 'setContainerMeta',
      op: 'setContainerMetadata',
      ...c,
      metadata: { Team: 'red', Env: 'dev' },
    },
    { id: 'props2', op: 'getContainerProperties', ...c },
    { id: 'listContainers', op: 'listContainers', prefix: container, includeMetadata: true },
    {
      id: 'upload',
      op: 'upload',
      ...at('dir/a.txt'),
      text: 'hello world',
      contentType: 'text/plain',
      metadata: { Owner: 'ops' },
      md5: true,
      saveEtag: 'a1',
    },
    { id: 'uploadBadMd5', op: 'upload', ...at('bad.txt'), text: 'x', badMd5: true },
    { id: 'badExists', op: 'exists', ...at('bad.txt') },
    { id: 'blobProps', op: 'getProperties', ...at('dir/a.txt') },
    { id: 'download', op: 'download', ...at('dir/a.txt') },
    { id: 'range', op: 'download', ...at('dir/a.txt'), offset: 6, count: 5 },
    { id: 'notModified', op: 'download', ...at('dir/a.txt'), conditions: { ifNoneMatch: '$a1' } },
    {
      id: 'ifMatchWrong',
      op: 'upload',
      ...at('dir/a.txt'),
      text: 'x',
      conditions: { ifMatch: '"0x1"' },
    },
    {
      id: 'ifNoneMatchStar',
      op: 'upload',
      ...at('dir/a.txt'),
      text: 'x',
      conditions: { ifNoneMatch: '*' },
    },
    {
      id: 'setMeta',
      op: 'setMetadata',
      ...at('dir/a.txt'),
      metadata: { Owner: 'dev' },
      conditions: { ifMatch: '$a1' },
      saveEtag: 'a2',
    },
    {
      id: 'setMetaStale',
      op: 'setMetadata',
      ...at('dir/a.txt'),
      metadata: {},
      conditions: { ifMatch: '$a1' },
    },
    {
      id: 'setHeaders',
      op: 'setHTTPHeaders',
      ...at('dir/a.txt'),
      headers: { blobContentType: 'application/json', blobCacheControl: 'no-cache' },
    },
    { id: 'blobProps2', op: 'getProperties', ...at('dir/a.txt') },
    { id: 'stage1', op: 'stageBlock', ...at('staged.txt'), blockId: 'block-0001', text: 'AAA' },
    { id: 'stage2', op: 'stageBlock', ...at('staged.txt'), blockId: 'block-0002', text: 'BBB' },
    { id: 'blockList', op: 'getBlockList', ...at('staged.txt') },
    {
      id: 'commit',
      op: 'commitBlockList',
      ...at('staged.txt'),
      blockIds: ['block-0002', 'block-0001'],
      contentType: 'text/plain',
    },
    { id: 'downloadStaged', op: 'download', ...at('staged.txt') },
    { id: 'blockList2', op: 'getBlockList', ...at('staged.txt') },
    { id: 'stage3', op: 'stageBlock', ...at('staged.txt'), blockId: 'block-0003', text: 'CCC' },
    {
      id: 'recommit',
      op: 'commitBlockList',
      ...at('staged.txt'),
      blockIds: ['block-0001', 'block-0003'],
    },
    { id: 'downloadRecommitted', op: 'download', ...at('staged.txt') },
    { id: 'commitUnknown', op: 'commitBlockList', ...at('staged.txt'), blockIds: ['block-0009'] },
    {
      id: 'big',
      op: 'uploadData',
      ...at('big.bin'),
      size: 5 * 1024 * 1024 + 3,
      blockSize: 1024 * 1024,
      maxSingleShotSize: 1024 * 1024,
    },
    { id: 'bigDownload', op: 'downloadToBuffer', ...at('big.bin'), blockSize: 2 * 1024 * 1024 },
    { id: 'b', op: 'upload', ...at('dir/b.txt'), text: 'b' },
    { id: 'c', op: 'upload', ...at('dir/sub/c.txt'), text: 'c' },
    { id: 'top', op: 'upload', ...at('top.txt'), text: 'top' },
    { id: 'flatPaged', op: 'listBlobsFlat', ...c, pageSize: 2 },
    { id: 'flatPrefix', op: 'listBlobsFlat', ...c, prefix: 'dir/', includeMetadata: true },
    { id: 'tree', op: 'listBlobsByHierarchy', ...c, delimiter: '/' },
    { id: 'treeDir', op: 'listBlobsByHierarchy', ...c, delimiter: '/', prefix: 'dir/' },
    { id: 'treePaged', op: 'listBlobsByHierarchy', ...c, delimiter: '/', pageSize: 1 },
    { id: 'deleteStale', op: 'deleteBlob', ...at('top.txt'), conditions: { ifMatch: '"0x1"' } },
    { id: 'delete', op: 'deleteBlob', ...at('top.txt') },
    { id: 'deleteIfExists', op: 'deleteIfExists', ...at('top.txt') },
    { id: 'existsAfter', op: 'exists', ...at('top.txt') },
    { id: 'downloadGone', op: 'download', ...at('top.txt') },
    { id: 'deleteContainer', op: 'deleteContainer', ...c },
    { id: 'existsGone', op: 'containerExists', ...c },
    { id: 'deleteContainerIfExists', op: 'deleteContainerIfExists', ...c },
    { id: 'propsGone', op: 'getContainerProperties', ...c },
  ]
}

function assertWriterPlan(results: OpResult[], container: string) {
  const r = byId(results)
  const ok = (id: string, value?: unknown) => {
    const got = pick(r[id])
    assert.equal(got.ok, true, `${id}: ${JSON.stringify(r[id])}`)
    if (value !== undefined) assert.deepEqual(got.value, value, id)
    return got.value
  }
  const fails = (id: string, status: number, code?: string) =>
    assert.deepEqual(pick(r[id]), { ok: false, status, code }, id)

  ok('create', 201)
  fails('createAgain', 409, 'ContainerAlreadyExists')
  ok('createIfNotExists', false)
  ok('exists', true)
  assert.deepEqual(ok('props').metadata, { team: 'blue' })
  ok('setContainerMeta', 200)
  assert.deepEqual(ok('props2').metadata, { team: 'red', env: 'dev' })
  assert.deepEqual(ok('listContainers').items, [
    { name: container, metadata: { Team: 'red', Env: 'dev' } },
  ])
  ok('upload', { status: 201, contentMD5: md5('hello world') })
  fails('uploadBadMd5', 400, 'Md5Mismatch')
  ok('badExists', false)
  const props = ok('blobProps')
  assert.equal(props.contentType, 'text/plain')
  assert.equal(props.contentLength, 11)
  assert.deepEqual(props.metadata, { owner: 'ops' })
  assert.equal(props.contentMD5, md5('hello world'))
  assert.equal(props.blobType, 'BlockBlob')
  assert.equal(ok('download').text, 'hello world')
  assert.equal(ok('download').status, 200)
  const range = ok('range')
  assert.deepEqual([range.status, range.text, range.contentRange], [206, 'world', 'bytes 6-10/11'])
  assert.equal(pick(r.notModified).status, 304)
  fails('ifMatchWrong', 412, 'ConditionNotMet')
  fails('ifNoneMatchStar', 409, 'BlobAlreadyExists')
  ok('setMeta', 200)
  fails('setMetaStale', 412, 'ConditionNotMet')
  ok('setHeaders', 200)
  const props2 = ok('blobProps2')
  assert.equal(props2.contentType, 'application/json')
  assert.equal(props2.cacheControl, 'no-cache')
  assert.deepEqual(props2.metadata, { owner: 'dev' })
  ok('stage1', 201)
  ok('stage2', 201)
  assert.deepEqual(ok('blockList'), {
    committed: [],
    uncommitted: [
      { id: 'block-0001', size: 3 },
      { id: 'block-0002', size: 3 },
    ],
  })
  ok('commit', 201)
  assert.equal(ok('downloadStaged').text, 'BBBAAA')
  assert.deepEqual(ok('blockList2'), {
    committed: [
      { id: 'block-0002', size: 3 },
      { id: 'block-0001', size: 3 },
    ],
    uncommitted: [],
  })
  ok('stage3', 201)
  ok('recommit', 201)
  assert.equal(ok('downloadRecommitted').text, 'AAACCC')
  fails('commitUnknown', 400, 'InvalidBlockList')
  const bigMd5 = ok('big')
  assert.deepEqual(ok('bigDownload'), { md5: bigMd5, length: 5 * 1024 * 1024 + 3 })
  const all = ['big.bin', 'dir/a.txt', 'dir/b.txt', 'dir/sub/c.txt', 'staged.txt', 'top.txt']
  const flat = ok('flatPaged')
  assert.deepEqual(
    flat.items.map((b: any) => b.name),
    all,
  )
  assert.equal(flat.pages, 3)
  assert.deepEqual(
    ok('flatPrefix').items.map((b: any) => [b.name, b.metadata]),
    [
      ['dir/a.txt', { Owner: 'dev' }],
      // Azure writes `<Metadata />` for a blob without metadata, which the SDK reads as ''.
      ['dir/b.txt', ''],
      ['dir/sub/c.txt', ''],
    ],
  )
  const tree = ['prefix:dir/', 'blob:big.bin', 'blob:staged.txt', 'blob:top.txt']
  assert.deepEqual(ok('tree').items, tree)
  assert.deepEqual(ok('treeDir').items, ['prefix:dir/sub/', 'blob:dir/a.txt', 'blob:dir/b.txt'])
  const paged = ok('treePaged')
  assert.deepEqual([...paged.items].sort(), [...tree].sort())
  assert.equal(paged.pages, 4)
  fails('deleteStale', 412, 'ConditionNotMet')
  ok('delete', 202)
  ok('deleteIfExists', false)
  ok('existsAfter', false)
  fails('downloadGone', 404, 'BlobNotFound')
  ok('deleteContainer', 202)
  ok('existsGone', false)
  ok('deleteContainerIfExists', false)
  fails('propsGone', 404, 'ContainerNotFound')
}

describe('blob data plane through the Azure SDK under keyless run', () => {
  let env: BlobEnv
  let account: { name: string; id: string }
  const vms: Record<string, { id: string; principalId: string }> = {}

  before(async () => {
    env = await startBlobEnv()
    account = await env.createAccount()
    for (const name of ['contributor', 'owner', 'reader', 'none', 'scoped']) {
      vms[name] = await env.createVm(`vm-${name}`)
    }
    await env.assign(vms.contributor!.principalId, ROLES.contributor, account.id)
    await env.assign(vms.owner!.principalId, ROLES.owner, env.group)
    await env.assign(vms.reader!.principalId, ROLES.reader, account.id)
    await sleep(1000) // new grants reach the RBAC index within a second
    const seeded = await env.run(vms.contributor!.id, account.name, [
      { op: 'createContainer', container: 'shared' },
      { op: 'upload', container: 'shared', blob: 'doc.txt', text: 'shared doc' },
      { op: 'createContainer', container: 'scoped' },
    ])
    assert.ok(
      seeded.every((r) => r.ok),
      JSON.stringify(seeded),
    )
    await env.assign(
      vms.scoped!.principalId,
      ROLES.contributor,
      `${account.id}/blobServices/default/containers/scoped`,
    )
    await sleep(1000)
  })
  after(async () => env?.dispose())

  it('runs every operation with Storage Blob Data Contributor at the account', async () => {
    const results = await env.run(vms.contributor!.id, account.name, writerPlan('contrib'))
    assertWriterPlan(results, 'contrib')
  })

  it('runs every operation with Storage Blob Data Owner inherited from the resource group', async () => {
    const results = await env.run(vms.owner!.id, account.name, writerPlan('owned'))
    assertWriterPlan(results, 'owned')
  })

  it('lets Storage Blob Data Reader read and list but refuses every write', async () => {
    const at = { container: 'shared', blob: 'doc.txt' }
    const results = byId(
      await env.run(vms.reader!.id, account.name, [
        { id: 'list', op: 'listContainers', prefix: 'shared' },
        { id: 'props', op: 'getContainerProperties', container: 'shared' },
        { id: 'blobs', op: 'listBlobsFlat', container: 'shared' },
        { id: 'download', op: 'download', ...at },
        { id: 'blobProps', op: 'getProperties', ...at },
        { id: 'createContainer', op: 'createContainer', container: 'readers' },
        {
          id: 'setContainerMeta',
          op: 'setContainerMetadata',
          container: 'shared',
          metadata: { A: 'b' },
        },
        { id: 'upload', op: 'upload', container: 'shared', blob: 'new.txt', text: 'x' },
        { id: 'overwrite', op: 'upload', ...at, text: 'x' },
        { id: 'stage', op: 'stageBlock', ...at, blockId: 'b1', text: 'x' },
        { id: 'commit', op: 'commitBlockList', ...at, blockIds: [] },
        { id: 'setMeta', op: 'setMetadata', ...at, metadata: { A: 'b' } },
        { id: 'setHeaders', op: 'setHTTPHeaders', ...at, headers: { blobContentType: 'x/y' } },
        { id: 'delete', op: 'deleteBlob', ...at },
        { id: 'deleteContainer', op: 'deleteContainer', container: 'shared' },
      ]),
    )
    assert.deepEqual(
      results.list?.value.items.map((c: any) => c.name),
      ['shared'],
    )
    assert.equal(results.props?.ok, true)
    assert.deepEqual(
      results.blobs?.value.items.map((b: any) => b.name),
      ['doc.txt'],
    )
    assert.equal(results.download?.value.text, 'shared doc')
    assert.equal(results.blobProps?.value.contentLength, 10)
    for (const id of [
      'createContainer',
      'setContainerMeta',
      'upload',
      'overwrite',
      'stage',
      'commit',
      'setMeta',
      'setHeaders',
      'delete',
      'deleteContainer',
    ]) {
      assert.deepEqual(pick(results[id]), DENIED, id)
    }
  })

  it('refuses every operation to a machine without a data role', async () => {
    const at = { container: 'shared', blob: 'doc.txt' }
    const results = await env.run(vms.none!.id, account.name, [
      { op: 'listContainers' },
      { op: 'getContainerProperties', container: 'shared' },
      { op: 'createContainer', container: 'mine' },
      { op: 'listBlobsFlat', container: 'shared' },
      { op: 'download', ...at },
      { op: 'getProperties', ...at },
      { op: 'upload', ...at, text: 'x' },
      { op: 'deleteBlob', ...at },
    ])
    // HEAD has no body: the SDK finds the code in x-ms-error-code (err.details.errorCode).
    for (const r of results) assert.deepEqual(pick(r), DENIED, r.op)
  })

  it('confines a container-scoped assignment to its container', async () => {
    const results = byId(
      await env.run(vms.scoped!.id, account.name, [
        { id: 'upload', op: 'upload', container: 'scoped', blob: 'x.txt', text: 'x' },
        { id: 'list', op: 'listBlobsFlat', container: 'scoped' },
        { id: 'otherContainer', op: 'download', container: 'shared', blob: 'doc.txt' },
        { id: 'listContainers', op: 'listContainers' },
      ]),
    )
    assert.equal(results.upload?.value.status, 201)
    assert.deepEqual(
      results.list?.value.items.map((b: any) => b.name),
      ['x.txt'],
    )
    assert.deepEqual(pick(results.otherContainer), DENIED)
    assert.deepEqual(pick(results.listContainers), DENIED)
  })
})
