// Azure's naming rules for the types Keyless serves, from "Naming rules and restrictions for
// Azure resources" (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules).
// Lengths count UTF-16 code units, as .NET (and so ARM) does.
import { BadRequest } from './errors.js'
import { ambiguityOf } from './printable-names.js'

export interface NameRule {
  pattern: RegExp
  /** Completes "it must ..." in the error message. */
  description: string
}

const vmLike: NameRule = {
  pattern: /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9_])?$/,
  description:
    "be 1 to 64 letters, digits, '-', '_' or '.', start with a letter or digit, and not end with '.' or '-'",
}

/** Rules by lower-cased full type. */
export const NAME_RULES: Readonly<Record<string, NameRule>> = {
  'microsoft.compute/virtualmachines': vmLike,
  'microsoft.web/sites': {
    pattern: /^[A-Za-z0-9][A-Za-z0-9-]{0,58}[A-Za-z0-9]$/,
    description: "be 2 to 60 letters, digits or '-', and not start or end with '-'",
  },
  'microsoft.web/sites/slots': {
    pattern: /^[A-Za-z0-9][A-Za-z0-9-]{0,57}[A-Za-z0-9]$/,
    description: "be 2 to 59 letters, digits or '-', and not start or end with '-'",
  },
  'microsoft.managedidentity/userassignedidentities': {
    pattern: /^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$/,
    description: "be 3 to 128 letters, digits, '-' or '_', and start with a letter or digit",
  },
  'microsoft.keyvault/vaults': {
    pattern: /^[A-Za-z](?!.*--)[A-Za-z0-9-]{1,22}[A-Za-z0-9]$/,
    description:
      "be 3 to 24 letters, digits or '-', start with a letter, end with a letter or digit, and not contain '--'",
  },
  'microsoft.storage/storageaccounts': {
    pattern: /^[a-z0-9]{3,24}$/,
    description: 'be 3 to 24 lower-case letters or digits',
  },
  'keyless.compute/workloads': vmLike,
  // Arc: 1 to 54 characters, no `<>%&:\\?/#` or control characters; Keyless keeps to the
  // characters a host name has.
  'microsoft.hybridcompute/machines': {
    pattern: /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,52}[A-Za-z0-9_])?$/,
    description:
      "be 1 to 54 letters, digits, '-', '_' or '.', start with a letter or digit, and not end with '.' or '-'",
  },
}

/** Throws BadRequest `InvalidResourceName` unless `name` is valid for the (catalog) type. */
export function validateResourceName(typeKey: string, name: string): void {
  const rule = NAME_RULES[typeKey.toLowerCase()]
  if (rule === undefined) throw new TypeError(`no naming rule for resource type '${typeKey}'`)
  if (typeof name === 'string' && rule.pattern.test(name)) return
  throw new BadRequest(
    'InvalidResourceName',
    `resource name '${String(name)}' is invalid for type '${typeKey}': it must ${rule.description}`,
    { target: 'name' },
  )
}

// .NET's `\w` as ARM applies it: Unicode letters, marks, decimal digits and connectors ('_').
const GROUP_CHAR = /[\p{L}\p{M}\p{Nd}\p{Pc}().-]/u

/**
 * Throws BadRequest `InvalidResourceGroup`, the code ARM returns for a bad group name
 * ("The provided resource group name '…' has these invalid characters: …", Azure/azure-cli#14481).
 */
export function validateResourceGroupName(name: string): void {
  const fail = (reason: string): never => {
    throw new BadRequest('InvalidResourceGroup', `resource group name '${name}' ${reason}`, {
      target: 'resourceGroupName',
    })
  }
  if (typeof name !== 'string' || name.length < 1 || name.length > 90) {
    fail('is invalid: it must be 1 to 90 characters long')
  }
  const invalid = [...new Set([...name].filter((c) => !GROUP_CHAR.test(c)))]
  if (invalid.length > 0) {
    fail(
      `has these invalid characters: '${invalid.join('')}'; the name can only contain letters, digits, '-', '.', '(', ')' or '_'`,
    )
  }
  if (name.endsWith('.')) fail("is invalid: it must not end with '.'")
  const ambiguity = ambiguityOf(name)
  if (ambiguity) fail(`is invalid: it could print like another name (${ambiguity})`)
}
