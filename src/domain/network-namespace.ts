// `properties.networkNamespace`: the network namespace on its host where a compute resource's
// workloads run (a Keyless extension beside `properties.hostId`). Its agent puts IMDS at
// 169.254.169.254:80 there (agent/netns.ts). The name is an ip-netns(8) name, a file name under
// /run/netns; the server checks it on every write and the agent before every use.
import { BadRequest } from './errors.js'

export const NETWORK_NAMESPACE_PROPERTY = 'networkNamespace'

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/

export const isNamespaceName = (name: unknown): name is string =>
  typeof name === 'string' && NAME.test(name)

export function assertNamespaceName(name: unknown, target?: string): asserts name is string {
  if (!isNamespaceName(name)) {
    throw new BadRequest(
      'InvalidNetns',
      `a network namespace name is letters, digits, '_', '.' and '-' (at most 64, not starting with '.' or '-'), not '${String(name)}'`,
      target ? { target } : undefined,
    )
  }
}
