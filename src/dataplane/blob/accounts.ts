// The storage account a request names. Azure account names are globally unique; Keyless keeps
// them unique per installation only as far as the control plane does, so when two resource
// groups hold an account of the same name, the oldest one is served, always the same, and the
// clash is logged.
import type { FastifyBaseLogger } from 'fastify'
import type { Store } from '../../store/store.js'
import type { Account } from './call.js'
import { BlobErrors } from './errors.js'

export async function resolveAccount(
  store: Pick<Store, 'blobContainers'>,
  name: string,
  log: FastifyBaseLogger,
): Promise<Account> {
  const found = await store.blobContainers.findAccounts(name)
  const first = found[0]
  if (first === undefined) throw BlobErrors.resourceNotFound()
  if (found.length > 1) {
    log.warn(
      { account: name, served: first.id, ignored: found.slice(1).map((a) => a.id) },
      'storage account name is not unique',
    )
  }
  return { ...first, name: first.id.slice(first.id.lastIndexOf('/') + 1) }
}
