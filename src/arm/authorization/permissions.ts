// GET {scope}/providers/Microsoft.Authorization/permissions (reference §4): the caller's own
// effective permission blocks at the scope, one per block of each role assigned to it at or
// above the scope, in Azure's shape `{value:[{actions,notActions,dataActions,notDataActions}]}`.
// Deny assignments are not folded in, as in Azure: they are listed on their own.
import type { Operation } from '../context.js'
import { listBody } from '../paging.js'
import { permissionJson } from './views.js'

export const listPermissions: Operation<'permissions'> = async (c) => {
  const blocks = c.authz.permissionsAt(c.caller.objectId, c.target.scope.id)
  return c.reply.send(listBody(blocks.map(permissionJson), undefined))
}
