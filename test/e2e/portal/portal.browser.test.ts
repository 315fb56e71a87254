// The portal in a real browser: Debian's Chromium driven by playwright-core against a real
// `keyless up`. Sign-in with a `keyless portal` link (cookie flags, the link spent), every view,
// a create/delete round trip of a group, an identity, a compute resource, an attachment and a
// role assignment from the page, a change made elsewhere appearing without a reload, a Reader's
// read-only page (and the server refusing its write), and axe-core on every view with no
// serious or critical violation. Screenshots go to docs/portal/ with KEYLESS_UPDATE_SCREENSHOTS=1.
// Skips without Chromium.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { assignRole } from '../../helpers/arm.js'
import { ROOT } from '../../helpers/keyless.js'
import { BUILT_IN_ROLE_IDS } from '../../../src/domain/rbac/built-in-roles.js'
import { LOCATION, startArm, type Arm } from '../arm/arm.config.js'
import { cliFor, ok } from '../cli/cli.config.js'

// What the callbacks given to page.evaluate see, in the browser (tsconfig has no DOM types).
declare const window: any, document: any

const CHROMIUM = '/usr/bin/chromium'
// Screenshots refresh the docs' pictures only when asked (KEYLESS_UPDATE_SCREENSHOTS=1), so an
// ordinary test run leaves the checkout as it was.
const SHOTS = process.env.KEYLESS_UPDATE_SCREENSHOTS
  ? join(ROOT, 'docs/portal')
  : join(tmpdir(), `keyless-portal-shots-${process.pid}`)
const AXE = join(ROOT, 'node_modules/axe-core/axe.min.js')
const VIEWS = ['resources', 'graph', 'access', 'check', 'who-can', 'hosts', 'sign-ins', 'activity']
const skip = existsSync(CHROMIUM)
  ? false
  : `Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium): the portal's browser tests are skipped`
if (skip) console.log(`# ${skip}`)

