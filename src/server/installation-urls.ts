// The URLs every endpoints.json names for an installation, from its public base URL: `keyless
// up`, each `keyless server` replica and `keyless server credentials` publish the same ones.
import { v1Issuer } from '../sts/discovery.js'

export type InstallationUrls = ReturnType<typeof installationUrls>

export function installationUrls(
  base: string,
  installation: { tenantId: string; subscriptionId: string },
) {
  const { tenantId, subscriptionId } = installation
  return {
    tenantId,
    subscriptionId,
    authorityHost: base,
    managementEndpoint: base,
    issuer: v1Issuer(base, tenantId),
    jwksUri: `${base}/${tenantId}/discovery/v2.0/keys`,
  }
}
