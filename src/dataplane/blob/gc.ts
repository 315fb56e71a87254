// Collects content files that no committed row names: uploads cut off by a crash between the
// rename and the commit, files of blobs whose container or account was deleted (the store
// cascades rows, not files), and temporary files of interrupted uploads. A grace period spares
// files an upload in flight has just written and is about to commit. Staged blocks that were
// never committed expire first, as Azure's do after a week, so their files are collected too.
import { readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Store } from '../../store/store.js'
import type { ContentFiles } from './content-files.js'

const PAGE = 1000

async function referencedFiles(store: Pick<Store, 'blobs'>): Promise<Set<string>> {
  const out = new Set<string>()
  let after: string | undefined
  for (;;) {
    const page = await store.blobs.listReferencedFiles(after, PAGE)
    for (const f of page) out.add(f)
    if (page.length < PAGE) return out
    after = page[page.length - 1]
  }
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

async function removeIfOlder(path: string, before: number): Promise<boolean> {
  try {
    const s = await stat(path)
    if (s.mtimeMs > before) return false
    await rm(path, { force: true })
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}

/**
 * Discards staged blocks of blobs idle for `stagedBlockLifetimeMs`, then removes unreferenced
 * content files last written more than `graceMs` ago; returns how many files it removed.
 */
export async function collectGarbage(
  files: ContentFiles,
  store: Pick<Store, 'blobs'>,
  o: { now: number; graceMs: number; stagedBlockLifetimeMs: number },
): Promise<number> {
  await store.blobs.pruneBlocks(o.now - o.stagedBlockLifetimeMs)
  const before = o.now - o.graceMs
  let removed = 0
  for (const name of await entries(files.tmpDir)) {
    if (await removeIfOlder(join(files.tmpDir, name), before)) removed++
  }
  // Files are listed before the rows are read: a file committed in between is then referenced.
  const onDisk: string[] = []
  for (const dir of await entries(files.dataDir)) {
    for (const name of await entries(join(files.dataDir, dir))) onDisk.push(name)
  }
  const referenced = await referencedFiles(store)
  for (const name of onDisk) {
    if (referenced.has(name)) continue
    if (await removeIfOlder(files.path(name), before)) removed++
  }
  return removed
}
