// `keyless logs`: the sign-in log (every token request), the activity log (every control-plane
// write), their JSON-lines export and the chain check. Keyless's own API (/keyless/v1/logs);
// the activity log is also served in Azure Monitor's shape for `@azure/arm-monitor`.
import { Option, type Command } from 'commander'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  ACTIVITY_LOG_API_PATH,
  LOG_VERIFY_PATH,
  SIGN_IN_LOG_PATH,
  type LogEntryView,
  type LogPage,
} from '../../common/logs-protocol.js'
import type { ActivityRecord, SignInRecord } from '../../domain/log-records.js'
import { apiCommand, examples, type Context } from '../command.js'
import { CliError, EXIT } from '../errors.js'
import { renderTable, type Column } from '../output.js'
import { parseSince } from '../since.js'

type SignIn = LogEntryView<SignInRecord>
type Activity = LogEntryView<ActivityRecord>

const signInColumns: Column<SignIn>[] = [
  { header: 'Time', value: (e) => e.createdDateTime },
  { header: 'Result', value: (e) => (e.status.errorCode === 0 ? 'issued' : 'refused') },
  { header: 'Protocol', value: (e) => e.protocol },
  { header: 'AppId', value: (e) => e.appId },
  { header: 'ServicePrincipalId', value: (e) => e.servicePrincipalId },
  { header: 'Identity', value: (e) => e.managedServiceIdentity?.associatedResourceId },
  { header: 'Resource', value: (e) => e.resourceId },
  { header: 'Host', value: (e) => e.hostId },
  { header: 'ErrorCode', value: (e) => (e.status.errorCode === 0 ? '' : e.status.errorCode) },
  { header: 'LatencyMs', value: (e) => e.latencyMs },
]

const activityColumns: Column<Activity>[] = [
  { header: 'Time', value: (e) => e.eventTimestamp },
  { header: 'Status', value: (e) => e.status },
  { header: 'Operation', value: (e) => e.operationName },
  { header: 'Resource', value: (e) => e.scope },
  { header: 'Caller', value: (e) => e.caller },
  { header: 'HttpStatus', value: (e) => e.httpStatusCode },
  { header: 'CorrelationId', value: (e) => e.correlationId },
]

interface LogFlags {
  since?: string
  until?: string
  identity?: string
  result?: string
  limit?: string
  follow?: boolean
}

const FOLLOW_POLL_MS = 1000

const common = (cmd: Command) =>
  cmd
    .option('--since <when>', 'entries since a duration ago (30m, 1h, 7d) or a time', (v: string) =>
      parseSince(v),
    )
    .option('--until <when>', 'entries until a duration ago or a time', (v: string) =>
      parseSince(v),
    )
    .option('--limit <n>', 'at most this many entries (newest first)')
    .option('--follow', 'keep printing new entries as they are written (Ctrl-C ends)')

function query(flags: LogFlags, extra: Record<string, string | undefined>) {
  const q: Record<string, string> = {}
  const all = {
    since: flags.since,
    until: flags.until,
    identity: flags.identity,
    result: flags.result,
    limit: flags.limit,
    ...extra,
  }
  for (const [k, v] of Object.entries(all)) if (v !== undefined) q[k] = v
  return q
}

/** Prints the newest entries (oldest of them first), then, with --follow, every new one. */
async function show<R extends { seq: number }>(
  ctx: Context,
  path: string,
  q: Record<string, string>,
  columns: Column<R>[],
  follow: boolean,
) {
  const page = await ctx.client.request<LogPage<R>>('GET', path, { query: q })
  const entries = (page.value as unknown as R[]).slice().reverse()
  if (!follow) return ctx.print(page.value, columns, entries)
  // Following prints one line per entry: JSON lines, or table rows under one header.
  const table = ctx.format === 'table'
  const line = (e: R) => (table ? renderTable([e], columns).split('\n')[2]! : JSON.stringify(e))
  if (table) process.stdout.write(renderTable([], columns) + '\n')
  let after = entries.reduce((max, e) => Math.max(max, e.seq), 0)
  for (const e of entries) process.stdout.write(line(e) + '\n')
  const { limit: _limit, ...rest } = q
  for (;;) {
    await sleep(FOLLOW_POLL_MS)
    const next = await ctx.client.request<LogPage<R>>('GET', path, {
      query: { ...rest, afterSeq: String(after) },
    })
    for (const e of next.value as unknown as R[]) {
      process.stdout.write(line(e) + '\n')
      after = Math.max(after, e.seq)
    }
  }
}

/** Every entry, oldest first, one JSON object per line (for files and log shippers). */
async function exportLines(ctx: Context, path: string, q: Record<string, string>) {
  let afterSeq = 0
  for (;;) {
    const page = await ctx.client.request<LogPage<{ seq: number }>>('GET', path, {
      query: { ...q, afterSeq: String(afterSeq), limit: '1000' },
    })
    if (page.value.length === 0) return
    process.stdout.write(page.value.map((e) => JSON.stringify(e)).join('\n') + '\n')
    afterSeq = page.value[page.value.length - 1]!.seq
  }
}

