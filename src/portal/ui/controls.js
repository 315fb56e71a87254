// Small form controls with their labels, so that every field is named for screen readers.
import { html } from './html.js'

let next = 0
const uid = (p) => `${p}-${++next}`

export function Field({ label, value, onInput, placeholder, name }) {
  const id = uid('f')
  return html`<span class="field">
    <label for=${id}>${label}</label>
    <input
      id=${id}
      name=${name}
      value=${value}
      placeholder=${placeholder}
      onInput=${(e) => onInput(e.currentTarget.value)}
    />
  </span>`
}

export function Select({ label, value, onChange, options, name }) {
  const id = uid('s')
  return html`<span class="field">
    <label for=${id}>${label}</label>
    <select id=${id} name=${name} value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>
      ${options.map((o) => html`<option value=${o.value}>${o.label}</option>`)}
    </select>
  </span>`
}

export function Check({ label, checked, onChange, name }) {
  const id = uid('c')
  return html`<span class="field check">
    <input
      type="checkbox"
      id=${id}
      name=${name}
      checked=${checked}
      onChange=${(e) => onChange(e.currentTarget.checked)}
    />
    <label for=${id}>${label}</label>
  </span>`
}

export function ErrorNote({ error }) {
  if (!error) return null
  return html`<p class="error" role="alert">
    ${error.code ? `${error.code}: ` : ''}${error.message}
  </p>`
}

/** Runs an action, reporting its error; returns a [busy, error, run] triple. */
export function runner(setBusy, setError) {
  return async (fn) => {
    setBusy(true)
    setError(undefined)
    try {
      await fn()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
}
