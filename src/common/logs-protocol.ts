// Keyless's own API for the sign-in and activity logs (the activity log is also served in
// Azure Monitor's shape, arm/insights/activity-logs.ts). Shared by the server and the CLI.
import { API_PREFIX } from './agent-protocol.js'

export const SIGN_IN_LOG_PATH = `${API_PREFIX}/logs/signIns`
export const ACTIVITY_LOG_API_PATH = `${API_PREFIX}/logs/activity`
export const LOG_VERIFY_PATH = `${API_PREFIX}/logs/verify`
/** The action (at `/`) that reads both logs; Reader has it through `*\/read`. */
export const READ_LOGS_ACTION = 'Keyless/logs/read'

/** One entry as the API returns it: the record and its place in the chain. */
export type LogEntryView<R> = R & { seq: number; hash: string }

export interface LogPage<R> {
  value: LogEntryView<R>[]
  /** Pass as `after` for the next (older) page; absent on the last page. */
  next?: string
}
