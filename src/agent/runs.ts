// Runs: a workload started as a compute resource. Each run gets what its protocol needs:
//   appservice  a fresh IDENTITY_HEADER on the shared App Service listener
//   imds        its own IMDS listener (AZURE_POD_IDENTITY_AUTHORITY_HOST)
//   arc         its own Arc listener (IDENTITY_ENDPOINT + IMDS_ENDPOINT)
// Runs are kept in runs.json (header digests only, never the header), so a restarted agent
// serves the processes it served before, on the same ports.
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeSecretFile } from '../common/files.js'
import type { Clock } from '../domain/clock.js'
import { BadRequest, NotFound } from '../domain/errors.js'
import { parseResourceId } from '../domain/resource-id.js'
import type { LocalListener } from './http-listener.js'
import type { IdentityHeaders } from './identity-headers.js'
import type { Logger } from './respond.js'
import { APPSERVICE_TOKEN_PATH, IMDS_TOKEN_PATH, type Caller } from './token-endpoint.js'

export const RUN_PROTOCOLS = ['appservice', 'imds', 'arc'] as const
export type RunProtocol = (typeof RUN_PROTOCOLS)[number]

export interface Run {
  id: string
  resourceId: string
  protocol: RunProtocol
  /** Epoch ms. */
  createdAt: number
  /** What the workload's environment needs; present only in the answer that created the run. */
  env?: Record<string, string>
}

interface RunRecord extends Omit<Run, 'env'> {
  headerDigest?: string
  port?: number
}

export interface RunsOptions {
  stateDir: string
  clock: Clock
  headers: IdentityHeaders
  /** Base URL of the shared App Service listener. */
  appServiceUrl: string
  openListener: (
    protocol: 'imds' | 'arc',
    runId: string,
    caller: Caller,
    port: number,
  ) => Promise<LocalListener>
  log: Logger
}

export type Runs = ReturnType<typeof createRuns>

function callerOf(resourceId: string): Caller {
  let parsed
  try {
    parsed = parseResourceId(resourceId)
  } catch (e) {
    throw new BadRequest('InvalidResourceId', (e as Error).message)
  }
  if (parsed.kind !== 'resource') {
    throw new BadRequest('InvalidResourceId', `'${resourceId}' is not the id of a resource`)
  }
  return { resourceId: parsed.id, key: parsed.key }
}

function envFor(protocol: RunProtocol, base: string, header?: string): Record<string, string> {
  switch (protocol) {
    case 'appservice':
      return { IDENTITY_ENDPOINT: `${base}${APPSERVICE_TOKEN_PATH}`, IDENTITY_HEADER: header! }
    case 'imds':
      return { AZURE_POD_IDENTITY_AUTHORITY_HOST: base }
    case 'arc':
      return { IDENTITY_ENDPOINT: `${base}${IMDS_TOKEN_PATH}`, IMDS_ENDPOINT: base }
  }
}

export function createRuns(o: RunsOptions) {
  const file = join(o.stateDir, 'runs.json')
  const records = new Map<string, RunRecord>()
  const listeners = new Map<string, LocalListener>()

  const save = () => writeSecretFile(file, JSON.stringify([...records.values()], null, 2) + '\n')
  const publicRun = ({ id, resourceId, protocol, createdAt }: RunRecord): Run => ({
    id,
    resourceId,
    protocol,
    createdAt,
  })

  async function attach(record: RunRecord, caller: Caller): Promise<string> {
    if (record.protocol === 'appservice') return o.appServiceUrl
    const listener = await o.openListener(record.protocol, record.id, caller, record.port ?? 0)
    listeners.set(record.id, listener)
    record.port = listener.port
    return listener.url
  }

  return {
    async create(resourceId: string, protocol: RunProtocol): Promise<Run> {
      if (!RUN_PROTOCOLS.includes(protocol)) {
        throw new BadRequest(
          'InvalidProtocol',
          `protocol must be one of ${RUN_PROTOCOLS.join(', ')}`,
        )
      }
      const caller = callerOf(resourceId)
      const record: RunRecord = {
        id: randomUUID(),
        resourceId: caller.resourceId,
        protocol,
        createdAt: o.clock.now(),
      }
      let header: string | undefined
      if (protocol === 'appservice') {
        const registered = o.headers.register(record.id, caller)
        header = registered.header
        record.headerDigest = registered.digest
      }
      const base = await attach(record, caller)
      records.set(record.id, record)
      save()
      o.log.info({ runId: record.id, resourceId: record.resourceId, protocol }, 'run created')
      return { ...publicRun(record), env: envFor(protocol, base, header) }
    },

    async delete(id: string): Promise<void> {
      const record = records.get(id)
      if (!record) throw new NotFound('RunNotFound', `run '${id}' does not exist`)
      records.delete(id)
      o.headers.revoke(id)
      const listener = listeners.get(id)
      listeners.delete(id)
      save()
      await listener?.close()
      o.log.info({ runId: id }, 'run deleted')
    },

    list: (): Run[] => [...records.values()].map(publicRun),

    /** Serves the runs of the previous start again; a run whose port is taken is dropped. */
    async restore(): Promise<void> {
      if (!existsSync(file)) return
      const saved = JSON.parse(readFileSync(file, 'utf8')) as RunRecord[]
      for (const record of saved) {
        try {
          const caller = callerOf(record.resourceId)
          if (record.protocol === 'appservice') {
            o.headers.restore(record.id, caller, record.headerDigest ?? '')
          }
          await attach(record, caller)
          records.set(record.id, record)
        } catch (err) {
          o.log.warn({ runId: record.id, err: (err as Error).message }, 'run not restored')
        }
      }
      save()
    },

    /** Closes the listeners; the runs stay registered for the next start. */
    async close(): Promise<void> {
      await Promise.all([...listeners.values()].map((l) => l.close()))
      listeners.clear()
    },
  }
}
