// Which subscriptions a caller sees, as ARM decides for GET /subscriptions (what `az login` and
// `az account list` read): those in which it holds any role assignment, at the subscription,
// anywhere below it, or above it at the root. A managed identity that is Reader on one resource
// group sees that group's subscription; one with no assignment sees an empty list, not a 403.

/** Whether a principal holding assignments at `scopes` (lower-cased keys) sees the subscription. */
export function seesSubscription(scopes: readonly string[], subscriptionId: string): boolean {
  const sub = `/subscriptions/${subscriptionId.toLowerCase()}`
  return scopes.some((s) => s === '/' || s === sub || s.startsWith(`${sub}/`))
}
