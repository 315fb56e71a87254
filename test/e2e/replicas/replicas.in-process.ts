// Two or more replicas of `keyless server` in this process, on one PostgreSQL schema, for tests
// and the bench that look at what each replica enforces (start-replica.ts, real listeners).
import { randomBytes } from 'node:crypto'
import { resolveConfig } from '../../../src/server/config.js'
import { startReplica, type RunningReplica } from '../../../src/server/start-replica.js'
import { scratchDir } from './replicas.config.js'

/** A shared master key and schema; each call starts one more replica on them. */
export function replicaSet(url: string, schema: string, publicUrl = 'https://127.0.0.1:9') {
  const masterKey = randomBytes(32)
  const running: RunningReplica[] = []
  return {
    running,
    async start(): Promise<RunningReplica> {
      const replica = await startReplica({
        config: resolveConfig({
          dataDir: scratchDir(),
          host: '127.0.0.1',
          port: 0,
          databaseUrl: url,
          logLevel: 'silent',
          logFile: '-',
        }),
        masterKey,
        publicUrl,
        databaseSchema: schema,
      })
      running.push(replica)
      return replica
    },
    async close(): Promise<void> {
      await Promise.all(running.map((r) => r.close()))
    },
  }
}
