import { after } from 'node:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore } from '../store/index.js'
import { runLifecycleContract } from './contract/lifecycle-contract.js'

const dir = mkdtempSync(join(tmpdir(), 'keyless-directory-'))
after(() => rmSync(dir, { recursive: true, force: true }))
runLifecycleContract('SQLite', () => openStore({ sqliteFile: join(dir, 'd.db') }))
