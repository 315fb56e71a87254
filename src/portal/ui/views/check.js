// "Check access": may a principal perform an action at a scope, and why (the chain drawn).
import { useState } from 'preact/hooks'
import { html } from '../html.js'
import { call } from '../api.js'
import { Chain } from '../chain.js'
import { Check, ErrorNote, Field, Select, runner } from '../controls.js'
import { scopesOf } from '../inventory.js'

export function CheckView({ inv, session }) {
  const principals = [...inv.principals.values()].map((p) => ({
    value: p.id,
    label: `${p.name} (${p.kind})`,
  }))
  const scopes = scopesOf(inv).map((s) => ({ value: s.id, label: s.label }))
  const [principal, setPrincipal] = useState(session.principalId)
  const [action, setAction] = useState('Microsoft.Compute/virtualMachines/read')
  const [scope, setScope] = useState(inv.sub)
  const [data, setData] = useState(false)
  const [result, setResult] = useState()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState()
  const run = runner(setBusy, setError)
  const submit = (e) => {
    e.preventDefault()
    run(async () => {
      const res = await call('POST', '/keyless/v1/checkAccess', {
        principalId: principal,
        actions: [action],
        scope,
        explain: true,
        dataAction: data,
      })
      setResult(res.value[0])
    })
  }
  return html`<div aria-busy=${busy}>
    <form class="inline" aria-label="Check access" onSubmit=${submit}>
      <${Select}
        label="Principal"
        name="check-principal"
        value=${principal}
        onChange=${setPrincipal}
        options=${principals}
      />
      <${Field} label="Action" name="check-action" value=${action} onInput=${setAction} />
      <${Select}
        label="Scope"
        name="check-scope"
        value=${scope}
        onChange=${setScope}
        options=${scopes}
      />
      <${Check} label="Data action" name="check-data" checked=${data} onChange=${setData} />
      <button type="submit">Check</button>
    </form>
    <${ErrorNote} error=${error} />
    ${
      result &&
      html`<section aria-labelledby="verdict" class="verdict">
        <h2 id="verdict" data-testid="verdict" class=${result.allowed ? 'ok' : 'no'}>
          ${result.allowed ? 'Allowed' : 'Not allowed'}: ${result.action}
        </h2>
        <div class="scroll" tabindex="0" role="region" aria-label="Explanation chain">
          <${Chain}
            explanation=${result.explanation}
            allowed=${result.allowed}
            label=${result.explanation}
          />
        </div>
        <p class="explanation">${result.explanation}</p>
      </section>`
    }
  </div>`
}
