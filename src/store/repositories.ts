import type { Kysely } from 'kysely'
import { createAssertionIdStore } from './assertion-id-store.js'
import { createAttachmentStore } from './attachment-store.js'
import { createBlobContainerStore } from './blob-container-store.js'
import { createBlobStore } from './blob-store.js'
import { createClientSecretStore } from './client-secret-store.js'
import { createClusterStateStore } from './cluster-state-store.js'
import { createActivityStore } from './logs/activity-store.js'
import { createSignInStore } from './logs/sign-in-store.js'
import { createDenyAssignmentStore } from './deny-assignment-store.js'
import { createEventStore } from './event-store.js'
import { createFederatedCredentialStore } from './federated-credential-store.js'
import { createHostStore } from './host-store.js'
import { createJoinTokenStore } from './join-token-store.js'
import { createPortalSessionStore } from './portal-session-store.js'
import { createPrincipalStore } from './principal-store.js'
import { createQueueStore } from './queue-store.js'
import { createResourceGroupStore } from './resource-group-store.js'
import { createResourceStore } from './resource-store.js'
import { createRoleAssignmentStore } from './role-assignment-store.js'
import { createRoleDefinitionStore } from './role-definition-store.js'
import type { Database } from './schema.js'
import { createSealedValueStore } from './sealed-value-store.js'
import { createSigningKeyStore } from './signing-key-store.js'
import type { Repositories, StoreCapabilities } from './store.js'
import { createSubscriptionStore } from './subscription-store.js'
import { createTenantStore } from './tenant-store.js'
import { withTranslatedErrors } from './translate-error.js'
import {
  createVaultEndpointStore,
  createVaultKeyPolicyStore,
  createVaultKeyStore,
  createVaultSecretStore,
} from './vault-secret-store.js'

/** Every repository over one handle: the pool, or a transaction (a Transaction is a Kysely). */
export function createRepositories(
  db: Kysely<Database>,
  capabilities: StoreCapabilities,
): Repositories {
  return {
    tenants: withTranslatedErrors(createTenantStore(db)),
    subscriptions: withTranslatedErrors(createSubscriptionStore(db)),
    resourceGroups: withTranslatedErrors(createResourceGroupStore(db)),
    resources: withTranslatedErrors(createResourceStore(db)),
    principals: withTranslatedErrors(createPrincipalStore(db)),
    attachments: withTranslatedErrors(createAttachmentStore(db)),
    clientSecrets: withTranslatedErrors(createClientSecretStore(db)),
    signingKeys: withTranslatedErrors(createSigningKeyStore(db, capabilities)),
    events: withTranslatedErrors(createEventStore(db, capabilities)),
    roleDefinitions: withTranslatedErrors(createRoleDefinitionStore(db)),
    roleAssignments: withTranslatedErrors(createRoleAssignmentStore(db)),
    denyAssignments: withTranslatedErrors(createDenyAssignmentStore(db)),
    hosts: withTranslatedErrors(createHostStore(db)),
    joinTokens: withTranslatedErrors(createJoinTokenStore(db)),
    portalSessions: withTranslatedErrors(createPortalSessionStore(db)),
    assertionIds: withTranslatedErrors(createAssertionIdStore(db)),
    federatedCredentials: withTranslatedErrors(createFederatedCredentialStore(db)),
    vaultSecrets: withTranslatedErrors(createVaultSecretStore(db)),
    vaultEndpoints: withTranslatedErrors(createVaultEndpointStore(db)),
    vaultKeys: withTranslatedErrors(createVaultKeyStore(db)),
    vaultKeyPolicies: withTranslatedErrors(createVaultKeyPolicyStore(db)),
    blobContainers: withTranslatedErrors(createBlobContainerStore(db, capabilities)),
    blobs: withTranslatedErrors(createBlobStore(db)),
    queues: withTranslatedErrors(createQueueStore(db, capabilities)),
    clusterState: withTranslatedErrors(createClusterStateStore(db, capabilities)),
    sealedValues: withTranslatedErrors(createSealedValueStore(db)),
    signIns: withTranslatedErrors(createSignInStore(db, capabilities)),
    activity: withTranslatedErrors(createActivityStore(db, capabilities)),
  }
}
