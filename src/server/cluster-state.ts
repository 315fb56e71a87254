// What replicas of `keyless server` share besides the directory, kept in the database
// (cluster_state) instead of a data directory: the master-key check, the CA, the TLS material
// they serve and the operator's credential, each secret one sealed under the `cluster-state`
// key. The first replica to start on an empty database creates them; the others, even starting
// at the same moment, wait on the initialisation lock and then read what it created. All of it
// happens in one transaction, so a failed start leaves nothing behind.
import type { KeyHierarchy } from '../common/key-hierarchy.js'
import { masterKeyCheck, matchesMasterKeyCheck } from '../common/master-key-check.js'
import type { PemPair } from '../common/pki.js'
import { openJwe, sealJwe } from '../common/sealed-jwe.js'
import { bootstrapInTransaction, type Installation } from '../directory/bootstrap.js'
import type { Repositories, Store } from '../store/store.js'
import { generateClientSecret, hashClientSecret } from '../sts/index.js'
import {
  certificateStillServes,
  namesTheCaCannotCertify,
  newTlsCertificate,
  type TlsNames,
} from './tls-material.js'
import { newCertificateAuthority, tlsIssuer, type CaSet } from './ca-set.js'

export interface OperatorCredential {
  tenantId: string
  clientId: string
  clientSecret: string
}

export interface ClusterState {
  /** The CA set (cluster-ca.ts rotates and retires it). */
  ca: CaSet
  /** The TLS material every replica serves (unless one is given its own). */
  tls: PemPair
  installation: Installation
  operator: OperatorCredential
  /** Whether this start initialised the database. */
  initialised: boolean
}

/** A replica started with another master key than the one the database was set up with. */
export class MasterKeyMismatch extends Error {
  constructor() {
    super(
      'the master key does not match the one this database was initialised with: every replica ' +
        'must be given the same key (--master-key-file or KEYLESS_MASTER_KEY_FILE); nothing was changed',
    )
    this.name = 'MasterKeyMismatch'
  }
}

export const CLUSTER_ROWS = {
  keyCheck: 'master-key-check',
  ca: 'ca',
  /** The previous CA while it is trusted; null once retired. */
  caPrevious: 'ca-previous',
  tls: 'tls',
  operator: 'operator-credential',
} as const

export interface OpenClusterOptions {
  now: number
  /** The names the shared TLS certificate must cover (public URL host and loopback). */
  names: TlsNames
}

export async function openClusterState(
  store: Store,
  keys: KeyHierarchy,
  o: OpenClusterOptions,
): Promise<ClusterState> {
  return store.transaction(async (tx) => {
    await tx.clusterState.lockForInitialisation()
    const check = await tx.clusterState.fetch(CLUSTER_ROWS.keyCheck)
    if (check !== undefined && !matchesMasterKeyCheck(keys, check.value)) {
      throw new MasterKeyMismatch()
    }
    const initialised = check === undefined
    if (initialised) {
      await tx.clusterState.save({
        name: CLUSTER_ROWS.keyCheck,
        value: masterKeyCheck(keys),
        updated_at: o.now,
      })
    }
    const sealed = sealedRows(tx, keys, o.now)
    const ca = await openCaSet(sealed)
    if (ca.active === undefined) {
      ca.active = await newCertificateAuthority(o.now, o.names)
      await sealed.save(CLUSTER_ROWS.ca, ca.active)
    }
    const cas = ca as CaSet
    const outside = namesTheCaCannotCertify(cas.active.certPem, o.names)
    if (outside.length > 0) {
      throw new TypeError(
        `the cluster's CA may not certify ${outside.join(', ')}: its name constraint was set ` +
          'by the first replica; give the public URL it was created with, or --tls-cert/--tls-key',
      )
    }
    let tls = await sealed.open<PemPair>(CLUSTER_ROWS.tls)
    const issuer = tlsIssuer(cas, o.names)
    if (tls === undefined || !certificateStillServes(tls.certPem, o.names, o.now, issuer)) {
      tls = await newTlsCertificate(issuer, o.names, o.now)
      await sealed.save(CLUSTER_ROWS.tls, tls)
    }
    let operator = await sealed.open<OperatorCredential>(CLUSTER_ROWS.operator)
    const installation = await bootstrapInTransaction(tx, {
      now: o.now,
      issueSecret: operator === undefined,
      generateSecret: generateClientSecret,
      hashSecret: hashClientSecret,
    })
    if (installation.operatorSecret !== undefined) {
      operator = {
        tenantId: installation.tenantId,
        clientId: installation.operator.appId,
        clientSecret: installation.operatorSecret,
      }
      await sealed.save(CLUSTER_ROWS.operator, operator)
    }
    const { operatorSecret: _, ...shared } = installation
    return { ca: cas, tls, installation: shared, operator: operator!, initialised }
  })
}

/** The CA set as the cluster keeps it: `active` undefined before the first replica made one. */
export async function openCaSet(
  sealed: ReturnType<typeof sealedRows>,
): Promise<Partial<CaSet> & Pick<CaSet, 'previous'>> {
  const active = await sealed.open<PemPair>(CLUSTER_ROWS.ca)
  const previous = (await sealed.open<PemPair | null>(CLUSTER_ROWS.caPrevious)) ?? undefined
  return { active, ...(previous && { previous }) }
}

/** Rows sealed under the `cluster-state` key; each names its row in its protected header, so a
 * value copied into another row does not open there. */
export function sealedRows(tx: Repositories, keys: KeyHierarchy, now: number) {
  const key = keys.forPurpose('cluster-state')
  return {
    async open<T>(name: string): Promise<T | undefined> {
      const row = await tx.clusterState.fetch(name)
      if (row === undefined) return undefined
      const { plaintext, protectedHeader } = await openJwe(row.value, key)
      if (protectedHeader.cty !== name) throw new TypeError(`cluster state ${name} is misplaced`)
      return JSON.parse(Buffer.from(plaintext).toString('utf8')) as T
    },
    async save(name: string, value: unknown): Promise<void> {
      const jwe = await sealJwe(Buffer.from(JSON.stringify(value), 'utf8'), key, { cty: name })
      await tx.clusterState.save({ name, value: jwe, updated_at: now })
    },
  }
}
