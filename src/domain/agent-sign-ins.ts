// The sign-ins an agent reports (AGENT_SIGNINS_PATH), checked field by field before the server
// appends them: a batch is taken whole or refused whole, and what the server stamps (`id`,
// `source`, `hostId`) is never taken from the agent. Which resources a record may name is the
// caller's check (hosts-api.ts), against the directory.
import { BadRequest } from './errors.js'
import type { SignInRecord } from './log-records.js'
import { parseResourceId } from './resource-id.js'

/** The protocols an agent answers (agent/identity-request.ts names them so). */
export const AGENT_PROTOCOLS = ['imds', 'appservice', 'appservice2017', 'servicefabric', 'arc']

const ISO_UTC =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const FIELDS = new Set([
  'createdDateTime',
  'correlationId',
  'protocol',
  'appId',
  'servicePrincipalId',
  'managedServiceIdentity',
  'callerResourceId',
  'resourceId',
  'resourceDisplayName',
  'latencyMs',
  'status',
  'process',
  'isCacheHit',
  'requestCount',
])

/** The most cache hits one record may stand for (an agent flushes at least every second). */
export const MAX_REQUEST_COUNT = 1_000_000

const invalid = (message: string, target: string) =>
  new BadRequest('InvalidRequestContent', message, { target })

type Fields = Record<string, unknown>

function isObject(v: unknown): v is Fields {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function text(o: Fields, key: string, at: string, max = 2048): string | undefined {
  const v = o[key]
  if (v === undefined) return undefined
  if (typeof v !== 'string' || v === '' || v.length > max) {
    throw invalid(`${at}.${key} must be a non-empty string of at most ${max} characters`, at)
  }
  return v
}

function guid(o: Fields, key: string, at: string): string | undefined {
  const v = text(o, key, at, 36)
  if (v !== undefined && !GUID.test(v)) throw invalid(`${at}.${key} must be a GUID`, at)
  return v
}

function resourceId(o: Fields, key: string, at: string): string | undefined {
  const v = text(o, key, at)
  if (v === undefined) return undefined
  try {
    if (parseResourceId(v).kind === 'resource') return v
  } catch {
    // refused below
  }
  throw invalid(`${at}.${key} must be an ARM resource id`, at)
}

function count(v: unknown, key: string, at: string, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > max) {
    throw invalid(`${at}.${key} must be a number from 0 to ${max}`, at)
  }
  return v
}

function statusOf(v: unknown, at: string): SignInRecord['status'] {
  if (!isObject(v)) throw invalid(`${at}.status must be an object`, at)
  for (const k of Object.keys(v)) {
    if (k !== 'errorCode' && k !== 'failureReason' && k !== 'additionalDetails') {
      throw invalid(`${at}.status has an unknown property '${k}'`, at)
    }
  }
  const errorCode = count(v.errorCode, 'status.errorCode', at, 2 ** 31)
  if (!Number.isInteger(errorCode)) throw invalid(`${at}.status.errorCode must be whole`, at)
  const failureReason = text(v, 'failureReason', `${at}.status`)
  const additionalDetails = text(v, 'additionalDetails', `${at}.status`, 128)
  if (errorCode === 0 && failureReason !== undefined) {
    throw invalid(`${at}.status: a success has no failureReason`, at)
  }
  if (errorCode !== 0 && failureReason === undefined) {
    throw invalid(`${at}.status: a refusal needs its failureReason`, at)
  }
  return {
    errorCode,
    ...(failureReason !== undefined && { failureReason }),
    ...(additionalDetails !== undefined && { additionalDetails }),
  }
}

function processOf(v: unknown, at: string): SignInRecord['process'] {
  if (v === undefined) return undefined
  if (!isObject(v)) throw invalid(`${at}.process must be an object`, at)
  const out: NonNullable<SignInRecord['process']> = {}
  for (const [k, value] of Object.entries(v)) {
    if (k === 'pid' || k === 'uid') {
      const n = count(value, `process.${k}`, at, 2 ** 32 - 1)
      if (!Number.isInteger(n)) throw invalid(`${at}.process.${k} must be whole`, at)
      out[k] = n
    } else if (k === 'exe') {
      out.exe = text(v, 'exe', `${at}.process`, 4096)
    } else {
      throw invalid(`${at}.process has an unknown property '${k}'`, at)
    }
  }
  return out
}

