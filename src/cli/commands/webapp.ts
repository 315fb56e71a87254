// `keyless webapp` and `keyless webapp slot`: App Service and Functions apps
// (Microsoft.Web/sites, `kind` app or functionapp) and their deployment slots, each slot with
// its own system-assigned identity named `<app>/slots/<slot>`.
import { Option, type Command } from 'commander'
import { WEB_SITES, WEB_SITE_SLOTS } from '../../domain/resource-types.js'
import { API_VERSIONS, resourcePath } from '../arm-paths.js'
import type { ArmResource } from '../columns.js'
import { registerCompute, type ComputeKind } from './compute.js'

const APP = { arg: 'app', description: 'web app name', sample: 'app1' }

export const WEBAPP: ComputeKind = {
  command: 'webapp',
  label: 'web app',
  prefix: 'keyless',
  type: WEB_SITES,
  names: [{ ...APP, arg: 'name' }],
  showKind: true,
  createOptions: (cmd) =>
    cmd.addOption(
      new Option('--kind <kind>', "'app' (App Service) or 'functionapp' (Functions)").default(
        'app',
      ),
    ),
  kindOf: (opts) => (opts as { kind?: string }).kind,
}

export const SLOT: ComputeKind = {
  command: 'slot',
  label: 'deployment slot',
  prefix: 'keyless webapp',
  type: WEB_SITE_SLOTS,
  names: [APP, { arg: 'slot', description: 'slot name', sample: 'staging' }],
  showKind: true,
  // A slot lives where its app does and runs the same kind of app.
  createDefaults: async (ctx, group, [app]) => {
    const site = await ctx.client.request<ArmResource>(
      'GET',
      resourcePath(ctx.subscriptionId, group, WEB_SITES, [app!]),
      { apiVersion: API_VERSIONS[WEB_SITES]! },
    )
    return { location: site.location ?? '', kind: site.kind }
  },
}

export function registerWebapp(program: Command): void {
  const webapp = registerCompute(program, WEBAPP, 'manage web apps and their managed identities')
  registerCompute(webapp, SLOT, 'manage the deployment slots of a web app')
}
