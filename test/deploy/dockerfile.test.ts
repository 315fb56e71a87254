// The Dockerfile, checked statically: no container daemon or registry runs here, so the image is
// never built in CI (docs/deploy.md). Its instructions are parsed (one per line, `\` joining
// continued lines) and held to what the image promises: several stages, a runtime stage that
// gets only production dependencies and the compiled sources, an unprivileged numeric user
// (the manifests' runAsUser), a health check on /readyz, exec-form commands, and no shell tricks.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parseAllDocuments } from 'yaml'
import { ROOT } from '../helpers/keyless.js'

interface Instruction {
  keyword: string
  args: string
}

interface Stage {
  name: string
  from: string
  instructions: Instruction[]
}

function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = []
  const joined = text.replace(/\\\n/g, ' ')
  for (const raw of joined.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(line)
    assert.ok(m, `not an instruction: ${line}`)
    const keyword = m[1]!.toUpperCase()
    const args = m[2]!
    if (keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)
      assert.ok(from, `FROM ${args}`)
      stages.push({ name: from[2] ?? String(stages.length), from: from[1]!, instructions: [] })
      continue
    }
    assert.ok(stages.length > 0, `${keyword} before any FROM`)
    stages.at(-1)!.instructions.push({ keyword, args })
  }
  return stages
}

const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))
const byName = (name: string) => stages.find((s) => s.name === name)!
const runtime = stages.at(-1)!
const all = (stage: Stage, keyword: string) =>
  stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args)

describe('the Dockerfile', () => {
  it('builds in stages and ends in a runtime stage on the same pinned Node major', () => {
    assert.deepEqual(
      stages.map((s) => s.name),
      ['deps', 'build', 'runtime'],
    )
    for (const s of stages) assert.match(s.from, /^node:20-[a-z]+-slim$/, s.name)
  })

  it('installs production dependencies only, from the lockfile, for the runtime stage', () => {
    const installs = all(byName('deps'), 'RUN').filter((r) => r.startsWith('npm '))
    assert.ok(installs.includes('npm ci --omit=dev --ignore-scripts --no-audit --no-fund'))
    // Only the one package the dependency policy allows an install script.
    const policy = JSON.parse(readFileSync(join(ROOT, 'scripts/dependency-policy.json'), 'utf8'))
    const rebuilt = installs.filter((r) => r.startsWith('npm rebuild')).map((r) => r.split(' ')[2])
    assert.deepEqual(rebuilt, policy.installScripts)
    const copies = all(runtime, 'COPY')
    const fromStages = copies.filter((c) => c.includes('--from='))
    assert.ok(fromStages.some((c) => /--from=deps \/app\/node_modules \.\/node_modules$/.test(c)))
    assert.ok(
      fromStages.every((c) =>
        /--from=deps \/app\/node_modules |--from=build \/app\/dist\/src /.test(c),
      ),
      'the build stage (dev dependencies) gives the runtime nothing but dist/src',
    )
    // From the build context: the package manifest, the launcher and the health check, no source.
    const sources = copies
      .filter((c) => !c.includes('--from='))
      .map((c) => c.replace(/--chown=\S+\s+/, '').split(/\s+/)[0])
    assert.deepEqual(sources, ['package.json', 'bin', 'deploy/docker/healthcheck.mjs'])
    assert.ok(!all(runtime, 'RUN').length, 'nothing is installed or built in the runtime stage')
  })

  it('runs as an unprivileged numeric user, the one the manifests name', () => {
    const users = all(runtime, 'USER')
    assert.equal(users.length, 1)
    const [uid, gid] = users[0]!.split(':').map(Number)
    assert.ok(uid! > 0 && gid! > 0, users[0])
    const server = parseAllDocuments(readFileSync(join(ROOT, 'deploy/k8s/server.yaml'), 'utf8'))
      .map((d) => d.toJS())
      .find((d) => d.kind === 'Deployment')
    assert.equal(server.spec.template.spec.securityContext.runAsUser, uid)
    const userAt = runtime.instructions.findIndex((i) => i.keyword === 'USER')
    assert.ok(
      runtime.instructions.slice(userAt).every((i) => i.keyword !== 'COPY'),
      'everything is copied as root before the user switch: the process cannot rewrite its code',
    )
  })

  it('checks its health on /readyz and starts `keyless server`, in exec form', () => {
    const [check] = all(runtime, 'HEALTHCHECK')
    assert.ok(check, 'a HEALTHCHECK')
    const command = JSON.parse(check.slice(check.indexOf('CMD ') + 4)) as string[]
    assert.deepEqual(command, ['node', '/app/healthcheck.mjs'])
    const script = readFileSync(join(ROOT, 'deploy/docker/healthcheck.mjs'), 'utf8')
    assert.match(script, /path: '\/readyz'/)
    assert.deepEqual(JSON.parse(all(runtime, 'ENTRYPOINT')[0]!), ['node', '/app/bin/keyless.js'])
    assert.deepEqual(JSON.parse(all(runtime, 'CMD')[0]!), ['server'])
    assert.ok(all(runtime, 'EXPOSE').includes('8443'))
  })

  it('uses no shell tricks: no pipes into a shell, no ignored failures, no downloads', () => {
    for (const s of stages) {
      for (const run of all(s, 'RUN')) {
        assert.doesNotMatch(run, /\|\||\|\s*(ba)?sh\b|;|\bcurl\b|\bwget\b|\bsh -c\b/, run)
      }
      for (const i of s.instructions) assert.notEqual(i.keyword, 'ADD', 'COPY, never ADD')
    }
  })

  it('sends only what it copies to the build: no local data directory, no builds', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
    assert.equal(ignore[0], '**', 'everything is excluded first')
    for (const kept of ['!package.json', '!package-lock.json', '!src/', '!bin/']) {
      assert.ok(ignore.includes(kept), kept)
    }
    assert.ok(!ignore.some((l) => /^!(\.keyless|dist|node_modules)/.test(l)))
  })
})
