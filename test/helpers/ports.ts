/** Tests take free ports the way the benchmark does. */
export { freePort } from '../../src/temporal/process.js';
