// `keyless vm`: virtual machines (Microsoft.Compute/virtualMachines) and their identities.
import type { Command } from 'commander'
import { VIRTUAL_MACHINES } from '../../domain/resource-types.js'
import { registerCompute, type ComputeKind } from './compute.js'

export const VM: ComputeKind = {
  command: 'vm',
  label: 'virtual machine',
  prefix: 'keyless',
  type: VIRTUAL_MACHINES,
  names: [{ arg: 'name', description: 'virtual machine name', sample: 'vm1' }],
}

export function registerVm(program: Command): void {
  registerCompute(program, VM, 'manage virtual machines and their managed identities')
}
