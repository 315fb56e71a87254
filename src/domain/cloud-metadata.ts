// ARM's cloud metadata document (`GET <arm>/metadata/endpoints?api-version=…`), from which a
// client learns a cloud's endpoints from one URL. Its shape depends on the api-version, and each
// shape has readers that parse it literally:
//   - before 2019-05-01: one object with `*Endpoint` keys and `authentication`. msrestazure's
//     `_populate_from_metadata_endpoint` (behind `az cloud register --endpoint-resource-manager`)
//     asks 2015-01-01 and reads `graphEndpoint`, `galleryEndpoint` and `authentication`.
//   - 2019-05-01 up to 2022-09-01: an array of clouds, each named (`name`) with its
//     `resourceManager`, `suffixes`, … (azure-cli's `ARM_CLOUD_METADATA_URL`, `_arm_to_cli_mapper`).
//   - from 2022-09-01: the answering cloud alone, one object of the array's item shape
//     (go-azure-sdk's `metaDataResponse20220901`).
// The login endpoint is an AD FS authority (`<base>/adfs`): MSAL and az skip the public cloud's
// instance discovery for it, which is what lets `az login --service-principal` reach Keyless
// (sts/discovery.ts serves what that authority needs).

export interface CloudEndpoints {
  /** The cloud's name in the array shapes (`az cloud set --name`). */
  name: string
  /** `https://host:port`, no trailing slash. */
  baseUrl: string
  /** Tokens for ARM may carry these; the first is what clients ask for. */
  audiences: readonly string[]
  /** Key Vault's DNS suffix (`vault.example.test`) when vaults are served by host name. */
  keyVaultDns?: string
}

export const ARRAY_SHAPE_SINCE = '2019-05-01'
export const SINGLE_CLOUD_SINCE = '2022-09-01'

/** The AD FS authority clients sign in at. */
export const adfsAuthority = (baseUrl: string) => `${baseUrl}/adfs`

function cloudItem(c: CloudEndpoints) {
  const root = `${c.baseUrl}/`
  return {
    name: c.name,
    portal: root,
    authentication: {
      loginEndpoint: adfsAuthority(c.baseUrl),
      audiences: [...c.audiences],
      tenant: 'adfs',
      identityProvider: 'ADFS',
    },
    resourceManager: root,
    // Azure AD Graph is retired; its resource id must still be set for az to register a cloud.
    graph: root,
    graphAudience: root,
    // Keyless serves Microsoft Graph's directory reads on the same listener (arm/graph).
    microsoftGraphResourceId: root,
    suffixes: c.keyVaultDns === undefined ? {} : { keyVaultDns: c.keyVaultDns },
  }
}

function legacyDocument(c: CloudEndpoints) {
  const root = `${c.baseUrl}/`
  return {
    galleryEndpoint: root,
    graphEndpoint: root,
    portalEndpoint: root,
    authentication: {
      loginEndpoint: adfsAuthority(c.baseUrl),
      audiences: [...c.audiences],
    },
  }
}

/** The document for `apiVersion` (already checked well-formed: `YYYY-MM-DD[-suffix]`). */
export function cloudMetadata(apiVersion: string, c: CloudEndpoints): unknown {
  const date = apiVersion.slice(0, 10)
  if (date < ARRAY_SHAPE_SINCE) return legacyDocument(c)
  if (date < SINGLE_CLOUD_SINCE) return [cloudItem(c)]
  return cloudItem(c)
}
