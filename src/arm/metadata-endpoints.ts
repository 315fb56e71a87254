// GET /metadata/endpoints?api-version=…: the cloud metadata document (domain/cloud-metadata.ts),
// unauthenticated as in Azure, so that a client needs only ARM's URL to learn the rest.
// msrestazure appends the path to the ARM URL as given, so an URL typed with Azure's trailing
// slash asks for `//metadata/endpoints`; both paths answer.
import type { FastifyInstance } from 'fastify'
import type { PublicUrl } from '../common/public-url.js'
import { cloudMetadata } from '../domain/cloud-metadata.js'
import { readApiVersion } from './api-version.js'
import { renderArmError } from './envelope.js'

export interface MetadataEndpointsOptions {
  publicUrl: PublicUrl
  audiences: readonly string[]
  vaultHostSuffix?: string
}

/** The name az and the SDKs know this cloud by (`az cloud set --name Keyless`). */
export const CLOUD_NAME = 'Keyless'

export async function metadataEndpoints(
  app: FastifyInstance,
  o: MetadataEndpointsOptions,
): Promise<void> {
  app.setErrorHandler(renderArmError)
  for (const path of ['/metadata/endpoints', '//metadata/endpoints']) {
    app.get(path, async (request, reply) => {
      const apiVersion = readApiVersion(request.query)
      return reply.header('cache-control', 'public, max-age=300').send(
        cloudMetadata(apiVersion, {
          name: CLOUD_NAME,
          baseUrl: o.publicUrl().replace(/\/$/, ''),
          audiences: o.audiences,
          ...(o.vaultHostSuffix !== undefined && { keyVaultDns: o.vaultHostSuffix }),
        }),
      )
    })
  }
}
