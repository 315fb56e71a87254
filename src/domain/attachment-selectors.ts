// Which stored process selectors a PUT or PATCH of a compute resource's `identity` changes
// (process-selectors.ts; the wire form is identity-spec.ts). As with the rest of `identity`, a
// PUT replaces: a selector-less attachment in a PUT has none. A PATCH keeps what it leaves out.
import { BadRequest } from './errors.js'
import type { IdentityPlan } from './identity-lifecycle.js'
import type { IdentitySpec } from './identity-spec.js'
import { hasSelectors, SELECTORS_PROPERTY, serializeSelectors } from './process-selectors.js'

export interface SelectorChanges {
  /** The system identity's, stored form (null: none); undefined: left as stored. */
  system?: string | null
  /** By identity key: those of attachments that stay or are made by this request. */
  userAssigned: Map<string, string | null>
}

export function planSelectorChanges(
  spec: IdentitySpec | undefined,
  plan: IdentityPlan,
  mode: 'put' | 'patch',
): SelectorChanges {
  const out: SelectorChanges = { userAssigned: new Map() }
  if (!plan.next.system) {
    if (hasSelectors(spec?.systemSelectors)) {
      throw new BadRequest(
        'InvalidSelectors',
        `identity.${SELECTORS_PROPERTY} applies to the system-assigned identity, which the resource does not have`,
        { target: `identity.${SELECTORS_PROPERTY}` },
      )
    }
    if (plan.deleteSystem || mode === 'put') out.system = null
  } else if (mode === 'put' || plan.createSystem || spec?.systemSelectors !== undefined) {
    out.system = serializeSelectors(spec?.systemSelectors)
  }
  const attached = new Set(plan.next.userAssigned)
  for (const change of spec?.userAssignedIdentities ?? []) {
    if (change.remove || !attached.has(change.id.key)) continue
    const isNew = plan.attach.some((id) => id.key === change.id.key)
    if (mode === 'put' || isNew || change.selectors !== undefined) {
      out.userAssigned.set(change.id.key, serializeSelectors(change.selectors))
    }
  }
  return out
}
