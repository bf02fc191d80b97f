/**
 * Finds or fetches the Temporal binaries (`npm run toolchain`; also `postinstall`).
 * As postinstall it never fails `npm install`: it says what is missing, and `npm start` /
 * `npm test` fail with the same message if it is still missing then.
 */
import { defaultToolchainContext, resolveAll, ToolchainError } from '../temporal/toolchain/index.js';

const asPostinstall = process.argv.includes('--postinstall');

try {
  const found = await resolveAll(defaultToolchainContext());
  for (const b of Object.values(found)) {
    console.error(`audience-sync: ${b.spec.title}: ${b.path} (${b.route})`);
  }
} catch (err) {
  if (!(err instanceof ToolchainError)) throw err;
  console.error(`audience-sync: ${err.message}`);
  process.exitCode = asPostinstall ? 0 : 1;
}
