// `keyless completion bash|zsh`: the generated script, run by a real bash (and zsh when the
// machine has it, through bashcompinit), completes command paths, options and aliases from the command tree.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fails, ok, runCli } from './cli.config.js'

const dir = mkdtempSync(join(tmpdir(), 'keyless-completion-'))
let script: string

before(async () => {
  script = join(dir, 'keyless.bash')
  writeFileSync(script, ok(await runCli(['completion', 'bash'])).stdout)
})
after(() => rmSync(dir, { recursive: true, force: true }))

/** What bash offers after `words` (the last one is the word being completed). */
function complete(...words: string[]): string[] {
  const line = ['keyless', ...words].map((w) => `'${w}'`).join(' ')
  const r = spawnSync(
    'bash',
    [
      '-c',
      `source '${script}'; COMP_WORDS=(${line}); COMP_CWORD=${words.length}; _keyless; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { encoding: 'utf8' },
  )
  assert.equal(r.status, 0, r.stderr)
  return r.stdout.split('\n').filter(Boolean).sort()
}

describe('shell completion', () => {
  it('completes top-level commands, with aliases', () => {
    assert.deepEqual(complete('va'), ['vault'])
    assert.deepEqual(complete('keyv'), ['keyvault'])
    assert.ok(complete('').includes('completion'))
  })

  it('completes subcommands and options along a command path, skipping options', () => {
    assert.deepEqual(complete('vault', 'se'), ['secret'])
    assert.deepEqual(complete('keyvault', 'secret', 's'), ['set', 'show'])
    assert.ok(complete('vault', 'secret', 'show', '--').includes('--vault-name'))
    assert.ok(complete('-o', 'json', 'storage', 'blob', 'up').includes('upload'))
    assert.deepEqual(complete('group', 'list', '--q'), ['--query'])
  })

  it('refuses an unknown shell as a usage error', async () => {
    fails(await runCli(['completion', 'fish']), 2, /unknown shell 'fish'/)
  })

  it('prints a zsh script that zsh loads, when zsh is installed', async (t) => {
    const zsh = ok(await runCli(['completion', 'zsh'])).stdout
    assert.match(zsh, /bashcompinit/)
    if (spawnSync('zsh', ['--version']).status !== 0) return t.skip('zsh is not installed here')
    const file = join(dir, 'keyless.zsh')
    writeFileSync(file, zsh)
    const r = spawnSync(
      'zsh',
      [
        '-c',
        `source '${file}' && COMP_WORDS=(keyless keyvault secret s) && COMP_CWORD=3 && _keyless && echo "\${COMPREPLY[@]}"`,
      ],
      { encoding: 'utf8' },
    )
    assert.equal(r.stdout.trim(), 'set show', r.stderr)
  })
})
