// The Kubernetes manifests in deploy/k8s/, checked against the Kubernetes API's schemas by
// kubernetes-models (types, required fields, enums of each kind's OpenAPI schema; it does not
// reject unknown fields), and against what Keyless needs of them: the Service and the budget
// select the server's pods, the probes ask /readyz and /healthz, the master key reaches every
// replica as a file, the server runs as non-root, the agent on every node's own network.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { DaemonSet, Deployment } from 'kubernetes-models/apps/v1'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { Namespace, Secret, Service } from 'kubernetes-models/v1'
import { parseAllDocuments } from 'yaml'
import { ROOT } from '../helpers/keyless.js'

const DIR = join(ROOT, 'deploy/k8s')

// The kinds the manifests may use, each with the model that validates it.
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/DaemonSet': DaemonSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
}

interface Manifest {
  file: string
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string }
  [k: string]: any
}

function load(): Manifest[] {
  const out: Manifest[] = []
  for (const file of readdirSync(DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    // YAML 1.1, as Kubernetes reads manifests (0400 is octal there, decimal in 1.2).
    for (const doc of parseAllDocuments(readFileSync(join(DIR, file), 'utf8'), {
      version: '1.1',
    })) {
      assert.deepEqual(doc.errors, [], file)
      out.push({ file, ...(doc.toJS() as Omit<Manifest, 'file'>) } as Manifest)
    }
  }
  return out
}

const validate = (m: Manifest) => {
  const Model = MODELS[`${m.apiVersion}/${m.kind}`]
  assert.ok(Model, `${m.file}: ${m.apiVersion} ${m.kind} is not a kind the manifests may use`)
  const { file: _file, ...data } = m
  new Model(data).validate()
}

describe('Kubernetes manifests', () => {
  const all = load()
  const one = (kind: string, name: string) => {
    const m = all.find((x) => x.kind === kind && x.metadata.name === name)
    assert.ok(m, `${kind} ${name}`)
    return m
  }

  it('are valid against the Kubernetes schemas, every document', () => {
    assert.ok(all.length >= 8, `${all.length} documents`)
    for (const m of all) {
      try {
        validate(m)
      } catch (e) {
        assert.fail(`${m.file}: ${m.kind} ${m.metadata.name}: ${(e as Error).message}`)
      }
      if (m.kind !== 'Namespace') assert.equal(m.metadata.namespace, 'keyless', m.metadata.name)
    }
  })

  it('would be refused by the validator if a field had the wrong type or were missing', () => {
    const server = structuredClone(one('Deployment', 'keyless-server'))
    server.spec.replicas = 'three'
    assert.throws(() => validate(server), /replicas must be integer/)
    const service = structuredClone(one('Service', 'keyless'))
    delete service.spec.ports[0].port
    assert.throws(() => validate(service), /port/)
  })

  it('select the server pods from the Service and the disruption budget, keeping a quorum', () => {
    const server = one('Deployment', 'keyless-server')
    const labels = server.spec.template.metadata.labels
    for (const [k, v] of Object.entries(server.spec.selector.matchLabels))
      assert.equal(labels[k], v)
    const service = one('Service', 'keyless')
    for (const [k, v] of Object.entries(service.spec.selector)) assert.equal(labels[k], v, k)
    const pdb = one('PodDisruptionBudget', 'keyless-server')
    assert.deepEqual(pdb.spec.selector.matchLabels, server.spec.selector.matchLabels)
    assert.ok(pdb.spec.minAvailable >= 2 && pdb.spec.minAvailable < server.spec.replicas)
    const port = server.spec.template.spec.containers[0].ports[0]
    assert.equal(service.spec.ports[0].targetPort, port.name)
  })

  it('run the server as non-root, read-only, probed on /readyz and /healthz', () => {
    const pod = one('Deployment', 'keyless-server').spec.template.spec
    const c = pod.containers[0]
    assert.equal(pod.securityContext.runAsNonRoot, true)
    assert.ok(pod.securityContext.runAsUser > 0)
    assert.equal(c.securityContext.readOnlyRootFilesystem, true)
    assert.equal(c.securityContext.allowPrivilegeEscalation, false)
    assert.deepEqual(c.securityContext.capabilities.drop, ['ALL'])
    assert.equal(c.readinessProbe.httpGet.path, '/readyz')
    assert.equal(c.livenessProbe.httpGet.path, '/healthz')
    assert.equal(c.args[0], 'server')
  })

  it('run `keyless server` with the database URL, the master key file and the public URL', () => {
    const c = one('Deployment', 'keyless-server').spec.template.spec.containers[0]
    const [command, ...flags] = c.args as string[]
    assert.equal(command, 'server')
    const given = Object.fromEntries(
      flags.flatMap((f, i) => (f.startsWith('--') ? [[f, flags[i + 1]]] : [])),
    )
    assert.deepEqual(Object.keys(given).sort(), [
      '--database-url',
      '--master-key-file',
      '--public-url',
    ])
    assert.equal(given['--master-key-file'], '/secrets/master.key')
    assert.equal(new URL(given['--public-url']!).protocol, 'https:')
    // Kubernetes expands $(VAR) in args from the container's env: the URL comes from its Secret.
    const variable = /^\$\((\w+)\)$/.exec(given['--database-url']!)![1]
    assert.ok(c.env.find((e: any) => e.name === variable).valueFrom.secretKeyRef)
  })

  it('give every replica the master key as a file from its Secret, owner-read only', () => {
    const pod = one('Deployment', 'keyless-server').spec.template.spec
    const c = pod.containers[0]
    const file = c.args[c.args.indexOf('--master-key-file') + 1] as string
    const mount = c.volumeMounts.find((v: any) => file.startsWith(`${v.mountPath}/`))
    assert.ok(mount, 'the master key file is inside a mount')
    const volume = pod.volumes.find((v: any) => v.name === mount.name)
    const secret = one('Secret', volume.secret.secretName)
    assert.ok(file.slice(mount.mountPath.length + 1) in secret.stringData)
    assert.equal(volume.secret.defaultMode, 0o400)
    const db = c.env.find((e: any) => e.name === 'KEYLESS_DATABASE_URL').valueFrom.secretKeyRef
    assert.ok(db.key in one('Secret', db.name).stringData)
  })

  it('have Prometheus scrape every replica and agent on /metrics, at a port they serve', () => {
    const server = one('Deployment', 'keyless-server').spec.template
    const agent = one('DaemonSet', 'keyless-agent').spec.template
    for (const [t, scheme] of [
      [server, 'https'],
      [agent, 'http'],
    ] as const) {
      const a = t.metadata.annotations
      assert.equal(a['prometheus.io/scrape'], 'true')
      assert.equal(a['prometheus.io/path'], '/metrics')
      assert.equal(a['prometheus.io/scheme'], scheme)
      const ports = t.spec.containers[0].ports.map((p: any) => String(p.containerPort))
      assert.ok(
        ports.includes(a['prometheus.io/port']),
        `${t.metadata.labels['app.kubernetes.io/name']}`,
      )
    }
    const c = agent.spec.containers[0]
    const listen = c.args[c.args.indexOf('--metrics-listen') + 1] as string
    assert.equal(listen, `$(NODE_IP):${agent.metadata.annotations['prometheus.io/port']}`)
    const ip = c.env.find((e: any) => e.name === 'NODE_IP')
    assert.equal(ip.valueFrom.fieldRef.fieldPath, 'status.hostIP')
  })

  it('run the agent on every node, on its network, with its own node name and join token', () => {
    const ds = one('DaemonSet', 'keyless-agent')
    const pod = ds.spec.template.spec
    assert.equal(pod.hostNetwork, true)
    assert.equal(pod.dnsPolicy, 'ClusterFirstWithHostNet')
    assert.deepEqual(pod.tolerations, [{ operator: 'Exists' }])
    const c = pod.containers[0]
    assert.equal(c.args[0], 'agent')
    const arg = (flag: string) => c.args[c.args.indexOf(flag) + 1] as string
    assert.equal(new URL(arg('--server')).hostname, 'keyless.keyless.svc.cluster.local')
    assert.equal(arg('--join-token-file'), '/etc/keyless-join/$(NODE_NAME)')
    const nodeName = c.env.find((e: any) => e.name === 'NODE_NAME')
    assert.equal(nodeName.valueFrom.fieldRef.fieldPath, 'spec.nodeName')
    const mounts = Object.fromEntries(c.volumeMounts.map((v: any) => [v.mountPath, v]))
    assert.ok(mounts['/etc/keyless-join'].readOnly)
    assert.equal(mounts['/var/run/netns'].mountPropagation, 'Bidirectional')
    assert.ok(mounts[arg('--state-dir')], 'the state directory is on the node')
  })
})
