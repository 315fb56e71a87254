// Turning an HTTP error answer into a CliError. ARM answers `{error:{code,message}}`, the token
// service OAuth's `{error,error_description}`, Graph and the vault `{error:{code,message}}` as
// ARM does, Blob storage XML `<Error><Code/><Message/></Error>` with `x-ms-error-code`.
import type { HttpResponse } from './http.js'
import { CliError, EXIT } from './errors.js'

interface ErrorFields {
  code: string
  message: string
}

function fieldsOf(body: unknown): ErrorFields | undefined {
  if (!body || typeof body !== 'object') return undefined
  const { error, error_description } = body as { error?: unknown; error_description?: unknown }
  if (error && typeof error === 'object') {
    const { code, message } = error as { code?: unknown; message?: unknown }
    if (typeof code === 'string') {
      return { code, message: typeof message === 'string' ? message : '' }
    }
  }
  if (typeof error === 'string') {
    // Entra prefixes descriptions with "AADSTS7000215: "; keep only the sentence.
    const text = typeof error_description === 'string' ? error_description : ''
    return { code: error, message: text.replace(/^AADSTS\d+: /, '').split(/\r?\n/)[0] ?? '' }
  }
  return undefined
}

export function apiError(res: HttpResponse): CliError {
  let body: unknown
  try {
    body = JSON.parse(res.text)
  } catch {
    body = undefined
  }
  const fields = fieldsOf(body) ??
    storageFields(res) ?? {
      code: `Http${res.status}`,
      message: res.text.trim().slice(0, 200) || 'the server gave no details',
    }
  const exitCode = res.status === 404 ? EXIT.notFound : EXIT.apiError
  return new CliError(exitCode, fields.message, fields.code)
}

function storageFields(res: HttpResponse): ErrorFields | undefined {
  const header = res.headers['x-ms-error-code']
  const code = (typeof header === 'string' ? header : undefined) ?? xmlElement(res.text, 'Code')
  if (!code) return undefined
  // Storage appends "RequestId:…\nTime:…" lines to its message; the first line says it.
  const message = xmlElement(res.text, 'Message')?.split(/\r?\n/)[0] ?? ''
  return { code, message }
}

function xmlElement(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)
  return m?.[1]
}
