// Frozen in time (see 2026-11-23T00-initial.ts): federated identity credentials of user-assigned
// identities (Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials).
// The foreign key has no cascade on purpose: the directory deletes an identity's credentials in
// the transaction that deletes the identity (domain/identity-lifecycle.ts), and the key makes a
// forgotten step fail instead of leaving credentials that a token exchange could still match.
import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('federated_credentials')
    .addColumn('identity_key', 'text', (col) => col.notNull().references('resources.key'))
    .addColumn('name_key', 'text', (col) => col.notNull())
    .addColumn('id', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('issuer', 'text', (col) => col.notNull())
    .addColumn('subject', 'text')
    .addColumn('audiences', 'text', (col) => col.notNull())
    .addColumn('claims_matching_expression', 'text')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('federated_credentials_pk', ['identity_key', 'name_key'])
    .execute()
  // Azure: the issuer and subject pair is unique within an identity. NULL subjects (expression
  // credentials) are distinct in both dialects, so this does not constrain those.
  await db.schema
    .createIndex('federated_credentials_issuer_subject')
    .on('federated_credentials')
    .columns(['identity_key', 'issuer', 'subject'])
    .unique()
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('federated_credentials').execute()
}
