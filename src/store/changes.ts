import { NotFound } from '../domain/errors.js'

/** Kysely skips undefined values, and an update with nothing to set is not valid SQL. */
export function hasChanges(changes: object): boolean {
  return Object.values(changes).some((value) => value !== undefined)
}

export function affectedRows(count: bigint | undefined): number {
  return Number(count ?? 0n)
}

export function assertFound(found: boolean, code: string, message: string): void {
  if (!found) throw new NotFound(code, message)
}