export function registerLogs(program: Command): void {
  const logs = program
    .command('logs')
    .description('the sign-in log (token requests) and the activity log (control-plane writes)')

  examples(
    apiCommand<LogFlags & { resource?: string; host?: string }>(
      common(
        logs
          .command('signins')
          .description('token requests, issued and refused, newest last')
          .option('--identity <id>', 'object id, client id or identity resource id')
          .option('--resource <audience>', 'the audience asked for')
          .option('--host <hostId>', 'the agent host that asked')
          .addOption(
            new Option('--result <result>', 'issued or refused').choices([
              'issued',
              'refused',
              'success',
              'failure',
            ]),
          ),
      ),
      (ctx, _args, flags) =>
        show(
          ctx,
          SIGN_IN_LOG_PATH,
          query(flags, { resource: flags.resource, hostId: flags.host }),
          signInColumns,
          flags.follow === true,
        ),
    ),
    [
      'keyless logs signins --since 1h --result refused -o table',
      'keyless logs signins --identity <clientId> --follow',
    ],
  )

  examples(
    apiCommand<LogFlags & { resourceGroup?: string; resource?: string; correlationId?: string }>(
      common(
        logs
          .command('activity')
          .description('control-plane writes, succeeded and failed, newest last')
          .option('--identity <objectId>', 'the caller')
          .option('-g, --resource-group <group>', 'writes in this resource group')
          .option('--resource <id>', 'writes to this resource id')
          .option('--correlation-id <id>', 'writes of one correlation')
          .addOption(
            new Option('--result <status>', 'succeeded, failed or accepted').choices([
              'succeeded',
              'failed',
              'accepted',
            ]),
          ),
      ),
      (ctx, _args, flags) =>
        show(
          ctx,
          ACTIVITY_LOG_API_PATH,
          query(flags, {
            resourceGroupName: flags.resourceGroup,
            resourceUri: flags.resource,
            correlationId: flags.correlationId,
          }),
          activityColumns,
          flags.follow === true,
        ),
    ),
    ['keyless logs activity -g prod --since 1d -o table'],
  )

  examples(
    apiCommand<{ since?: string; until?: string }>(
      logs
        .command('export')
        .description('every entry of a log, oldest first, as JSON lines')
        .argument('<log>', 'signins or activity')
        .option('--since <when>', 'entries since a duration ago or a time', (v: string) =>
          parseSince(v),
        )
        .option('--until <when>', 'entries until a duration ago or a time', (v: string) =>
          parseSince(v),
        ),
      async (ctx, [log], flags) => {
        const path = { signins: SIGN_IN_LOG_PATH, activity: ACTIVITY_LOG_API_PATH }[log!]
        if (!path) throw new CliError(EXIT.usage, "the log must be 'signins' or 'activity'")
        await exportLines(ctx, path, query(flags, {}))
      },
    ),
    ['keyless logs export signins --since 7d > signins.jsonl'],
  )

  examples(
    apiCommand(
      logs
        .command('verify')
        .description('check the hash chain of both logs and name the first broken entry'),
      async (ctx) => {
        const checks = await ctx.client.request<Record<string, ChainCheckView>>(
          'GET',
          LOG_VERIFY_PATH,
        )
        const rows = Object.entries(checks).map(([log, c]) => ({ log, ...c }))
        ctx.print(checks, verifyColumns, rows)
        const broken = rows.find((r) => !r.ok)
        if (broken) {
          const b = broken.firstBroken!
          throw new CliError(
            EXIT.apiError,
            `the ${broken.log} log is broken at entry ${b.seq}${b.id ? ` (${b.id})` : ''}: ${b.reason}`,
            'LogChainBroken',
          )
        }
      },
    ),
    ['keyless logs verify'],
    'Exit 1 names the first entry that no longer fits the chain (edited, removed or reordered).',
  )
}

interface ChainCheckView {
  ok: boolean
  checked: number
  anchor: { seq: number; hash: string }
  head: { seq: number; hash: string }
  firstBroken?: { seq: number; reason: string; id?: string }
}

const verifyColumns: Column<ChainCheckView & { log: string }>[] = [
  { header: 'Log', value: (r) => r.log },
  { header: 'Sound', value: (r) => (r.ok ? 'yes' : 'NO') },
  { header: 'Checked', value: (r) => r.checked },
  { header: 'Head', value: (r) => r.head.seq },
  { header: 'Anchor', value: (r) => r.anchor.seq },
  {
    header: 'FirstBroken',
    value: (r) => (r.firstBroken ? `${r.firstBroken.seq} ${r.firstBroken.reason}` : ''),
  },
]
