// Microsoft.ManagedIdentity/userAssignedIdentities/{name}/federatedIdentityCredentials: PUT
// 201/200, GET, DELETE 200/204 and the list, in the shape @azure/arm-msi and azure-mgmt-msi read
// (a proxy resource: id, name, type, properties). The body rules are the domain's.
import { parseFederatedCredentialBody } from '../../domain/federated-credential.js'
import type { FederatedCredentialView } from '../../directory/federated-credentials.js'
import type { Operation } from '../context.js'
import { listBody } from '../paging.js'

function credentialJson(v: FederatedCredentialView) {
  return {
    id: v.id,
    name: v.name,
    type: v.type,
    properties: {
      issuer: v.issuer,
      ...(v.subject !== undefined ? { subject: v.subject } : {}),
      audiences: v.audiences,
      ...(v.claimsMatchingExpression
        ? { claimsMatchingExpression: v.claimsMatchingExpression }
        : {}),
    },
  }
}

export const putFederatedCredential: Operation<'federatedCredential'> = async (c) => {
  const input = parseFederatedCredentialBody(c.request.body)
  const { credential, created } = await c.directory.federatedCredentials.put(
    c.target.identity,
    c.target.name,
    input,
  )
  return c.reply.code(created ? 201 : 200).send(credentialJson(credential))
}

export const getFederatedCredential: Operation<'federatedCredential'> = async (c) =>
  c.reply.send(
    credentialJson(await c.directory.federatedCredentials.get(c.target.identity, c.target.name)),
  )

export const deleteFederatedCredential: Operation<'federatedCredential'> = async (c) => {
  const deleted = await c.directory.federatedCredentials.delete(c.target.identity, c.target.name)
  return c.reply.code(deleted ? 200 : 204).send()
}

// One page: the per-identity limit bounds the list.
export const listFederatedCredentials: Operation<'federatedCredentials'> = async (c) =>
  c.reply.send(
    listBody(
      (await c.directory.federatedCredentials.list(c.target.identity)).map(credentialJson),
      undefined,
    ),
  )
