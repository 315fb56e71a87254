// Every default in one place (STYLE §5). Durations are in seconds in config, as operators write
// them; code converts once in config.ts.
import { DEFAULT_MAX_FEDERATED_CREDENTIALS } from '../domain/federated-credential.js'

/** What `keyless up` adds to DEFAULTS, below every other layer: on one machine Keyless serves
 * vaults by name, and `keyless run` makes the names resolve (`""` in config turns it off). */
export const UP_DEFAULTS = {
  /** `*.localhost` is loopback by RFC 6761, but node's getaddrinfo on Debian does not resolve it
   * (no nss-myhostname), so the names resolve only where `keyless run` mounts its hosts file. */
  vaultHostSuffix: 'vault.keyless.localhost',
} as const

export const DEFAULTS = {
  dataDir: './.keyless',
  host: '127.0.0.1',
  port: 8443,
  databaseUrl: undefined as string | undefined,
  signingAlgorithm: 'RS256' as 'RS256' | 'ES256' | 'EdDSA',
  /** Managed-identity tokens live 24 h, like Azure's (identity-protocols.md §10). */
  tokenLifetimeSeconds: 86_400,
  /** Tokens for application principals (the operator): Entra's default of about an hour. */
  appTokenLifetimeSeconds: 3_600,
  keyRotation: {
    intervalSeconds: 30 * 86_400,
    /** Verifiers cache JWKS for minutes to a day; two days of pre-publication covers them. */
    prePublishSeconds: 2 * 86_400,
    skewSeconds: 300,
  },
  /** Audiences the control plane accepts besides its own URL (Azure's two ARM audiences). */
  managementAudiences: ['https://management.azure.com/', 'https://management.core.windows.net/'],
  /** Host credentials are short-lived: agents renew them at two thirds of their life. */
  hostCertificateLifetimeSeconds: 86_400,
  joinTokenLifetimeSeconds: 3_600,
  logLevel: 'info',
  /** Request log: undefined means `<dataDir>/keyless.log`; `-` means stdout. */
  logFile: undefined as string | undefined,
  /** Blob data plane: its own HTTPS port (0 = a free one) and the largest blob accepted. */
  blobPort: 0,
  blobMaxBytes: 256 * 1024 * 1024,
  /** Queue data plane: its own HTTPS port (0 = a free one, then remembered in ports.json). */
  queuePort: 0,
  /** Key Vault data plane: without a suffix each vault gets its own listener on 127.0.0.1 (its
   * clients set `disableChallengeResourceVerification`); with one, every vault is served at
   * `https://<vault>.<suffix>:<vaultPort>/` for machines where those names resolve. */
  vaultHostSuffix: undefined as string | undefined,
  vaultPort: 0,
  /** The sign-in log: every token request is recorded (and none is issued unrecorded). Off
   * only to measure what it costs. */
  signInLog: true as boolean,
  /** Sign-in and activity log entries older than this are pruned (behind the chain anchor). */
  logRetentionDays: 30,
  /** Federated identity credentials per user-assigned identity (Azure allows 20). */
  maxFederatedCredentials: DEFAULT_MAX_FEDERATED_CREDENTIALS as number,
  /** Workload identity federation: how external issuers' tokens are checked (docs/federation.md). */
  federation: {
    /** Issuer URLs (exactly as in `iss`) whose discovery and JWKS may be fetched from private,
     * loopback or link-local addresses; any other issuer must resolve to public addresses only. */
    privateIssuers: [] as readonly string[],
    /** Each discovery or JWKS fetch: the whole response within this time, and at most this size. */
    fetchTimeoutSeconds: 3,
    maxDocumentBytes: 65_536,
    /** An issuer's keys are used this long before they are fetched again. */
    keysCacheSeconds: 600,
    /** Least time between fetches for one issuer: after a failure, or for an unknown `kid`. */
    keysRefetchSeconds: 30,
    /** Clock skew allowed on an assertion's exp, nbf and iat. */
    clockSkewSeconds: 60,
    /** Longest assertion accepted (exp − iat): Kubernetes service-account tokens live up to a day. */
    maxAssertionLifetimeSeconds: 86_400,
    /** The issuer URL that tokens for `issuerAudiences` carry, where `keyless oidc export`'s
     * files are published; null: the v1 issuer `<authority>/<tenantId>/`, served live. */
    publicIssuer: null as string | null,
    /** Audiences whose tokens are meant for another cloud's federation (docs/federation.md). */
    issuerAudiences: ['api://AzureADTokenExchange'] as readonly string[],
  },
} as const
