// 7. Propagation: the time from deleting a role assignment to the first 403 at the vault, for a
// managed identity that was reading a secret. Needs the RBAC API and the vault data plane; until
// both answer, the section says so.
//
// Procedure (runs as soon as `properties.vaultUri` appears on a vault and role assignments can
// be created): a VM on a host enrolled here, a vault, the VM's identity assigned Key Vault
// Secrets User on it; the identity reads a secret in a loop; the assignment is deleted and the
// loop timed until the first 403. Rounds report the median.
import { performance } from 'node:perf_hooks'
import { enrollHost, identityTokenForm, signAssertions } from '../lib/host.js'
import { armClient, client, operatorToken, type Client, type Keyless } from '../lib/keyless.js'
import type { Row } from '../lib/report.js'
import { unavailable, type Context, type Outcome, type Section } from '../lib/section.js'
import { fmt, median } from '../lib/stats.js'
import {
  assignRole,
  createVault,
  KV_API,
  oidOf,
  rbacAnswers,
  RA_API,
  SECRETS_OFFICER,
  SECRETS_USER,
  VAULT_SCOPE,
} from '../lib/vault.js'

const TARGET_MS = 1000

async function vmToken(k: Keyless, c: Client, arm: ReturnType<typeof armClient>, rg: string) {
  const operator = await operatorToken(k, c)
  const host = await enrollHost(k, c, operator)
  const vm = `${rg}/providers/Microsoft.Compute/virtualMachines/vm-propagation`
  const created = await arm('PUT', `${vm}?api-version=2024-07-01`, {
    location: 'eastus',
    properties: { hostId: host.hostId },
    identity: { type: 'SystemAssigned' },
  })
  const res = await c.send(
    'POST',
    host.tokenEndpoint,
    { 'content-type': 'application/x-www-form-urlencoded' },
    identityTokenForm(host, signAssertions(host, 1)[0]!, vm),
  )
  if (res.status !== 200) throw new Error(`vm token: ${res.status} ${res.text}`)
  return {
    principalId: created.json().identity.principalId as string,
    token: res.json().access_token as string,
  }
}

export const propagation: Section = {
  id: 'propagation',
  title: '7. Propagation',
  async run(ctx: Context): Promise<Outcome> {
    const k = await ctx.shared()
    const c = client(k)
    try {
      const operator = await operatorToken(k, c)
      const arm = armClient(k, c, operator)
      const rg = `/subscriptions/${k.endpoints.subscriptionId}/resourceGroups/bench-propagation`
      await arm('PUT', `${rg}?api-version=2025-04-01`, { location: 'eastus' })
      if (!(await rbacAnswers(k, arm, rg)))
        return unavailable('The RBAC API (role assignments) does not answer.')
      const vault = await createVault(arm, k, rg, 'benchkv')
      const vaultUri = vault.vaultUri
      if (!vaultUri)
        return unavailable('Vaults have no `properties.vaultUri` (no vault data plane).')
      const vaultId = vault.id
      await assignRole(arm, k, vaultId, SECRETS_OFFICER, oidOf(operator))
      const secretUrl = `${vaultUri.replace(/\/$/, '')}/secrets/bench?${KV_API}`
      const vaultToken = await operatorToken(k, c, VAULT_SCOPE)
      const put = await c.send(
        'PUT',
        secretUrl,
        { authorization: `Bearer ${vaultToken}`, 'content-type': 'application/json' },
        JSON.stringify({ value: 'hello' }),
      )
      if (put.status !== 200) throw new Error(`set secret: ${put.status} ${put.text}`)
      const identity = await vmToken(k, c, arm, rg)
      const read = () => c.send('GET', secretUrl, { authorization: `Bearer ${identity.token}` })
      const delays: number[] = []
      for (let r = 0; r < ctx.rounds; r++) {
        const id = await assignRole(arm, k, vaultId, SECRETS_USER, identity.principalId)
        const deadline = performance.now() + 10_000
        while ((await read()).status !== 200) {
          if (performance.now() > deadline) throw new Error('the assignment never took effect')
        }
        const t0 = performance.now()
        await arm('DELETE', `${id}?${RA_API}`)
        let status = 200
        while (status !== 403 && performance.now() - t0 < 30_000) status = (await read()).status
        if (status !== 403) throw new Error('no 403 within 30 s of the deletion')
        delays.push(performance.now() - t0)
      }
      const ms = median(delays)
      ctx.log(`propagation ${fmt(ms)} ms`)
      const rows: Row[] = [
        {
          measure: 'role assignment deleted → first 403 at the vault',
          value: `${fmt(ms)} ms`,
          reference: { text: `≤ ${fmt(TARGET_MS)} ms`, met: ms <= TARGET_MS },
        },
      ]
      return {
        status: 'ok',
        summary:
          'Deletion through ARM, then the identity reads the secret back to back until the ' +
          'vault refuses it; the time includes the DELETE itself.',
        rows,
        data: { delaysMs: delays },
      }
    } finally {
      c.close()
    }
  },
}
