// The agent inside `keyless up`: the same agent as on any other host, enrolled over HTTPS with a
// join token the server issues for its local host (resources that name no host run here).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startAgent, type RunningAgent } from '../agent/index.js'
import type { Config } from '../server/config.js'
import type { RunningServer } from '../server/start.js'

export async function startLocalAgent(
  server: RunningServer,
  config: Config,
): Promise<RunningAgent> {
  // A join token is used only when the agent has no credential yet; an unused one expires.
  const { token } = await server.hosts.createJoinToken({ isLocal: true })
  const agent = await startAgent({
    serverUrl: server.endpoints.authorityHost,
    caCertPem: readFileSync(server.endpoints.caCertFile, 'utf8'),
    stateDir: join(config.dataDir, 'agent'),
    joinToken: token,
    hostName: 'local',
    logger: server.app.log,
  })
  server.publishEndpoints({
    identityEndpoint: agent.identityEndpoint,
    agentSocket: agent.controlSocket,
    agentHostId: agent.hostId,
  })
  return agent
}
