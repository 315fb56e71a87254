// The JS twin of fixtures/rotating_token_file.py: one running program, one credential object, a
// token file replaced under it. ClientAssertionCredential calls its callback on every trade, so a
// callback that reads the file picks up the replacement at once (WorkloadIdentityCredential keeps
// the file's content for 5 minutes). argv: tenant clientId tokenFile scopeBefore scopeAfter;
// AZURE_AUTHORITY_HOST names the authority. Prints one JSON line {token, assertion} per scope and
// waits for a line on stdin between the two.
import { readFileSync } from 'node:fs'
import { once } from 'node:events'
import { ClientAssertionCredential } from '@azure/identity'

const [tenant, clientId, tokenFile, before, after] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
]
let presented = ''
const credential = new ClientAssertionCredential(
  tenant,
  clientId,
  async () => (presented = readFileSync(tokenFile, 'utf8').trim()),
  { authorityHost: process.env.AZURE_AUTHORITY_HOST, disableInstanceDiscovery: true },
)
async function trade(scope: string) {
  const { token } = await credential.getToken(scope)
  process.stdout.write(JSON.stringify({ token, assertion: presented }) + '\n')
}

await trade(before)
await once(process.stdin, 'data') // the test has seen the file replaced and the old token spent
process.stdin.pause()
await trade(after)
