// A user's program on installation A, run by `keyless run --as <web app>`: it knows nothing of
// Keyless. With stock credentials only, it asks its managed identity (A) for a token for
// `api://AzureADTokenExchange`, presents it to installation B as a federated client assertion
// for B's user-assigned identity (ClientAssertionCredential), and reads a secret in B's vault
// with that (SecretClient). argv[2] is JSON {tenantId, clientId, authorityHost, vaultUrl,
// secret}; it prints {value, assertion: <claims of A's token>, armIssuer}.
import { ClientAssertionCredential, ManagedIdentityCredential } from '@azure/identity'
import { SecretClient } from '@azure/keyvault-secrets'

const input = JSON.parse(process.argv[2]!) as {
  tenantId: string
  clientId: string
  authorityHost: string
  vaultUrl: string
  secret: string
}
const claims = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>

const local = new ManagedIdentityCredential()
let assertion: Record<string, unknown> = {}
const remote = new ClientAssertionCredential(
  input.tenantId,
  input.clientId,
  async () => {
    const { token } = await local.getToken('api://AzureADTokenExchange/.default')
    assertion = claims(token)
    return token
  },
  { authorityHost: input.authorityHost, disableInstanceDiscovery: true },
)
// The vault is served at an IP address, which cannot be a subdomain of the challenge resource.
const client = new SecretClient(input.vaultUrl, remote, {
  disableChallengeResourceVerification: true,
})
const value = (await client.getSecret(input.secret)).value
const arm = await local.getToken('https://management.azure.com/.default')
process.stdout.write(JSON.stringify({ value, assertion, armIssuer: claims(arm.token).iss }) + '\n')
