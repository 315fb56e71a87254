// Three replicas behind HAProxy under steady load from stock Azure SDK clients: operator tokens
// by client secret, a workload's tokens through an agent pointed at the load balancer, ARM
// writes with @azure/arm-msi. One replica is killed with SIGKILL mid-load: no token request
// fails, and every ARM write the client saw acknowledged is there afterwards.
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { ClientSecretCredential } from '@azure/identity'
import { ManagedServiceIdentityClient } from '@azure/arm-msi'
import { startAgent, type RunningAgent } from '../../../src/agent/index.js'
import { call } from '../../../src/agent/test-http.js'
import { postgresForTests, POSTGRES_SKIP } from '../../../src/store/test-postgres.js'
import { arm } from '../../helpers/arm.js'
import { clientToken } from '../../helpers/tokens.js'
import { removeDir, TOKEN_PATH, RG_API, VM_API } from '../agent/agent.config.js'
import { HAPROXY_SKIP, startCluster, type Cluster } from './cluster.config.js'

const postgres = postgresForTests('cluster')
const MANAGEMENT = 'https://management.azure.com/.default'
// The CI's short form: one kill. scripts/cluster-trials.sh sets more kills (each replica killed
// in turn and restarted on its port before the next) and longer load.
const KILLS = Number(process.env.KEYLESS_CLUSTER_KILLS ?? 1)
const KILL_EVERY_MS = Number(process.env.KEYLESS_CLUSTER_KILL_EVERY_MS ?? 2000)
const TAIL_MS = 4000

describe(
  'a cluster of three replicas behind HAProxy',
  {
    skip: !postgres ? POSTGRES_SKIP : HAPROXY_SKIP,
  },
  () => {
    let cluster: Cluster
    let agent: RunningAgent
    let stateDir: string
    let imds: string
    const rg = 'cluster-rg'

    before(async () => {
      cluster = await startCluster(postgres!.url, postgres!.schema('cluster'))
      const at = {
        endpoints: {
          authorityHost: cluster.publicUrl,
          managementEndpoint: cluster.publicUrl,
          tenantId: cluster.tenantId,
        },
        ca: cluster.ca,
      }
      const operator = arm(
        at,
        await clientToken(at, cluster.admin, 'https://management.azure.com/'),
      )
      const group = `/subscriptions/${cluster.subscriptionId}/resourceGroups/${rg}`
      const put = await operator('PUT', `${group}?api-version=${RG_API}`, { location: 'eastus' })
      assert.ok(put.status < 300, put.text)
      stateDir = mkdtempSync(join(tmpdir(), 'keyless-cluster-agent-'))
      const join_ = await operator('POST', '/keyless/v1/joinTokens')
      assert.equal(join_.status, 201, join_.text)
      agent = await startAgent({
        serverUrl: cluster.publicUrl,
        caCertPem: cluster.ca,
        stateDir,
        joinToken: join_.json().token,
      })
      const vm = `${group}/providers/Microsoft.Compute/virtualMachines/vm1`
      const res = await operator('PUT', `${vm}?api-version=${VM_API}`, {
        location: 'eastus',
        properties: { hostId: agent.hostId },
        identity: { type: 'SystemAssigned' },
      })
      assert.ok(res.status < 300, res.text)
      imds = (await agent.createRun(vm, 'imds')).env!.AZURE_POD_IDENTITY_AUTHORITY_HOST!
    })
    after(async () => {
      await agent?.close()
      if (stateDir) removeDir(stateDir)
      await Promise.all(cluster?.replicas.map((r) => r.stop('SIGKILL')) ?? [])
    })

    it('loses no token request and no acknowledged ARM write when a replica is killed', async () => {
      const { tenantId, admin, publicUrl, subscriptionId } = cluster
      const options = { authorityHost: publicUrl, disableInstanceDiscovery: true }
      const credential = new ClientSecretCredential(
        tenantId,
        admin.clientId,
        admin.clientSecret,
        options,
      )
      const msi = new ManagedServiceIdentityClient(credential, subscriptionId, {
        endpoint: publicUrl,
        credentialScopes: [MANAGEMENT],
      })
      const stats = {
        tokens: 0,
        tokenFailures: [] as string[],
        workload: 0,
        workloadFailures: [] as string[],
      }
      const acked: string[] = []
      const writeFailures: string[] = []
      let stop = false
      let killedAt = 0
      const afterKill = { tokens: 0, writes: 0 }

      // A new credential per request: MSAL's cache would otherwise answer without the server.
      const tokenWorker = async () => {
        while (!stop) {
          const fresh = new ClientSecretCredential(
            tenantId,
            admin.clientId,
            admin.clientSecret,
            options,
          )
          try {
            await fresh.getToken(MANAGEMENT)
            stats.tokens++
            if (killedAt) afterKill.tokens++
          } catch (err) {
            stats.tokenFailures.push(String((err as Error).message).split('\n')[0]!)
          }
        }
      }
      const workloadWorker = async () => {
        while (!stop) {
          const res = await call(
            `${imds}${TOKEN_PATH}?api-version=2018-02-01&resource=${encodeURIComponent('https://vault.azure.net')}`,
            { headers: { Metadata: 'true' } },
          ).catch((err: Error) => ({ status: 0, text: err.message }))
          if (res.status === 200) stats.workload++
          else stats.workloadFailures.push(`${res.status} ${res.text}`)
          await sleep(20)
        }
      }
      const writer = async (w: number) => {
        for (let i = 0; !stop; i++) {
          const name = `id-${w}-${i}`
          try {
            await msi.userAssignedIdentities.createOrUpdate(rg, name, { location: 'eastus' })
            acked.push(name)
            if (killedAt) afterKill.writes++
          } catch (err) {
            writeFailures.push(`${name}: ${String((err as Error).message).split('\n')[0]}`)
          }
        }
      }
      const load = Promise.all([
        tokenWorker(),
        tokenWorker(),
        workloadWorker(),
        writer(1),
        writer(2),
      ])
      for (let k = 0; k < KILLS; k++) {
        await sleep(KILL_EVERY_MS)
        const i = k % cluster.replicas.length
        await cluster.replicas[i]!.stop('SIGKILL')
        killedAt = Date.now()
        if (k < KILLS - 1) await cluster.restart(i)
      }
      await sleep(TAIL_MS)
      stop = true
      await load

      assert.deepEqual(stats.tokenFailures, [], 'no token request failed')
      assert.deepEqual(stats.workloadFailures, [], "no workload's token request failed")
      // At most the writes in flight at a kill (one per writer) may fail, never one acknowledged.
      assert.ok(writeFailures.length <= 2 * KILLS, writeFailures.join('\n'))
      assert.ok(afterKill.tokens > 0 && afterKill.writes > 0, 'the cluster served after the kill')
      const present = new Set<string>()
      for await (const identity of msi.userAssignedIdentities.listByResourceGroup(rg)) {
        present.add(identity.name!)
      }
      const lost = acked.filter((name) => !present.has(name))
      assert.deepEqual(lost, [], 'every acknowledged write is there')
      console.log(
        `# cluster: ${KILLS} kills, ${stats.tokens} tokens, ${stats.workload} workload tokens, ${acked.length} ARM writes acknowledged, ${writeFailures.length} failed in flight`,
      )
    })
  },
)