function msiOf(v: unknown, at: string): SignInRecord['managedServiceIdentity'] {
  if (v === undefined) return undefined
  if (!isObject(v) || Object.keys(v).some((k) => k !== 'msiType' && k !== 'associatedResourceId'))
    throw invalid(`${at}.managedServiceIdentity must be {msiType, associatedResourceId}`, at)
  if (v.msiType !== 'systemAssigned' && v.msiType !== 'userAssigned') {
    throw invalid(`${at}.managedServiceIdentity.msiType must be systemAssigned or userAssigned`, at)
  }
  const associated = resourceId(v, 'associatedResourceId', `${at}.managedServiceIdentity`)
  if (associated === undefined) {
    throw invalid(`${at}.managedServiceIdentity.associatedResourceId is required`, at)
  }
  return { msiType: v.msiType, associatedResourceId: associated }
}

/** Only a successful cache hit folds others in; absent means one request. */
function requestCountOf(v: Fields, at: string): number | undefined {
  if (v.requestCount === undefined) return undefined
  const n = v.requestCount
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_REQUEST_COUNT) {
    throw invalid(`${at}.requestCount must be an integer from 1 to ${MAX_REQUEST_COUNT}`, at)
  }
  if (v.isCacheHit !== true) throw invalid(`${at}.requestCount is only for cache hits`, at)
  return n
}

/** One reported record, checked; the server's stamps added. Throws a 400 naming the field. */
function readOne(v: unknown, at: string, stamp: { id: string; hostId: string }): SignInRecord {
  if (!isObject(v)) throw invalid(`${at} must be an object`, at)
  for (const k of Object.keys(v)) {
    if (!FIELDS.has(k)) throw invalid(`${at} has an unknown property '${k}'`, at)
  }
  const created = text(v, 'createdDateTime', at, 64)
  // UTC as toISOString writes it, so that records sort and filter as text.
  if (created === undefined || !ISO_UTC.test(created)) {
    throw invalid(`${at}.createdDateTime must be a UTC date-time (YYYY-MM-DDThh:mm:ss.sssZ)`, at)
  }
  const correlationId = guid(v, 'correlationId', at)
  if (correlationId === undefined) throw invalid(`${at}.correlationId is required`, at)
  const protocol = text(v, 'protocol', at, 32)
  if (protocol === undefined || !AGENT_PROTOCOLS.includes(protocol)) {
    throw invalid(`${at}.protocol must be one of ${AGENT_PROTOCOLS.join(', ')}`, at)
  }
  if (v.isCacheHit !== undefined && typeof v.isCacheHit !== 'boolean') {
    throw invalid(`${at}.isCacheHit must be a boolean`, at)
  }
  const record: SignInRecord = {
    id: stamp.id,
    createdDateTime: created,
    correlationId,
    source: 'agent',
    protocol,
    appId: guid(v, 'appId', at),
    servicePrincipalId: guid(v, 'servicePrincipalId', at),
    managedServiceIdentity: msiOf(v.managedServiceIdentity, at),
    callerResourceId: resourceId(v, 'callerResourceId', at),
    resourceId: text(v, 'resourceId', at),
    resourceDisplayName: text(v, 'resourceDisplayName', at),
    hostId: stamp.hostId,
    latencyMs: count(v.latencyMs, 'latencyMs', at, 3_600_000),
    status: statusOf(v.status, at),
    process: processOf(v.process, at),
    isCacheHit: v.isCacheHit as boolean | undefined,
    requestCount: requestCountOf(v, at),
  }
  // Absent fields stay absent in the stored JSON.
  for (const k of Object.keys(record) as (keyof SignInRecord)[]) {
    if (record[k] === undefined) delete record[k]
  }
  return record
}

/**
 * A report's records, checked and stamped, or a 400 for the first bad one (nothing is taken).
 * `newId` gives each record its id.
 */
export function readAgentSignIns(
  body: unknown,
  hostId: string,
  max: number,
  newId: () => string,
): SignInRecord[] {
  if (!isObject(body) || Object.keys(body).some((k) => k !== 'value')) {
    throw invalid('the body must be {"value": [sign-in, …]}', 'value')
  }
  const value = body.value
  if (!Array.isArray(value) || value.length === 0 || value.length > max) {
    throw invalid(`value must be an array of 1 to ${max} sign-ins`, 'value')
  }
  return value.map((v, i) => readOne(v, `value[${i}]`, { id: newId(), hostId }))
}

/**
 * The compute resources a batch names as callers and must be placed on the reporting host
 * (their lower-case keys). A refusal because the caller is not there (or does not exist) is
 * the one record that names a resource of no host's: the server has already refused it so.
 */
export function callersToCheck(
  records: SignInRecord[],
  notThereCodes: readonly number[],
): Map<string, string> {
  const out = new Map<string, string>()
  for (const r of records) {
    if (r.callerResourceId === undefined) continue
    if (notThereCodes.includes(r.status.errorCode)) continue
    out.set(parseResourceId(r.callerResourceId).key, r.callerResourceId)
  }
  return out
}
