// `keyless run`'s program sees `<vault>.<suffix>` names resolve to Keyless: it starts in a private
// mount namespace where the installation's `vault-hosts` (the machine's /etc/hosts plus one line
// per vault, kept by the vault service) is bind-mounted, read-only, over /etc/hosts. As root that
// is one `unshare --mount`; otherwise an unprivileged user namespace makes the mount, and a
// second one maps the caller's own uid and gid back, so the program does not run as "root".
// Every step execs (no fork): the program keeps the pid `keyless run` started, so the run's
// binding and signal forwarding are unchanged. Where none of it works, the program starts as
// before and `keyless run` says in one line what to use instead.
import { spawnSync } from 'node:child_process'

/** Mounts `$1` over /etc/hosts, then runs the rest; exit 125 when the mount is refused. */
const MOUNT =
  'mount --bind "$1" /etc/hosts || exit 125; mount -o remount,bind,ro /etc/hosts 2>/dev/null; shift;'

export interface Caller {
  uid: number
  gid: number
}

/** The argv that runs `command` with `hostsFile` over /etc/hosts. */
export function hostsNamespaceArgv(hostsFile: string, command: string[], who: Caller): string[] {
  const tail = ['keyless-run', hostsFile, ...command]
  if (who.uid === 0) {
    return ['unshare', '--mount', '--', '/bin/sh', '-c', `${MOUNT} exec "$@"`, ...tail]
  }
  const back = `unshare --user --map-user=${who.uid} --map-group=${who.gid} --`
  return [
    'unshare',
    '--user',
    '--map-root-user',
    '--mount',
    '--',
    '/bin/sh',
    '-c',
    `${MOUNT} exec ${back} "$@"`,
    ...tail,
  ]
}

export type HostsPlan =
  | { ok: true; argv: string[] }
  /** Why the names cannot resolve for the program (for the one-line hint). */
  | { ok: false; reason: string }

/** Tries the namespace once with a no-op program, so that a refusal is known before the real
 * program starts (it is never started twice). */
export function planHostsNamespace(hostsFile: string, command: string[], who: Caller): HostsPlan {
  const probe = hostsNamespaceArgv(hostsFile, ['/bin/sh', '-c', ':'], who)
  const r = spawnSync(probe[0]!, probe.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] })
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code ?? r.error.message
    return { ok: false, reason: `cannot run unshare (${code})` }
  }
  if (r.status !== 0) {
    const said = r.stderr.toString('utf8').trim().split('\n').pop() ?? ''
    return { ok: false, reason: said || `no private mount namespace (exit ${r.status})` }
  }
  return { ok: true, argv: hostsNamespaceArgv(hostsFile, command, who) }
}

export function vaultNamesHint(reason: string): string {
  return (
    `keyless: vault host names do not resolve for this program (${reason}); ` +
    "use a vault's properties.vaultUriByAddress and turn off the SDK's challenge resource check (docs/languages.md)"
  )
}
