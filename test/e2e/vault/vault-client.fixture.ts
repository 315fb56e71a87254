// A user's program, run by `keyless run --as <web app>` in the vault tests: it knows nothing of
// Keyless and uses only ManagedIdentityCredential and SecretClient. argv[2] is JSON
// {"vaultUrl": "...", "steps": [{"op": "set"|"get"|"list"|"delete"|"recover"|"purge", "name"?, "value"?}]}
// and it prints one result per step, [{op, ok: true, value?} | {op, ok: false, status, code}].
import { ManagedIdentityCredential } from '@azure/identity'
import { SecretClient } from '@azure/keyvault-secrets'

interface Step {
  op: 'set' | 'get' | 'list' | 'delete' | 'recover' | 'purge'
  name?: string
  value?: string
}

const { vaultUrl, steps } = JSON.parse(process.argv[2]!) as { vaultUrl: string; steps: Step[] }
// The vault is served at an IP address, which cannot be a subdomain of the challenge resource.
const client = new SecretClient(vaultUrl, new ManagedIdentityCredential(), {
  disableChallengeResourceVerification: true,
})

async function run(step: Step): Promise<unknown> {
  const name = step.name ?? ''
  switch (step.op) {
    case 'set':
      return (await client.setSecret(name, step.value ?? '')).properties.version
    case 'get':
      return (await client.getSecret(name)).value
    case 'list': {
      const names: string[] = []
      for await (const p of client.listPropertiesOfSecrets()) names.push(p.name)
      return names.sort()
    }
    case 'delete':
      return (await (await client.beginDeleteSecret(name)).pollUntilDone()).recoveryId
    case 'recover':
      return (await (await client.beginRecoverDeletedSecret(name)).pollUntilDone()).name
    case 'purge':
      return client.purgeDeletedSecret(name)
  }
}

const results = []
for (const step of steps) {
  try {
    results.push({ op: step.op, ok: true, value: await run(step) })
  } catch (e) {
    const err = e as { statusCode?: number; code?: string; message?: string }
    results.push({
      op: step.op,
      ok: false,
      status: err.statusCode,
      code: err.code,
      message: err.message,
    })
  }
}
console.log(JSON.stringify(results))
