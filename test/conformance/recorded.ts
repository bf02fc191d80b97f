/** A sandbox over a real socket whose exchanges with one partner are recorded, for the conformance tests. */
import type { Exchange } from '../../src/sandbox/recording.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';

export async function recordedSandbox(partner: string): Promise<{ sandbox: RunningSandbox; exchanges: Exchange[] }> {
  const exchanges: Exchange[] = [];
  const sandbox = await startSandbox('127.0.0.1', 0, {
    rateLimits: false,
    onExchange: (e) => {
      if (e.partner === partner) exchanges.push(e);
    },
  });
  return { sandbox, exchanges };
}
