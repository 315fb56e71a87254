// The page's files, bundled at build time by scripts/build-portal.js into dist/src/portal/static
// (no CDN: the portal works offline). Read once at start; a tree built without the bundle (tsc
// alone) serves a 503 that says how to build it, and the rest of Keyless runs as before.
import { readdirSync, readFileSync } from 'node:fs'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface StaticFile {
  body: Buffer
  contentType: string
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
}

export const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url))

export function loadStaticFiles(dir = STATIC_DIR): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>()
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return files
  }
  for (const name of names) {
    const type = TYPES[extname(name)]
    if (type) files.set(name, { body: readFileSync(join(dir, name)), contentType: type })
  }
  return files
}
