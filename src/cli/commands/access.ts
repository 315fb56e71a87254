// `keyless access check|explain`: asks Keyless's RBAC engine (`POST /keyless/v1/checkAccess`,
// the endpoint verify/authorizer.ts calls) whether a principal may perform actions at a scope,
// and why. `check` answers through its exit code, so scripts can branch on it.
import type { Command } from 'commander'
import { API_PREFIX } from '../../common/agent-protocol.js'
import { apiCommand, examples, type Context } from '../command.js'
import type { Column } from '../output.js'
import { EXIT } from '../errors.js'
import { resolvePrincipal } from './principal-args.js'
import { scopeArg } from './authorization-args.js'

const CHECK_ACCESS_PATH = `${API_PREFIX}/checkAccess`

interface AccessFlags {
  principal: string
  action: string[]
  scope: string
  data?: boolean
}

/** One answer of checkAccess; `explanation` (the chain) and `decision` (the structured
 * AccessDecision of domain/rbac/evaluate.ts) come with `explain: true`. */
interface Decision {
  action: string
  allowed: boolean
  explanation?: string
  decision?: { reason?: string }
}

const columns: Column<Decision>[] = [
  { header: 'Action', value: (d) => d.action },
  { header: 'Allowed', value: (d) => d.allowed },
]

function options(cmd: Command): Command {
  return cmd
    .requiredOption('--principal <principal>', 'object id, app id, or resource id of an identity')
    .requiredOption('--action <action...>', 'actions to check (repeat, or list several)')
    .requiredOption(
      '--scope <scope>',
      'scope acted on, e.g. /subscriptions/<id>/resourceGroups/rg1',
    )
    .option('--data', 'the actions are data actions (secrets, blobs), not control-plane ones')
}

async function ask(ctx: Context, flags: AccessFlags, explain: boolean): Promise<Decision[]> {
  const scope = scopeArg(flags.scope)
  const { principalId } = await resolvePrincipal(ctx, flags.principal)
  const body = {
    principalId,
    scope,
    actions: flags.action,
    explain,
    dataAction: flags.data === true,
  }
  const res = await ctx.client.request<{ value: Decision[] }>('POST', CHECK_ACCESS_PATH, { body })
  return res.value
}

/** The chain, one link a line: `principal … → role assignment … → role … → permission …`. */
function renderExplanations(decisions: Decision[]): string {
  return decisions
    .map((d) => {
      const text = typeof d.explanation === 'string' ? d.explanation : (d.decision?.reason ?? '')
      const links = text.split(' → ').map((link, i) => (i === 0 ? `  ${link}` : `    → ${link}`))
      return [`${d.allowed ? 'allowed' : 'denied'}: ${d.action}`, ...links].join('\n')
    })
    .join('\n\n')
}

const sample = [
  '--principal /subscriptions/<id>/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1',
  '--scope /subscriptions/<id>/resourceGroups/rg1',
].join(' ')

export function registerAccess(program: Command): void {
  const access = program
    .command('access')
    .description("check a principal's access the way Keyless decides it (Azure RBAC)")

  examples(
    apiCommand<AccessFlags>(
      options(access.command('check').description('whether a principal may perform actions')),
      async (ctx, _args, flags) => {
        const decisions = await ask(ctx, flags, false)
        ctx.print(decisions, columns)
        if (decisions.some((d) => !d.allowed)) process.exitCode = EXIT.apiError
      },
    ),
    [
      `keyless access check ${sample} --action Microsoft.Resources/subscriptions/resourceGroups/read`,
      `keyless access check ${sample} --data --action Microsoft.KeyVault/vaults/secrets/getSecret/action`,
    ],
    `Exit status: 0 when every action is allowed, 1 when any is denied (the decisions are
printed either way); 2 usage error, 3 principal or scope not found, 4 Keyless unreachable.`,
  )

  examples(
    apiCommand<AccessFlags>(
      options(
        access
          .command('explain')
          .description(
            'why a principal may or may not: principal → assignment → role → permission → scope',
          ),
      ),
      async (ctx, _args, flags) => {
        const decisions = await ask(ctx, flags, true)
        if (ctx.format !== 'table' || ctx.query) ctx.print(decisions, columns)
        else process.stdout.write(renderExplanations(decisions) + '\n')
      },
    ),
    [`keyless access explain ${sample} --action Microsoft.Compute/virtualMachines/write`],
    `Prints the chain of each decision; with -o json, the structured decisions. Exits 0 whether
access is allowed or not (use \`access check\` to branch on it).`,
  )
}
