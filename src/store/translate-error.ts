// The one boundary where driver errors become domain errors (Logto
// `koa-slonik-error-handler.ts`). Everything else passes through untouched.
import { Conflict, unavailableFrom } from '../domain/errors.js'

// better-sqlite3 reports SQLite's extended result codes; pg reports SQLSTATE codes.
const uniqueViolations = new Set([
  'SQLITE_CONSTRAINT_UNIQUE',
  'SQLITE_CONSTRAINT_PRIMARYKEY',
  '23505',
])
const foreignKeyViolations = new Set(['SQLITE_CONSTRAINT_FOREIGNKEY', '23503'])

export function translateError(error: unknown): unknown {
  const unavailable = unavailableFrom(error)
  if (unavailable) return unavailable
  const code =
    typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : null
  if (typeof code !== 'string') return error
  if (uniqueViolations.has(code)) {
    return new Conflict('Conflict', 'an object with the same key already exists', { cause: error })
  }
  if (foreignKeyViolations.has(code)) {
    return new Conflict('Conflict', 'a related object is missing or still refers to this one', {
      cause: error,
    })
  }
  return error
}

/** The same object with every method's rejections passed through `translateError`. */
export function withTranslatedErrors<T extends object>(target: T): T {
  const wrapped: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(target)) {
    wrapped[name] =
      typeof value === 'function'
        ? async (...args: unknown[]) => {
            try {
              return await value.apply(target, args)
            } catch (error) {
              throw translateError(error)
            }
          }
        : value
  }
  return wrapped as T
}
