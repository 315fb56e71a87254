// Checks on what a request carries: api-version, names, versions, paging and bodies. Each
// failure is a 400 `BadParameter` with a message naming the field, as Key Vault answers.
import { VaultErrors } from './errors.js'

/** Key Vault's api-versions: 7.0 to 7.6 (and their previews), 2016-10-01, 2025-07-01. */
const API_VERSION = /^(7\.[0-6](-preview(\.\d+)?)?|2016-10-01|2025-07-01)$/
export const LATEST_API_VERSION = '2025-07-01'

/** The api-version of a query string, read as decoded (`api%2Dversion` is `api-version`). */
export function apiVersionOf(url: string): string {
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : ''
  const version = new URLSearchParams(query).get('api-version')
  if (version === null || version === '') {
    throw VaultErrors.badParameter('The api-version query parameter is missing.')
  }
  if (!API_VERSION.test(version)) {
    throw VaultErrors.badParameter(
      `The specified version (${version.slice(0, 40)}) is not recognized. Consider using the latest supported version (${LATEST_API_VERSION}).`,
    )
  }
  return version
}

const NAME = /^[0-9a-zA-Z-]{1,127}$/
const VERSION = /^[0-9a-fA-F]{32}$/

export function checkName(name: string): string {
  if (!NAME.test(name)) {
    throw VaultErrors.badParameter(
      `The request URI contains an invalid name: ${name.slice(0, 130)}. Names are 1-127 letters, digits and dashes.`,
    )
  }
  return name
}

/** A version from the path: empty means the latest; anything but 32 hex digits is not found. */
export function checkVersion(name: string, version: string | undefined): string | undefined {
  if (version === undefined || version === '') return undefined
  if (!VERSION.test(version)) throw VaultErrors.secretNotFound(`${name}/${version.slice(0, 64)}`)
  return version.toLowerCase()
}

/** `maxresults`: 1 to 25, default 25 (Key Vault's page size limit). */
export function maxResultsOf(value: unknown): number {
  if (value === undefined || value === '') return 25
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 25) {
    throw VaultErrors.badParameter('maxresults must be an integer from 1 to 25.')
  }
  return n
}

export interface SecretInput {
  value?: string
  contentType?: string | null
  tags?: Record<string, string> | null
  enabled?: boolean
  /** Epoch ms, or null to clear. */
  nbf?: number | null
  exp?: number | null
}

export const MAX_VALUE_BYTES = 25 * 1024

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

function time(name: string, v: unknown): number | null | undefined {
  if (v === undefined || v === null) return v
  if (!Number.isInteger(v))
    throw VaultErrors.badParameter(`attributes.${name} must be Unix seconds.`)
  return (v as number) * 1000
}

export function tagsOf(v: unknown): Record<string, string> | null | undefined {
  if (v === undefined || v === null) return v
  if (!isObject(v)) throw VaultErrors.badParameter('tags must be an object of strings.')
  const entries = Object.entries(v)
  if (entries.length > 15) throw VaultErrors.badParameter('A secret can have at most 15 tags.')
  for (const [k, value] of entries) {
    if (typeof value !== 'string' || k.length > 512 || value.length > 256) {
      throw VaultErrors.badParameter(`Tag '${k.slice(0, 64)}' is not valid.`)
    }
  }
  return Object.fromEntries(entries) as Record<string, string>
}

function common(body: Record<string, unknown>): SecretInput {
  const out: SecretInput = {}
  const ct = body.contentType
  if (ct !== undefined && ct !== null && (typeof ct !== 'string' || ct.length > 255)) {
    throw VaultErrors.badParameter('contentType must be a string of at most 255 characters.')
  }
  if (ct !== undefined) out.contentType = ct as string | null
  const tags = tagsOf(body.tags)
  if (tags !== undefined) out.tags = tags
  return { ...out, ...attributesOf(body.attributes) }
}

export type AttributeInput = Pick<SecretInput, 'enabled' | 'nbf' | 'exp'>

/** `attributes`: `enabled`, and `nbf`/`exp` in Unix seconds (null clears). */
export function attributesOf(a: unknown): AttributeInput {
  const out: AttributeInput = {}
  if (a === undefined || a === null) return out
  if (!isObject(a)) throw VaultErrors.badParameter('attributes must be an object.')
  if (a.enabled !== undefined && a.enabled !== null && typeof a.enabled !== 'boolean') {
    throw VaultErrors.badParameter('attributes.enabled must be a boolean.')
  }
  if (typeof a.enabled === 'boolean') out.enabled = a.enabled
  const nbf = time('nbf', a.nbf)
  const exp = time('exp', a.exp)
  if (nbf !== undefined) out.nbf = nbf
  if (exp !== undefined) out.exp = exp
  return out
}

export function parseSetBody(body: unknown): SecretInput & { value: string } {
  if (!isObject(body)) throw VaultErrors.badParameter('The request body must be a JSON object.')
  if (typeof body.value !== 'string') throw VaultErrors.badParameter('Property value is required.')
  if (Buffer.byteLength(body.value, 'utf8') > MAX_VALUE_BYTES) {
    throw VaultErrors.badParameter('The secret value exceeds the maximum size of 25 KB.')
  }
  return { ...common(body), value: body.value }
}

export function parseUpdateBody(body: unknown): SecretInput {
  if (body === undefined || body === null) return {}
  if (!isObject(body)) throw VaultErrors.badParameter('The request body must be a JSON object.')
  return common(body)
}

export function parseRestoreBody(body: unknown): string {
  if (!isObject(body) || typeof body.value !== 'string' || body.value === '') {
    throw VaultErrors.badParameter('Property value (the backup blob) is required.')
  }
  return body.value
}
