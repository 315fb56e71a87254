import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'
import { openStore } from '../../store/index.js'
import { runAuthzContract } from './authz-contract.js'

const dir = mkdtempSync(join(tmpdir(), 'keyless-authz-'))
after(() => rmSync(dir, { recursive: true, force: true }))
runAuthzContract('SQLite', () => openStore({ sqliteFile: join(dir, 'authz.db') }))
