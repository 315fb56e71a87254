// The shape every request-body mapping has (arm/tracked/body-mapping.ts picks one per type):
// its own file, so that a provider's mapping and the table of mappings import it, not each other.
import type { ResourceInput, ResourcePatch } from '../directory/views.js'

export interface BodyMapping {
  putSchema: object
  patchSchema: object
  toInput(body: unknown): ResourceInput
  toPatch(body: unknown): ResourcePatch
}
