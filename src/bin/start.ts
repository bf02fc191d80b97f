/**
 * `npm start`: the embedded Temporal dev server + Web UI, the worker and the API, in one
 * terminal. Ctrl-C / SIGTERM stops all of it; the dev server's SQLite file keeps workflows
 * running across restarts.
 */
import { ConfigError, loadConfig } from '../config.js';
import { startService, StartupError } from '../service.js';
import { ToolchainError } from '../temporal/toolchain/index.js';

const log = (line: string) => console.log(`[audience-sync] ${line}`);

/** Problems the user can fix are one clear line (or the toolchain's list); anything else is a bug. */
function fail(err: unknown): never {
  if (err instanceof ConfigError || err instanceof StartupError || err instanceof ToolchainError) {
    for (const line of err.message.split('\n')) console.error(`audience-sync: ${line}`);
  } else {
    console.error('audience-sync: failed to start:', err);
  }
  process.exit(1);
}

let config;
try {
  config = loadConfig();
} catch (err) {
  fail(err);
}

const started = Date.now();
const service = await startService(config, log).catch(fail);
log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
log(`API          ${service.urls.api}  (health: ${service.urls.api}/healthz)`);
log(`Temporal     ${service.urls.temporal}  (namespace ${config.temporal.namespace})`);
if (service.urls.ui) log(`Web UI       ${service.urls.ui}`);
if (service.urls.analytics)
  log(`Analytics    ${service.urls.analytics}  (step metrics for marketers: sign in with a workspace key)`);
log(`Sandbox      ${service.urls.sandbox}  (stand-in partners)`);
log('press Ctrl-C to stop');

let stoppingSince: number | undefined;
async function shutdown(reason: string, code: number): Promise<void> {
  if (stoppingSince !== undefined) return;
  stoppingSince = Date.now();
  log(`${reason}; stopping…`);
  await service.stop();
  log('stopped');
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // One Ctrl-C reaches us twice (from the terminal, and relayed by npm/tsx): only a signal
    // that comes a moment later means "stop now".
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince > 1_000) process.exit(130);
      return;
    }
    void shutdown(`${signal} received`, 0);
  });
}
void service.failed.then((err) => shutdown(err.message, 1));
