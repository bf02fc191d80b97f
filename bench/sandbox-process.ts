/**
 * The sandbox partners in a process of their own (benchmarks: the partner's clock and event
 * loop are not the client's). Prints `listening <url>`; argv[2] `off` lifts the rate limits.
 */
import { startSandbox } from '../src/sandbox/server.js';

const sandbox = await startSandbox('127.0.0.1', 0, { rateLimits: process.argv[2] !== 'off' });
console.log(`listening ${sandbox.url}`);
process.on('SIGTERM', () => void sandbox.close().then(() => process.exit(0)));