describe('the portal in Chromium', { skip }, () => {
  let arm: Arm
  let cli: ReturnType<typeof cliFor>
  let browser: Browser
  const contexts: BrowserContext[] = []
  const rg = `web-${randomUUID().slice(0, 6)}`

  async function signedIn(as?: string): Promise<Page> {
    const link = ok(await cli('portal', ...(as ? ['--as', as] : []))).json()
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: { width: 1280, height: 860 },
    })
    contexts.push(context)
    const page = await context.newPage()
    page.on('pageerror', (e) => console.log(`page error: ${e.message}`))
    await page.goto(link.url)
    await page.getByTestId('tree').waitFor()
    return page
  }
  const view = async (page: Page, id: string) => {
    await page.click(`nav a[href="#${id}"]`)
    await page.waitForSelector(`nav a[href="#${id}"][aria-current=page]`)
  }
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
  const idle = (page: Page) =>
    page.waitForFunction(() => !document.querySelector('[aria-busy=true]'))

  before(async () => {
    mkdirSync(SHOTS, { recursive: true })
    arm = await startArm()
    cli = cliFor(arm.k.dataDir)
    const put = (path: string) => arm.request('PUT', path, { body: { location: LOCATION } })
    assert.equal((await put(arm.group(rg))).status, 201)
    const reader = await put(arm.identity(rg, 'auditor'))
    assert.equal(reader.status, 201, reader.text)
    await assignRole(
      (method, path, body) => arm.request(method, path, { body, apiVersion: null }),
      arm.subscriptionId,
      {
        // At the root, as the operator's Owner: Keyless's own reads (logs, hosts, the change
        // stream) are decided there, so a Reader there sees everything.
        scope: '/',
        role: BUILT_IN_ROLE_IDS.reader,
        principalId: reader.json().properties.principalId,
      },
    )
    const vm = await arm.request(
      'PUT',
      arm.resource(rg, 'Microsoft.Compute/virtualMachines', 'vm1'),
      {
        body: {
          location: LOCATION,
          identity: {
            type: 'UserAssigned',
            userAssignedIdentities: { [arm.identity(rg, 'auditor')]: {} },
          },
        },
      },
    )
    assert.equal(vm.status, 201, vm.text)
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
  })
  after(async () => {
    for (const c of contexts) await c.close().catch(() => {})
    await browser?.close()
    await arm?.dispose()
  })

  it('signs in with a one-time link into an HttpOnly, Secure, SameSite=Strict __Host- cookie', async () => {
    const link = ok(await cli('portal')).json()
    const context = await browser.newContext({ ignoreHTTPSErrors: true })
    contexts.push(context)
    const page = await context.newPage()
    await page.goto(link.url)
    await page.getByTestId('tree').waitFor()
    assert.match(await page.getByTestId('who').innerText(), /keyless-operator/)
    assert.equal(new URL(page.url()).hash, '', 'the code is taken out of the address')
    const [cookie, ...others] = await context.cookies()
    assert.equal(others.length, 0)
    assert.equal(cookie!.name, '__Host-keyless-portal')
    assert.equal(cookie!.httpOnly, true)
    assert.equal(cookie!.secure, true)
    assert.equal(cookie!.sameSite, 'Strict')
    assert.equal(cookie!.path, '/')
    assert.equal(await page.evaluate(() => document.cookie), '', 'the page cannot read it')
    // The same link in another browser finds it spent.
    const other = await browser.newContext({ ignoreHTTPSErrors: true })
    contexts.push(other)
    const second = await other.newPage()
    await second.goto(link.url)
    await second.getByText(/used already or expired/).waitFor()
  })

  it('shows every view: tree, graph, assignments, check access with its chain, who can, hosts, logs', async () => {
    const page = await signedIn()
    const checks: Record<string, () => Promise<void>> = {
      resources: async () => {
        await page
          .locator(`[data-group="${rg}"] [data-resource=vm1]`)
          .getByText('user-assigned · auditor')
          .waitFor()
      },
      graph: async () => {
        const svg = page.getByTestId('identity-graph')
        await svg.locator('.identity[data-name=auditor]').waitFor()
        await svg.locator('.compute[data-name=vm1]').waitFor()
        assert.ok((await svg.locator('line.edge').count()) >= 1)
      },
      access: async () => {
        const row = page.getByTestId('assignments').locator('tr', { hasText: 'Owner' })
        await row.getByText('inherited').waitFor()
        await page.getByTestId('assignments').locator('tr', { hasText: 'auditor' }).waitFor()
      },
      check: async () => {
        await page
          .getByLabel('Action', { exact: true })
          .fill('Microsoft.Compute/virtualMachines/write')
        await page.getByRole('button', { name: 'Check' }).click()
        await page.getByTestId('verdict').getByText('Allowed').waitFor()
        assert.equal(await page.getByTestId('chain').locator('rect').count(), 5)
        await page
          .getByLabel('Principal', { exact: true })
          .selectOption({ label: 'auditor (User-assigned identity)' })
        await page.getByRole('button', { name: 'Check' }).click()
        await page.getByTestId('verdict').getByText('Not allowed').waitFor()
      },
      'who-can': async () => {
        await page
          .getByLabel('Action', { exact: true })
          .fill('Microsoft.Compute/virtualMachines/read')
        await page.getByRole('button', { name: 'Find' }).click()
        const table = page.getByTestId('who-can')
        await table.getByText('keyless-operator').waitFor()
        await table.getByText('auditor').waitFor()
      },
      hosts: async () => {
        await page.getByTestId('hosts').getByText('local (keyless up)').waitFor()
      },
      'sign-ins': async () => {
        await page.getByTestId('sign-ins').getByText('portal').first().waitFor()
        await page.getByTestId('issuance-chart').locator('rect.issued').first().waitFor()
      },
      activity: async () => {
        await page
          .getByTestId('activity')
          .getByText('Microsoft.Compute/virtualMachines/write')
          .first()
          .waitFor()
      },
    }
    for (const id of VIEWS) {
      await view(page, id)
      await checks[id]!()
      await idle(page)
      await shot(page, id)
    }
  })

  it('creates and deletes a group, identity, compute resource, attachment and role assignment', async () => {
    const page = await signedIn()
    const g = `${rg}-rt`
    const form = (name: string) => page.getByRole('form', { name })
    await form('Create resource group').getByLabel('Name').fill(g)
    await form('Create resource group').getByRole('button').click()
    await page.locator(`[data-group="${g}"]`).waitFor()
    await form('Create identity').getByLabel('Group').selectOption(g)
    await form('Create identity').getByLabel('Name').fill('app-id')
    await form('Create identity').getByRole('button').click()
    await page.locator(`[data-group="${g}"] [data-resource=app-id]`).waitFor()
    const compute = form('Create compute resource')
    await compute.getByLabel('Group').selectOption(g)
    await compute.getByLabel('Type').selectOption({ label: 'Workload' })
    await compute.getByLabel('Name').fill('job1')
    await compute.getByRole('button').click()
    await page
      .locator(`[data-group="${g}"] [data-resource=job1]`)
      .getByText('system-assigned', { exact: false })
      .waitFor()
    const attach = form('Attach identity')
    await attach.getByLabel('Resource').selectOption({ label: `${g} / job1` })
    await attach.getByLabel('Identity').selectOption({ label: 'app-id' })
    await attach.getByRole('button', { name: 'Attach' }).click()
    await page.locator(`[data-resource=job1]`).getByText('user-assigned · app-id').waitFor()
    await shot(page, 'round-trip')
    const job = arm.resource(g, 'Keyless.Compute/workloads', 'job1')
    const body = (await arm.request('GET', job)).json()
    assert.ok(Object.keys(body.identity.userAssignedIdentities).some((k) => k.endsWith('/app-id')))
    await attach.getByRole('button', { name: 'Detach' }).click()
    await page
      .locator(`[data-resource=job1]`)
      .getByText('user-assigned · app-id')
      .waitFor({ state: 'detached' })

    await view(page, 'access')
    await page.getByLabel('Scope').selectOption({ label: `group ${g}` })
    const assign = form('Assign a role')
    await assign
      .getByLabel('Principal', { exact: true })
      .selectOption({ label: 'app-id (User-assigned identity)' })
    await assign.getByLabel('Role').selectOption({ label: 'Reader' })
    await assign.getByRole('button').click()
    const row = page.getByTestId('assignments').locator('tr.direct', { hasText: 'app-id' })
    await row.waitFor()
    await row.getByRole('button', { name: /Remove Reader/ }).click()
    await row.waitFor({ state: 'detached' })

    await view(page, 'resources')
    for (const name of ['job1', 'app-id']) {
      await page.getByRole('button', { name: `Delete ${name}` }).click()
      await page.locator(`[data-resource="${name}"]`).waitFor({ state: 'detached' })
    }
    await page.getByRole('button', { name: `Delete resource group ${g}` }).click()
    await page.locator(`[data-group="${g}"]`).waitFor({ state: 'detached', timeout: 20_000 })
    assert.equal((await arm.request('GET', arm.group(g))).status, 404)
  })

  it('shows a change made elsewhere without a reload (the change stream)', async () => {
    const page = await signedIn()
    await page.getByTestId('live').getByText(/^Live/).waitFor()
    await page.evaluate(() => ((window as any).__marker = 'same page'))
    const g = `${rg}-live`
    ok(await cli('group', 'create', g, '-l', LOCATION))
    await page.locator(`[data-group="${g}"]`).waitFor({ timeout: 15_000 })
    assert.equal(await page.evaluate(() => (window as any).__marker), 'same page', 'no reload')
    ok(await cli('group', 'delete', g, '--yes'))
    await page.locator(`[data-group="${g}"]`).waitFor({ state: 'detached', timeout: 15_000 })
  })

  it("gives a Reader a read-only page, and the server refuses the Reader's writes", async () => {
    const page = await signedIn(arm.identity(rg, 'auditor'))
    await page.getByTestId('read-only').waitFor()
    assert.equal(await page.getByRole('button', { name: /^Delete/ }).count(), 0)
    assert.equal(await page.getByRole('form', { name: 'Create resource group' }).count(), 0)
    await page.locator(`[data-group="${rg}"] [data-resource=vm1]`).waitFor()
    await view(page, 'access')
    await page.getByTestId('assignments').locator('tr', { hasText: 'Owner' }).waitFor()
    assert.equal(await page.getByRole('form', { name: 'Assign a role' }).count(), 0)
    await view(page, 'sign-ins')
    await page.getByTestId('sign-ins').getByText('portal').first().waitFor()
    await page.getByTestId('live').getByText(/^Live/).waitFor()
    await shot(page, 'reader')
    // What the page would send if it offered the button: the same API, refused by RBAC.
    const status = await page.evaluate(
      async (path) => {
        const session: any = await (await fetch('/portal/api/session')).json()
        const t: any = await (
          await fetch('/portal/api/token', {
            method: 'POST',
            headers: { 'x-keyless-csrf': session.csrfToken },
          })
        ).json()
        const res = await fetch(`${path}?api-version=2025-04-01`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${t.accessToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ location: 'eastus' }),
        })
        return res.status
      },
      `${arm.group(rg)}-reader`,
    )
    assert.equal(status, 403)
  })

  it('has no serious or critical accessibility violation (axe-core) on any view', async () => {
    const page = await signedIn()
    const axe = readFileSync(AXE, 'utf8')
    const found: string[] = []
    for (const id of VIEWS) {
      await view(page, id)
      await idle(page)
      if (id === 'check') await page.getByRole('button', { name: 'Check' }).click()
      if (id === 'check') await page.getByTestId('chain').waitFor()
      // Evaluated through the DevTools protocol, which the page's CSP does not govern.
      await page.evaluate(axe)
      const violations: { id: string; impact: string; help: string; nodes: unknown[] }[] =
        await page.evaluate(async () => (await (window as any).axe.run(document)).violations)
      for (const v of violations) {
        if (v.impact === 'serious' || v.impact === 'critical') {
          found.push(`${id}: ${v.id} (${v.impact}) ${v.help}, ${v.nodes.length} nodes`)
        }
      }
    }
    assert.deepEqual(found, [])
  })
})
