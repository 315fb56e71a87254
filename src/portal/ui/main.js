// The portal's page: one shell (who is signed in, the views, the live-update state) around views
// that each read (and some change) the installation through ARM and /keyless/v1.
import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { html } from './html.js'
import { followChanges, signOut, startSession } from './api.js'
import { loadInventory, mayPerform } from './inventory.js'
import { ResourcesView } from './views/resources.js'
import { GraphView } from './views/graph.js'
import { AccessView } from './views/access.js'
import { CheckView } from './views/check.js'
import { WhoCanView } from './views/who-can.js'
import { HostsView } from './views/hosts.js'
import { SignInsView } from './views/sign-ins.js'
import { ActivityView } from './views/activity.js'

const VIEWS = [
  ['resources', 'Resources', ResourcesView],
  ['graph', 'Identity graph', GraphView],
  ['access', 'Role assignments', AccessView],
  ['check', 'Check access', CheckView],
  ['who-can', 'Who can', WhoCanView],
  ['hosts', 'Hosts', HostsView],
  ['sign-ins', 'Sign-ins', SignInsView],
  ['activity', 'Activity', ActivityView],
]

function SignedOut({ error }) {
  return html`<main class="signed-out">
    <h1>Keyless portal</h1>
    <p role="alert">${error?.message ?? 'You are signed out.'}</p>
    <p>Run <code>keyless portal</code> and open the link it prints.</p>
  </main>`
}

function App() {
  const [session, setSession] = useState()
  const [failure, setFailure] = useState()
  const [inv, setInv] = useState()
  const [rights, setRights] = useState({ write: false, assign: false })
  const [version, setVersion] = useState(0)
  const [live, setLive] = useState('connecting')
  const [changes, setChanges] = useState(0)
  const initial = location.hash.replace(/^#/, '')
  const [view, setView] = useState(VIEWS.some((v) => v[0] === initial) ? initial : 'resources')

  useEffect(() => {
    startSession().then(setSession, setFailure)
  }, [])
  useEffect(() => {
    if (!session) return
    let cancelled = false
    loadInventory(session)
      .then(async (i) => {
        const may = await mayPerform(
          session,
          [
            'Microsoft.Resources/subscriptions/resourceGroups/write',
            'Microsoft.Authorization/roleAssignments/write',
          ],
          i.sub,
        )
        if (cancelled) return
        setInv(i)
        setRights({
          write: may['Microsoft.Resources/subscriptions/resourceGroups/write'],
          assign: may['Microsoft.Authorization/roleAssignments/write'],
        })
      })
      .catch((err) => !cancelled && setFailure(err))
    return () => (cancelled = true)
  }, [session, version])
  // Live updates: every change on the stream reloads what is shown, a burst of them once.
  useEffect(() => {
    if (!session) return
    let timer
    let poll
    const stop = followChanges(
      () => {
        setChanges((n) => n + 1)
        clearTimeout(timer)
        timer = setTimeout(() => setVersion((v) => v + 1), 300)
      },
      (state) => {
        setLive(state)
        // A principal without Keyless/events/read gets no stream: the page polls instead.
        if (state === 'refused' && !poll) poll = setInterval(() => setVersion((v) => v + 1), 10_000)
      },
    )
    return () => {
      clearTimeout(timer)
      clearInterval(poll)
      stop()
    }
  }, [session])

  if (failure && (!session || failure.status === 401))
    return html`<${SignedOut} error=${failure} />`
  if (!session || !inv) return html`<p class="loading" role="status">Loading…</p>`
  const readOnly = !rights.write
  const current = VIEWS.find((v) => v[0] === view)
  const View = current[2]
  const go = (id) => {
    setView(id)
    history.replaceState(null, '', `#${id}`)
  }
  return html`<div class="shell">
    <header>
      <span class="brand">Keyless portal</span>
      <span class="who" data-testid="who">
        Signed in as <strong>${session.displayName}</strong>
        ${readOnly ? html` <span class="badge" data-testid="read-only">read-only</span>` : ''}
      </span>
      <span class="live" role="status" data-testid="live" data-state=${live}>
        ${
          live === 'live'
            ? `Live · ${changes} changes`
            : live === 'refused'
              ? 'Refreshing every 10 s'
              : live
        }
      </span>
      <button
        type="button"
        onClick=${() => signOut().then(() => setFailure({ message: 'You signed out.', status: 401 }))}
      >
        Sign out
      </button>
    </header>
    <nav aria-label="Views">
      <ul>
        ${VIEWS.map(
          ([id, label]) =>
            html`<li>
              <a
                href=${`#${id}`}
                aria-current=${id === view ? 'page' : undefined}
                onClick=${(e) => {
                  e.preventDefault()
                  go(id)
                }}
                >${label}</a
              >
            </li>`,
        )}
      </ul>
    </nav>
    <main>
      <h1>${current[1]}</h1>
      <${View}
        session=${session}
        inv=${inv}
        version=${version}
        refresh=${() => setVersion((v) => v + 1)}
        readOnly=${readOnly}
        canAssign=${rights.assign}
      />
    </main>
  </div>`
}

render(html`<${App} />`, document.getElementById('app'))
