import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { assertApiVersionSupported, readApiVersion } from './api-version.js'

describe('readApiVersion', () => {
  it('accepts date versions with and without a preview suffix', () => {
    for (const v of ['2024-11-30', '2023-07-31-preview', '2021-06-01-PREVIEW', '2020-01-01-beta']) {
      assert.equal(readApiVersion({ 'api-version': v }), v)
    }
  })

  it('answers MissingApiVersionParameter when it is absent or empty', () => {
    for (const q of [{}, { 'api-version': '' }, undefined]) {
      assert.throws(() => readApiVersion(q), { code: 'MissingApiVersionParameter', status: 400 })
    }
  })

  it('answers InvalidApiVersionParameter to malformed, impossible or repeated values', () => {
    for (const v of [
      'latest',
      '2024-13-01',
      '2023-02-30',
      '2024-1-1',
      ['2024-11-30', '2024-11-30'],
    ]) {
      assert.throws(() => readApiVersion({ 'api-version': v }), {
        code: 'InvalidApiVersionParameter',
        status: 400,
      })
    }
  })
})

describe('assertApiVersionSupported', () => {
  const table: [string, string, boolean][] = [
    ['2024-11-30', 'Microsoft.ManagedIdentity/userAssignedIdentities', true],
    ['2018-11-30', 'Microsoft.ManagedIdentity/userAssignedIdentities', true],
    ['2015-08-31-preview', 'Microsoft.ManagedIdentity', true],
    ['2014-01-01', 'Microsoft.ManagedIdentity', false],
    ['2025-04-01', 'Microsoft.Resources', true],
    ['2020-06-01', 'Microsoft.Resources', true],
    ['2024-07-01', 'Microsoft.Compute/virtualMachines', true],
    ['2018-06-01', 'Microsoft.Compute/virtualMachines', true],
    ['2017-12-01', 'Microsoft.Compute/virtualMachines', false],
    ['2024-04-01', 'Microsoft.Web/sites/slots', true],
    ['2016-08-01', 'Microsoft.Web/sites', false],
    ['2023-07-01', 'Microsoft.KeyVault/vaults', true],
    ['2023-05-01', 'Microsoft.Storage/storageAccounts', true],
    ['2030-01-01', 'Microsoft.Storage/storageAccounts', true],
    ['2023-01-01', 'Keyless.Compute/workloads', false],
    ['2022-04-01', 'Microsoft.Authorization/roleAssignments', true],
    ['2020-04-01-preview', 'Microsoft.Authorization/roleAssignments', true],
    ['2015-07-01', 'Microsoft.Authorization/roleDefinitions', true],
    ['2014-10-01-preview', 'Microsoft.Authorization/roleDefinitions', false],
    ['2022-04-01', 'Microsoft.Authorization/permissions', true],
    ['2022-04-01', 'Microsoft.Authorization/denyAssignments', true],
    ['2018-07-01-preview', 'Microsoft.Authorization/denyAssignments', true],
    ['2015-07-01', 'Microsoft.Authorization/denyAssignments', false],
  ]
  for (const [version, type, ok] of table) {
    it(`${ok ? 'accepts' : 'refuses'} ${version} for ${type}`, () => {
      if (ok) assertApiVersionSupported(version, type)
      else {
        assert.throws(
          () => assertApiVersionSupported(version, type),
          (e: any) => {
            assert.equal(e.code, 'InvalidApiVersionParameter')
            assert.match(e.message, /The supported versions are '\d{4}-/)
            return true
          },
        )
      }
    })
  }
})
