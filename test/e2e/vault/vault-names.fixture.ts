// A user's program for vault.names: stock DefaultAzureCredential, SecretClient and KeyClient,
// constructed with no options at all, as on Azure. argv[2] is JSON {"vaultUrl", "byAddress"?}:
// with byAddress (the fallback, an IP URL) it turns the challenge resource check off, as
// docs/languages.md says. Prints {resolved, secret, keyType} or {error, code}.
import { lookup } from 'node:dns/promises'
import { DefaultAzureCredential } from '@azure/identity'
import { KeyClient } from '@azure/keyvault-keys'
import { SecretClient } from '@azure/keyvault-secrets'

const { vaultUrl, byAddress } = JSON.parse(process.argv[2]!) as {
  vaultUrl: string
  byAddress?: boolean
}
const host = new URL(vaultUrl).hostname
const resolved = await lookup(host).then(
  (r) => r.address,
  (e: NodeJS.ErrnoException) => e.code ?? 'failed',
)
try {
  const credential = new DefaultAzureCredential()
  const options = byAddress ? { disableChallengeResourceVerification: true } : undefined
  const secrets = new SecretClient(vaultUrl, credential, options)
  const keys = new KeyClient(vaultUrl, credential, options)
  await secrets.setSecret('greeting', 'hello from a stock client')
  const secret = (await secrets.getSecret('greeting')).value
  const key = await keys.createEcKey('signer', { curve: 'P-256' })
  console.log(JSON.stringify({ resolved, secret, keyType: key.keyType, keyId: key.id }))
} catch (e) {
  const err = e as { message?: string; code?: string }
  console.log(JSON.stringify({ resolved, error: err.message, code: err.code }))
}
