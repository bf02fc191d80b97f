import { defaultCacheDir } from './cache.js';
import type { ToolchainContext } from './routes.js';
import { sdkDownload } from './sdk-download.js';

export { CLI, TEST_SERVER, type BinarySpec } from './binaries.js';
export { resolveAll, resolveBinary, ToolchainError, type ResolvedBinary } from './resolve.js';
export type { ToolchainContext } from './routes.js';

export function defaultToolchainContext(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = (line) => console.error(`audience-sync: ${line}`),
): ToolchainContext {
  return { env, cacheDir: defaultCacheDir(env), log, sdkDownload };
}
