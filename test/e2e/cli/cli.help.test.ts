// `keyless --help` as `az --help`: commands grouped (run, resources, identities, access, hosts,
// data, logs), and every command's own help ends with at least one example (issue 16).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ok, runCli } from './cli.config.js'

describe('help', () => {
  it('groups the commands as az does, in that order', async () => {
    const out = ok(await runCli(['--help'])).stdout
    const groups = out.split('\n').filter((l) => /^[A-Z][\w ,]*:$/.test(l))
    assert.deepEqual(groups, [
      'Options:',
      'Run Keyless and programs:',
      'Resources:',
      'Identities:',
      'Access:',
      'Hosts:',
      'Data:',
      'Logs:',
      'Portal:',
      'Shell:',
      // commander's own `help [command]`, in its default group
      'Commands:',
    ])
  })

  it('leaves no command without an example', async () => {
    const r = ok(await runCli([], { KEYLESS_HELP_AUDIT: '1' }))
    assert.deepEqual(JSON.parse(r.stdout), [])
  })

  it('shows the examples, generated ones included, in the commands’ help', async () => {
    for (const [args, line] of [
      [['vault', 'show'], '$ keyless vault show kv1 -g rg1 -o json'],
      [['vm', 'delete'], '$ keyless vm delete vm1 -g rg1 --yes'],
      [['webapp', 'slot', 'list'], '$ keyless webapp slot list app1 -g rg1 -o table'],
      [['identity', 'delete'], '$ keyless identity delete id1 -g rg1 --yes'],
      [['run'], '$ keyless run --as <web app id> -- node app.js'],
    ] as const) {
      const out = ok(await runCli([...args, '--help'])).stdout
      assert.match(out, /\nExamples:\n/, args.join(' '))
      assert.ok(out.includes(line), `${args.join(' ')}:\n${out}`)
    }
  })
})
