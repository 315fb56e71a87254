// `keyless portal [--as <principal>]`: a one-time sign-in link for the web portal (issue 17).
// The link works once, for five minutes; the page then acts with the RBAC of the caller, or of
// the principal named with --as (which needs Keyless/portal/links/write, Owner at '/' has it).
import type { Command } from 'commander'
import { apiCommand, examples } from '../command.js'
import type { Column } from '../output.js'
import { resolvePrincipal } from './principal-args.js'

/** Kept here rather than imported from portal/: the CLI reaches the server over HTTP only. */
const PORTAL_LINKS_PATH = '/keyless/v1/portal/links'

interface Link {
  url: string
  principalId: string
  displayName: string
  expiresAt: string
}

const columns: Column<Link>[] = [
  { header: 'Url', value: (l) => l.url },
  { header: 'ActsAs', value: (l) => l.displayName },
  { header: 'ExpiresAt', value: (l) => l.expiresAt },
]

export function registerPortal(program: Command): void {
  examples(
    apiCommand(
      program
        .command('portal')
        .description('print a one-time sign-in link for the web portal at /portal/')
        .option(
          '--as <principal>',
          'act as this principal (object id, app id, or resource id of an identity)',
        ),
      async (ctx, _args, flags: { as?: string }) => {
        const body = flags.as
          ? { principalId: (await resolvePrincipal(ctx, flags.as)).principalId }
          : {}
        const link = await ctx.client.request<Link>('POST', PORTAL_LINKS_PATH, { body })
        if (ctx.format === 'table' && !ctx.query) {
          process.stdout.write(
            `${link.url}\n\nOpen it within 5 minutes (it works once); the portal acts as ${link.displayName}.\n`,
          )
        } else ctx.print(link, columns)
      },
    ),
    [
      'keyless portal',
      'keyless portal --as /subscriptions/<id>/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/reader',
    ],
    'The link signs a browser in once; the session lasts 8 hours. Sign out from the page.',
  )
}
