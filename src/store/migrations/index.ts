// Migrations listed in code rather than found by scanning a folder: the compiled dist/ holds
// .js, .d.ts and .map files side by side, and a bundled or packaged build has no folder at all.
// Kysely runs them in the order of their names, so every name starts with an ISO date.
import type { Migration, MigrationProvider } from 'kysely'
import * as initial from './2026-11-23T00-initial.js'
import * as rbac from './2026-11-23T01-rbac.js'
import * as hosts from './2026-11-23T02-hosts.js'
import * as vault from './2026-11-23T03-vault.js'
import * as blob from './2026-11-23T04-blob.js'
import * as assertionIds from './2026-12-07T120-assertion-ids.js'
import * as scopeKeyCollation from './2026-12-07T130-scope-key-collation.js'
import * as vaultKeys from './2026-12-07T150-vault-keys.js'
import * as auditLogs from './2026-12-07T160-audit-logs.js'
import * as joinTokenMachines from './2026-12-07T200-join-token-machines.js'
import * as federatedCredentials from './2026-12-07T210-federated-credentials.js'
import * as clusterState from './2026-12-08T100-cluster-state.js'
import * as queues from './2026-12-08T110-queues.js'
import * as hostCertificateIssuer from './2026-12-09T200-host-certificate-issuer.js'
import * as portalSessions from './2026-12-09T700-portal-sessions.js'
import * as attachmentSelectors from './2026-12-09T750-attachment-selectors.js'

export const migrations: Readonly<Record<string, Migration>> = Object.freeze({
  '2026-11-23T00-initial': initial,
  '2026-11-23T01-rbac': rbac,
  '2026-11-23T02-hosts': hosts,
  '2026-11-23T03-vault': vault,
  '2026-11-23T04-blob': blob,
  '2026-12-07T120-assertion-ids': assertionIds,
  '2026-12-07T130-scope-key-collation': scopeKeyCollation,
  '2026-12-07T150-vault-keys': vaultKeys,
  '2026-12-07T160-audit-logs': auditLogs,
  '2026-12-07T200-join-token-machines': joinTokenMachines,
  '2026-12-07T210-federated-credentials': federatedCredentials,
  '2026-12-08T100-cluster-state': clusterState,
  '2026-12-08T110-queues': queues,
  '2026-12-09T200-host-certificate-issuer': hostCertificateIssuer,
  // T700, not T0700: names sort as strings, and this must come after T200 above.
  '2026-12-09T700-portal-sessions': portalSessions,
  // T750, not T0500 (the name first planned): it must sort after T700 above, which databases
  // migrated by earlier builds have already applied.
  '2026-12-09T750-attachment-selectors': attachmentSelectors,
})

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => ({ ...migrations }),
}
