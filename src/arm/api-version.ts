// `api-version` is required on every ARM request (reference §2). Keyless serves one shape per
// type whatever the version, so rather than a closed list it accepts any well-formed date
// version (`YYYY-MM-DD`, optionally `-preview`, `-privatepreview`, `-alpha`, `-beta`) dated on or
// after a per-family minimum: the first version whose wire shape Keyless speaks. Generic-by-id
// callers pick their own versions, and new SDK releases keep working.
//   - Compute from 2018-06-01: earlier versions attach user-assigned identities with an
//     `identityIds` array (qs-configure-rest-vm), which Keyless does not take.
//   - Web from 2018-02-01: the first version with `userAssignedIdentities` on sites.
//   - ManagedIdentity from 2015-08-31 (its first preview): the identity shape never changed.
//   - Authorization from 2015-07-01: role definitions, assignments and permissions kept their
//     shape since, newer versions only adding properties (principalType, condition); deny
//     assignments from 2018-07-01-preview, their first version. arm-authorization 9 sends
//     2022-04-01 for all four (reference §0).
// The listed versions are the ones the message names: the SDK defaults and their predecessors.
import { ArmErrors } from './errors.js'

export interface VersionPolicy {
  /** Oldest accepted date, `YYYY-MM-DD`. */
  readonly minimum: string
  /** Named in the error message, newest first. */
  readonly supported: readonly string[]
}

const policy = (supported: string[]): VersionPolicy =>
  Object.freeze({ minimum: supported[supported.length - 1]!.slice(0, 10), supported })

/** By lower-cased full type, else by lower-cased namespace. */
const POLICIES: Readonly<Record<string, VersionPolicy>> = {
  // prettier-ignore
  'microsoft.resources': policy(['2025-04-01', '2024-11-01', '2024-07-01', '2024-03-01', '2023-07-01', '2022-09-01', '2021-04-01', '2020-06-01', '2019-10-01', '2019-05-10', '2018-05-01', '2016-09-01', '2016-02-01', '2015-11-01', '2014-04-01']),
  // prettier-ignore
  'microsoft.managedidentity': policy(['2024-11-30', '2023-07-31-preview', '2023-01-31', '2022-01-31-preview', '2021-09-30-preview', '2018-11-30', '2015-08-31-preview']),
  // prettier-ignore
  'microsoft.compute': policy(['2024-11-01', '2024-07-01', '2024-03-01', '2023-09-01', '2023-07-01', '2023-03-01', '2022-11-01', '2022-08-01', '2022-03-01', '2021-11-01', '2021-07-01', '2021-03-01', '2020-12-01', '2020-06-01', '2019-12-01', '2019-07-01', '2019-03-01', '2018-10-01', '2018-06-01']),
  // prettier-ignore
  'microsoft.web': policy(['2024-04-01', '2023-12-01', '2023-01-01', '2022-09-01', '2022-03-01', '2021-03-01', '2021-02-01', '2021-01-15', '2020-12-01', '2020-10-01', '2020-09-01', '2020-06-01', '2019-08-01', '2018-11-01', '2018-02-01']),
  // prettier-ignore
  'microsoft.keyvault': policy(['2024-11-01', '2023-07-01', '2023-02-01', '2022-07-01', '2021-10-01', '2021-06-01-preview', '2019-09-01', '2018-02-14', '2016-10-01', '2015-06-01']),
  // prettier-ignore
  'microsoft.storage': policy(['2024-01-01', '2023-05-01', '2023-01-01', '2022-09-01', '2022-05-01', '2021-09-01', '2021-04-01', '2019-06-01', '2018-02-01', '2017-10-01', '2016-01-01']),
  // prettier-ignore
  'microsoft.authorization': policy(['2022-04-01', '2022-01-01-preview', '2020-10-01-preview', '2020-08-01-preview', '2020-04-01-preview', '2018-09-01-preview', '2018-07-01', '2018-01-01-preview', '2015-07-01']),
  'microsoft.authorization/denyassignments': policy(['2022-04-01', '2018-07-01-preview']),
  // prettier-ignore
  'microsoft.hybridcompute': policy(['2024-07-10', '2022-12-27', '2022-11-10', '2022-03-10', '2021-05-20', '2020-08-02', '2019-12-12']),
  'keyless.compute': policy(['2024-01-01']),
}

const FORMAT = /^(\d{4})-(\d{2})-(\d{2})(-(preview|privatepreview|alpha|beta))?$/i

function isCalendarDate(y: number, m: number, d: number): boolean {
  const t = new Date(Date.UTC(y, m - 1, d))
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d
}

/** The policy for a full type or a namespace (any casing); undefined when none applies. */
export function versionPolicy(typeOrNamespace: string): VersionPolicy | undefined {
  const key = typeOrNamespace.toLowerCase()
  return POLICIES[key] ?? POLICIES[key.split('/')[0]!]
}

/**
 * The `api-version` of a request: present, single and well-formed, else the ARM 400 naming the
 * versions of `typeOrNamespace` (as requested; Microsoft.Resources' when Keyless has none).
 */
export function readApiVersion(query: unknown, typeOrNamespace = 'Microsoft.Resources'): string {
  const raw = (query as Record<string, unknown> | undefined)?.['api-version']
  if (raw === undefined || raw === '') throw ArmErrors.missingApiVersion()
  const p = versionPolicy(typeOrNamespace) ?? POLICIES['microsoft.resources']!
  const m = typeof raw === 'string' ? FORMAT.exec(raw) : null
  if (!m || !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) {
    throw ArmErrors.invalidApiVersion(String(raw), p.supported, p.minimum)
  }
  return raw as string
}

/** Throws `InvalidApiVersionParameter` when `version` predates the family's minimum. */
export function assertApiVersionSupported(version: string, typeOrNamespace: string): void {
  const p = versionPolicy(typeOrNamespace)
  if (p === undefined) return
  if (version.slice(0, 10) < p.minimum) {
    throw ArmErrors.invalidApiVersion(version, p.supported, p.minimum)
  }
}
