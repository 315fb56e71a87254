// The raw-signing baseline process (sign-rate.ts) on the server's core, driven in slices.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { track } from './children.js'
import { pinned, SERVER_CORE } from './cpu.js'
import type { Timed } from './paired.js'
import type { Algorithm } from './sign-rate.js'

const SIGN_RATE = join(import.meta.dirname, 'sign-rate.js')

export async function startSigner(alg: Algorithm, payloadBytes = 880) {
  const [cmd, args] = pinned(SERVER_CORE, process.execPath, [SIGN_RATE, alg, String(payloadBytes)])
  const child = track(spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const next = () =>
    new Promise<any>((resolve, reject) => {
      child.once('message', resolve)
      exited.then(() => reject(new Error('the signer exited')))
    })
  await next()
  return {
    async slice(ms: number): Promise<Timed> {
      const answer = next()
      child.send({ ms })
      return answer
    },
    async close() {
      if (child.connected) child.send({ close: true })
      await exited
    },
  }
}
