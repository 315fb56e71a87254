// Runs: a workload started as a compute resource. Each run gets what its protocol needs:
//   appservice  a fresh IDENTITY_HEADER on the shared App Service listener
//   imds        its own IMDS listener (AZURE_POD_IDENTITY_AUTHORITY_HOST), or, for a resource
//               with its own network namespace (`netns`), 169.254.169.254:80 in that namespace
//               and no variable at all, as on an Azure VM (netns.ts)
//   arc         its own Arc listener (IDENTITY_ENDPOINT + IMDS_ENDPOINT)
//   servicefabric  its own HTTPS listener and a fresh IDENTITY_HEADER (its `Secret`), the
//               certificate's thumbprint in IDENTITY_SERVER_THUMBPRINT
// Runs are kept in runs.json (header digests only, never the header), so a restarted agent
// serves the processes it served before, on the same ports. Every run is bound to the uid that
// registered it (and `keyless run`'s to its process tree); a run may expire (run-binding.ts).
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeSecretFile } from '../common/files.js'
import type { Clock } from '../domain/clock.js'
import { BadRequest, Conflict, NotFound } from '../domain/errors.js'
import { parseResourceId } from '../domain/resource-id.js'
import type { LocalListener } from './http-listener.js'
import { assertNamespaceName } from './netns.js'
import type { IdentityHeaders } from './identity-headers.js'
import type { ProcessStart } from './peer-process.js'
import type { RunBinding } from './run-binding.js'
import type { Logger } from './respond.js'
import { SERVICE_FABRIC_API_VERSION } from './servicefabric-endpoint.js'
import { APPSERVICE_TOKEN_PATH, IMDS_TOKEN_PATH, type Caller } from './token-endpoint.js'

export const RUN_PROTOCOLS = ['appservice', 'imds', 'arc', 'servicefabric'] as const
export type RunProtocol = (typeof RUN_PROTOCOLS)[number]

export interface Run {
  id: string
  resourceId: string
  protocol: RunProtocol
  /** Epoch ms. */
  createdAt: number
  /** Epoch ms after which the run answers nobody and is removed; absent: until deleted. */
  expiresAt?: number
  /** The uid whose processes may use the run. */
  uid: number
  /** The process whose tree may use the run (`keyless run`), if bound to one. */
  pid?: number
  /** The resource's own network namespace: every process in it may use the run. */
  netns?: string
  /** Created for the resource's placement on this host (placements.ts), not by hand. */
  placed?: boolean
  /** What the workload's environment needs; present only in the answer that created the run. */
  env?: Record<string, string>
  /** Certificates a Node workload must trust (NODE_EXTRA_CA_CERTS): the Service Fabric
   * endpoint's and the Keyless CA; in the answer that created a servicefabric run. */
  trustFile?: string
}

/** A run's own listener; a TLS one names its certificate. */
export type RunListener = LocalListener & { tls?: { thumbprint: string; trustFile: string } }

/** Protocols whose runs are authenticated by a header the agent issues (identity-headers.ts). */
const usesHeader = (p: RunProtocol) => p === 'appservice' || p === 'servicefabric'
const headerScope = (p: RunProtocol) => (p === 'servicefabric' ? 'servicefabric' : 'appservice')

/** Who a new run is for, as the control API's caller states it. */
export interface RunOwner {
  uid?: number
  /** Bind to this process and its descendants. */
  pid?: number
  /** Lifetime in ms; absent: until deleted. */
  ttlMs?: number
  /** Serve IMDS at 169.254.169.254:80 in this network namespace (protocol imds only). */
  netns?: string
  placed?: boolean
}

interface RunRecord extends Omit<Run, 'env'> {
  headerDigest?: string
  port?: number
  tree?: ProcessStart
}

export interface RunsOptions {
  stateDir: string
  clock: Clock
  headers: IdentityHeaders
  /** Base URL of the shared App Service listener. */
  appServiceUrl: string
  openListener: (
    protocol: Exclude<RunProtocol, 'appservice'>,
    runId: string,
    caller: Caller,
    port: number,
    netns?: string,
  ) => Promise<RunListener>
  log: Logger
  /** The agent's own uid: the binding of a run whose creator did not say (and of older runs). */
  defaultUid: number
  /** The start of a live process, to bind a run to its tree; undefined if it is not running. */
  processStart: (pid: number) => ProcessStart | undefined
  /** Called when a run is removed (its faults go with it). */
  onDelete?: (runId: string) => void
}

