// "Does this token's principal still exist?" on every data-plane request, answered from memory.
// Only presence is kept (a principal created after a miss must be found at once), and the
// change feed removes an entry when its principal is deleted, so a deleted identity is refused
// as soon as its deletion reaches this replica, the same moment the RBAC index drops its
// assignments. A lookup that races a deletion does not keep its answer: every delivered deletion
// bumps a generation, and an answer read before that bump is not stored. (An answer read before
// a deletion committed arrives before the deletion's event does, which then removes it.)
import type { Store } from '../store/store.js'
import type { ChangeListener } from './change-feed.js'

/** Principals remembered; object ids are GUIDs, so entries have a fixed size. */
const PRESENCE_LIMIT = 100_000

export interface PrincipalPresenceOptions {
  store: Pick<Store, 'principals'>
  subscribe: (listener: ChangeListener) => () => void
  limit?: number
}

export function createPrincipalPresence(o: PrincipalPresenceOptions) {
  const present = new Set<string>()
  const limit = o.limit ?? PRESENCE_LIMIT
  let generation = 0
  const unsubscribe = o.subscribe((event) => {
    if (event.kind !== 'principal.deleted') return
    generation++
    present.delete(event.subject)
  })
  return {
    async exists(objectId: string): Promise<boolean> {
      // Exact ids, as the store compares them (tokens carry the id as the directory wrote it).
      if (present.has(objectId)) return true
      const before = generation
      const found = (await o.store.principals.fetch(objectId)) !== undefined
      if (found && generation === before) {
        if (present.size >= limit) present.clear()
        present.add(objectId)
      }
      return found
    },
    close: unsubscribe,
  }
}

export type PrincipalPresence = ReturnType<typeof createPrincipalPresence>
