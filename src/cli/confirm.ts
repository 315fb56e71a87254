// Asking before destroying: at a terminal the user answers y/N; anywhere else only `--yes`
// proceeds, so a script never deletes on a default.
import { createInterface } from 'node:readline/promises'
import { CliError, EXIT, usageError } from './errors.js'

/** `action` completes "Are you sure you want to …", e.g. "delete resource group 'rg1'". */
export async function confirm(action: string, yes: boolean | undefined): Promise<void> {
  if (yes) return
  if (!process.stdin.isTTY) {
    throw usageError(`refusing to ${action} without confirmation: pass --yes`)
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await rl.question(`Are you sure you want to ${action}? (y/N): `)
    if (!/^y(es)?$/i.test(answer.trim())) {
      throw new CliError(EXIT.apiError, 'cancelled, nothing was deleted')
    }
  } finally {
    rl.close()
  }
}