export type Runs = ReturnType<typeof createRuns>

function parseResource(resourceId: string) {
  let parsed
  try {
    parsed = parseResourceId(resourceId)
  } catch (e) {
    throw new BadRequest('InvalidResourceId', (e as Error).message)
  }
  if (parsed.kind !== 'resource') {
    throw new BadRequest('InvalidResourceId', `'${resourceId}' is not the id of a resource`)
  }
  return parsed
}

function callerOf(record: RunRecord): Caller {
  const parsed = parseResource(record.resourceId)
  // In its own namespace, the run's callers are whoever is in it, as on a VM.
  if (record.netns !== undefined)
    return { resourceId: parsed.id, key: parsed.key, runId: record.id }
  const binding: RunBinding = { uid: record.uid, tree: record.tree, expiresAt: record.expiresAt }
  return { resourceId: parsed.id, key: parsed.key, binding, runId: record.id }
}

const isId = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0

/**
 * What App Service gives a site: both pairs of variables, one listener and one secret, and the
 * site's name. az 2.45 (msrestazure `MSIAuthentication`) uses MSI_ENDPOINT with 2017-09-01 only
 * when APPSETTING_WEBSITE_SITE_NAME is set; without it, it POSTs as to Cloud Shell.
 */
function appServiceEnv(endpoint: string, header: string, name: string): Record<string, string> {
  return {
    IDENTITY_ENDPOINT: endpoint,
    IDENTITY_HEADER: header,
    MSI_ENDPOINT: endpoint,
    MSI_SECRET: header,
    WEBSITE_SITE_NAME: name,
    APPSETTING_WEBSITE_SITE_NAME: name,
  }
}

function envFor(
  protocol: RunProtocol,
  base: string,
  resourceName: string,
  header?: string,
  netns?: string,
  thumbprint?: string,
): Record<string, string> {
  switch (protocol) {
    case 'appservice':
      return appServiceEnv(`${base}${APPSERVICE_TOKEN_PATH}`, header!, resourceName)
    case 'imds':
      return netns === undefined ? { AZURE_POD_IDENTITY_AUTHORITY_HOST: base } : {}
    case 'arc':
      return { IDENTITY_ENDPOINT: `${base}${IMDS_TOKEN_PATH}`, IMDS_ENDPOINT: base }
    case 'servicefabric':
      return {
        IDENTITY_ENDPOINT: `${base}${IMDS_TOKEN_PATH}`,
        IDENTITY_HEADER: header!,
        IDENTITY_SERVER_THUMBPRINT: thumbprint!,
        IDENTITY_API_VERSION: SERVICE_FABRIC_API_VERSION,
      }
  }
}

