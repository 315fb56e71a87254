// Shared setup for the Queue tests: the Blob tests' `keyless up` environment (ARM helpers for
// storage accounts, virtual machines with system identities, role assignments, `keyless run`)
// plus the Queue endpoint it publishes (endpoints.json `queueEndpoint`) and the SDK client
// fixture run as a machine.
import { join, resolve } from 'node:path'
import type { KeylessProcess } from '../../helpers/keyless.js'
import { runAs, startBlobEnv, type BlobEnv, type OpResult } from '../blob/blob.config.js'

export { expectOk, type OpResult } from '../blob/blob.config.js'

/** The built-in Storage Queue Data roles (Azure's GUIDs). */
export const QUEUE_ROLES = {
  contributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  reader: '19e7f393-937e-4f77-808e-94535e297925',
  sender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a',
  processor: '8a0f0c08-91a1-4084-bc3d-661d67233fed',
} as const

export const QUEUE_CLIENT = join(resolve(import.meta.dirname, 'fixtures'), 'queue-client.js')

/** The Queue endpoint `keyless up` publishes in endpoints.json. */
export function queueEndpointOf(k: KeylessProcess): string {
  const endpoint = (k.endpoints as unknown as Record<string, unknown>).queueEndpoint
  if (typeof endpoint !== 'string') throw new Error('endpoints.json names no queueEndpoint')
  return endpoint
}

export interface QueueEnv extends BlobEnv {
  queueEndpoint: string
  queueUrl(account: string): string
  /** Runs the queue SDK fixture as `vm` under `keyless run`. */
  runQueue(vm: string, account: string, ops: object[]): Promise<OpResult[]>
}

export async function startQueueEnv(): Promise<QueueEnv> {
  const env = await startBlobEnv()
  const queueEndpoint = queueEndpointOf(env.k)
  const queueUrl = (account: string) => `${queueEndpoint}/${account}`
  return {
    ...env,
    queueEndpoint,
    queueUrl,
    async runQueue(vm, account, ops) {
      const { done } = runAs(env.k, vm, [QUEUE_CLIENT, queueUrl(account), JSON.stringify(ops)])
      const r = await done
      const last = r.stdout.trim().split('\n').pop() ?? ''
      try {
        return JSON.parse(last).results as OpResult[]
      } catch {
        throw new Error(`client failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`)
      }
    },
  }
}

export function byId(results: OpResult[]): Record<string, OpResult> {
  return Object.fromEntries(results.map((r) => [r.op, r]))
}
