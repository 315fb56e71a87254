// `keyless oidc export --out DIR`: the discovery document and JWKS of Keyless as an issuer for
// other clouds, as static files to publish at the issuer URL (federation.publicIssuer) on any
// HTTPS static host. Publish again after every key rotation, in the window the command prints:
// after the next key appears in the JWKS and before it starts signing (docs/federation.md).
import { join } from 'node:path'
import type { Command } from 'commander'
import { FEDERATION_ISSUER_PATH } from '../../common/agent-protocol.js'
import { writeFileAtomic } from '../../common/files.js'
import { EXPORT_FILES } from '../../domain/oidc-issuer.js'
import { apiCommand, examples } from '../command.js'

interface IssuerDocument {
  issuer: string
  discovery: unknown
  jwks: { keys: unknown[] }
  keys: { kid: string; signsFrom: string; signsUntil: string; publishedUntil: string }[]
  exportAgain: { after: string; before: string } | null
}

export function registerOidc(program: Command): void {
  const oidc = program
    .command('oidc')
    .description('Keyless as an OIDC issuer that Entra ID, AWS and GCP can trust')
  examples(
    apiCommand<{ out: string }>(
      oidc
        .command('export')
        .description('write the discovery document and JWKS as static files to publish')
        .requiredOption('--out <dir>', 'directory to write (publish it at the issuer URL)'),
      async (ctx, _args, opts) => {
        const doc = await ctx.client.request<IssuerDocument>('GET', FEDERATION_ISSUER_PATH)
        const discovery = join(opts.out, EXPORT_FILES.discovery)
        const jwks = join(opts.out, EXPORT_FILES.jwks)
        writeFileAtomic(discovery, JSON.stringify(doc.discovery, null, 2) + '\n')
        writeFileAtomic(jwks, JSON.stringify(doc.jwks, null, 2) + '\n')
        ctx.print(
          {
            issuer: doc.issuer,
            files: [discovery, jwks],
            keys: doc.keys,
            exportAgain: doc.exportAgain,
          },
          [
            { header: 'Issuer', value: (r: { issuer: string }) => r.issuer },
            { header: 'Files', value: () => `${EXPORT_FILES.discovery}, ${EXPORT_FILES.jwks}` },
            {
              header: 'Export again',
              value: () =>
                doc.exportAgain
                  ? `between ${doc.exportAgain.after} and ${doc.exportAgain.before}`
                  : '',
            },
          ],
        )
      },
    ),
    ['keyless oidc export --out ./issuer && aws s3 sync ./issuer s3://my-oidc-bucket/keyless'],
  )
}
