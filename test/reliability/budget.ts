/**
 * `npm run test:reliability` sets RELIABILITY=full: the suites at the sizes the issue names.
 * Under `npm test` they run smaller, to stay inside CI's time.
 */
export const FULL = process.env.RELIABILITY === 'full';
