// `keyless host`: the agents' hosts. The operator creates one-time join tokens for new hosts,
// lists the hosts, and revokes one (its agent stops serving tokens at once). Keyless's own API
// (/keyless/v1); a host enrolled with `--resource-group` also appears in ARM as its
// Microsoft.HybridCompute/machines resource, as Azure Arc shows a machine outside Azure.
import type { Command } from 'commander'
import { HOSTS_PATH, JOIN_TOKENS_PATH } from '../../common/agent-protocol.js'
import { groupPath } from '../arm-paths.js'
import { apiCommand, examples } from '../command.js'
import type { Column } from '../output.js'

interface Host {
  id: string
  name: string
  state: string
  isLocal: boolean
  certificateNotAfter: number
  certificateIssuer?: string
  renewedAt: number | null
  revokedAt: number | null
  machineId?: string
}

const time = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString())

const hostColumns: Column<Host>[] = [
  { header: 'HostId', value: (h) => h.id },
  { header: 'Name', value: (h) => h.name },
  { header: 'State', value: (h) => h.state },
  { header: 'Local', value: (h) => (h.isLocal ? 'yes' : '') },
  { header: 'CertificateNotAfter', value: (h) => time(h.certificateNotAfter) },
  // After a CA rotation, which hosts have moved over (docs/deploy.md "Rotating the CA").
  { header: 'CertificateIssuer', value: (h) => h.certificateIssuer?.replace(/^CN=/, '') ?? '' },
  { header: 'RevokedAt', value: (h) => time(h.revokedAt) },
  { header: 'Machine', value: (h) => h.machineId ?? '' },
]

const joinTokenColumns: Column<{ token: string; expiresAt: number }>[] = [
  { header: 'Token', value: (t) => t.token },
  { header: 'ExpiresAt', value: (t) => time(t.expiresAt) },
]

export function registerHost(program: Command): void {
  const host = program.command('host').description('manage the hosts agents run on')

  examples(
    apiCommand(
      host
        .command('join-token')
        .description('create a one-time join token that enrolls one agent (`keyless agent`)')
        .option(
          '-g, --resource-group <group>',
          'enroll the host as a Microsoft.HybridCompute/machines resource in this group (needs Microsoft.HybridCompute/machines/write there)',
        )
        .option('-l, --location <location>', "the machine's location (default: the group's)"),
      async (ctx, _args, opts: { resourceGroup?: string; location?: string }) => {
        const body = opts.resourceGroup
          ? {
              resourceGroupId: groupPath(ctx.subscriptionId, opts.resourceGroup),
              ...(opts.location ? { location: opts.location } : {}),
            }
          : undefined
        const created = await ctx.client.request<{ token: string; expiresAt: number }>(
          'POST',
          JOIN_TOKENS_PATH,
          { body },
        )
        ctx.print(created, joinTokenColumns)
      },
    ),
    [
      'keyless agent --server https://keyless.example:8443 --join-token "$(keyless host join-token -o json | jq -r .token)"',
      'keyless host join-token -g edge-machines   # the host appears as an Arc machine in edge-machines',
    ],
    'The token is shown once, expires unused after joinTokenLifetimeSeconds, and works once.',
  )

  apiCommand(host.command('list').description('list hosts, revoked ones included'), async (ctx) => {
    const { value } = await ctx.client.request<{ value: Host[] }>('GET', HOSTS_PATH)
    ctx.print(value, hostColumns)
  })

  examples(
    apiCommand(
      host
        .command('revoke')
        .description("revoke a host: its credential stops working and its agent's tokens stop")
        .argument('<hostId>', 'the host id (`keyless host list`)'),
      async (ctx, [hostId]) => {
        const revoked = await ctx.client.request<Host>(
          'POST',
          `${HOSTS_PATH}/${encodeURIComponent(hostId!)}/revoke`,
        )
        ctx.print(revoked, hostColumns)
      },
    ),
    ['keyless host revoke 3f1c…'],
  )
}