export function createRuns(o: RunsOptions) {
  const file = join(o.stateDir, 'runs.json')
  const records = new Map<string, RunRecord>()
  const listeners = new Map<string, RunListener>()

  const save = () => writeSecretFile(file, JSON.stringify([...records.values()], null, 2) + '\n')
  const publicRun = (r: RunRecord): Run => ({
    id: r.id,
    resourceId: r.resourceId,
    protocol: r.protocol,
    createdAt: r.createdAt,
    ...(r.expiresAt === undefined ? {} : { expiresAt: r.expiresAt }),
    uid: r.uid,
    ...(r.tree ? { pid: r.tree.pid } : {}),
    ...(r.netns === undefined ? {} : { netns: r.netns }),
    ...(r.placed ? { placed: true } : {}),
  })

  /** The namespace of a new run, checked: imds only, not bound to a process, one run each. */
  function namespaceOf(protocol: RunProtocol, owner: RunOwner): string | undefined {
    const { netns } = owner
    if (netns === undefined) return undefined
    assertNamespaceName(netns)
    if (protocol !== 'imds') {
      throw new BadRequest('InvalidProtocol', 'a network namespace is served over imds only')
    }
    if (owner.pid !== undefined || owner.ttlMs !== undefined) {
      throw new BadRequest(
        'InvalidRequest',
        'a run in a network namespace is bound to its namespace, not to a pid or a ttl',
      )
    }
    const holder = [...records.values()].find((r) => r.netns === netns)
    if (holder) {
      throw new Conflict(
        'NetnsInUse',
        `network namespace '${netns}' already has IMDS, for ${holder.resourceId} (run ${holder.id})`,
      )
    }
    return netns
  }

  function ownerFields(owner: RunOwner): Pick<RunRecord, 'uid' | 'tree' | 'expiresAt'> {
    const { uid = o.defaultUid, pid, ttlMs } = owner
    if (!isId(uid)) throw new BadRequest('InvalidRequest', 'uid must be a non-negative integer')
    if (ttlMs !== undefined && !(Number.isSafeInteger(ttlMs) && ttlMs > 0)) {
      throw new BadRequest('InvalidRequest', 'ttlSeconds must be a positive integer')
    }
    let tree: ProcessStart | undefined
    if (pid !== undefined) {
      tree = isId(pid) ? o.processStart(pid) : undefined
      if (!tree)
        throw new BadRequest('InvalidRequest', `pid ${String(pid)} is not a running process`)
    }
    return { uid, tree, expiresAt: ttlMs === undefined ? undefined : o.clock.now() + ttlMs }
  }

  async function remove(id: string, why: string): Promise<void> {
    records.delete(id)
    o.headers.revoke(id)
    o.onDelete?.(id)
    const listener = listeners.get(id)
    listeners.delete(id)
    save()
    await listener?.close()
    o.log.info({ runId: id, why }, 'run deleted')
  }

  async function attach(record: RunRecord, caller: Caller): Promise<RunListener | string> {
    if (record.protocol === 'appservice') return o.appServiceUrl
    const listener = await o.openListener(
      record.protocol,
      record.id,
      caller,
      record.port ?? 0,
      record.netns,
    )
    listeners.set(record.id, listener)
    record.port = listener.port
    return listener
  }

  return {
    async create(resourceId: string, protocol: RunProtocol, owner: RunOwner = {}): Promise<Run> {
      if (!RUN_PROTOCOLS.includes(protocol)) {
        throw new BadRequest(
          'InvalidProtocol',
          `protocol must be one of ${RUN_PROTOCOLS.join(', ')}`,
        )
      }
      const netns = namespaceOf(protocol, owner)
      const record: RunRecord = {
        id: randomUUID(),
        resourceId: parseResource(resourceId).id,
        protocol,
        createdAt: o.clock.now(),
        ...ownerFields(owner),
        ...(netns === undefined ? {} : { netns }),
        ...(netns !== undefined && owner.placed ? { placed: true } : {}),
      }
      const caller = callerOf(record)
      let header: string | undefined
      if (usesHeader(protocol)) {
        const registered = o.headers.register(record.id, caller, headerScope(protocol))
        header = registered.header
        record.headerDigest = registered.digest
      }
      let attached
      try {
        attached = await attach(record, caller)
      } catch (err) {
        o.headers.revoke(record.id)
        throw err
      }
      const base = typeof attached === 'string' ? attached : attached.url
      const tls = typeof attached === 'string' ? undefined : attached.tls
      records.set(record.id, record)
      save()
      o.log.info(
        { runId: record.id, resourceId: record.resourceId, protocol, netns, uid: record.uid },
        'run created',
      )
      const name = parseResource(record.resourceId).names[0] ?? ''
      return {
        ...publicRun(record),
        env: envFor(protocol, base, name, header, record.netns, tls?.thumbprint),
        ...(tls ? { trustFile: tls.trustFile } : {}),
      }
    },

    async delete(id: string): Promise<void> {
      const record = records.get(id)
      if (!record) throw new NotFound('RunNotFound', `run '${id}' does not exist`)
      await remove(id, 'deleted')
    },

    /** Removes the runs that have expired; returns how many. */
    async prune(): Promise<number> {
      const now = o.clock.now()
      const expired = [...records.values()].filter(
        (r) => r.expiresAt !== undefined && r.expiresAt <= now,
      )
      for (const r of expired) await remove(r.id, 'expired')
      return expired.length
    },

    list: (): Run[] => [...records.values()].map(publicRun),

    /** Serves the runs of the previous start again; a run whose port is taken is dropped. */
    async restore(): Promise<void> {
      if (!existsSync(file)) return
      const saved = JSON.parse(readFileSync(file, 'utf8')) as RunRecord[]
      const now = o.clock.now()
      for (const record of saved) {
        if (record.expiresAt !== undefined && record.expiresAt <= now) continue
        // Runs saved before binding existed answer the agent's own uid only.
        if (!isId(record.uid)) record.uid = o.defaultUid
        try {
          const caller = callerOf(record)
          if (usesHeader(record.protocol)) {
            o.headers.restore(
              record.id,
              caller,
              record.headerDigest ?? '',
              headerScope(record.protocol),
            )
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
