// Bundles the portal's page (src/portal/ui: preact + htm, no build-time JSX) into static files
// under dist/src/portal/static, which `keyless up` and `keyless server` serve at /portal/. Run by
// the build, prepare and test scripts after tsc. Everything is bundled: the page loads nothing
// from a CDN and works offline. esbuild, preact and htm are devDependencies: only the output
// reaches a production tree.
import { build } from 'esbuild'
import { copyFileSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const ui = join(root, 'src/portal/ui')
const out = join(root, 'dist/src/portal/static')
mkdirSync(out, { recursive: true })

await build({
  entryPoints: [join(ui, 'main.js')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  outfile: join(out, 'app.js'),
  logLevel: 'warning',
})
copyFileSync(join(ui, 'index.html'), join(out, 'index.html'))
copyFileSync(join(ui, 'app.css'), join(out, 'app.css'))
