// The hosts file that makes `<vault>.<suffix>` names resolve for the programs `keyless run`
// starts: the machine's own /etc/hosts with one line per vault appended, bind-mounted over
// /etc/hosts in the program's private mount namespace (cli/run-namespace.ts). glibc and musl
// read /etc/hosts on every lookup, so a vault made while the program runs resolves at once.

/** Marks the lines Keyless appends; everything before it is the machine's own file. */
export const VAULT_HOSTS_MARKER = '# Keyless vaults (generated; every line below is rewritten)'

/** `base` without an earlier Keyless section, then one `<address> <vault>.<suffix>` per name. */
export function vaultHostsFile(
  base: string,
  names: Iterable<string>,
  suffix: string,
  address: string,
): string {
  const at = base.indexOf(VAULT_HOSTS_MARKER)
  const own = (at === -1 ? base : base.slice(0, at)).replace(/\n*$/, '\n')
  const ip = address.replace(/^\[|\]$/g, '')
  const lines = [...names].sort().map((n) => `${ip} ${n}.${suffix}`)
  return `${own}${VAULT_HOSTS_MARKER}\n${lines.join('\n')}${lines.length ? '\n' : ''}`
}
