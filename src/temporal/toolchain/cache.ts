import { access, chmod, constants, mkdir, mkdtemp, open, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Per-user cache shared by every clone: `$AUDIENCE_SYNC_CACHE_DIR`, else `$XDG_CACHE_HOME/audience-sync`, else `~/.cache/audience-sync`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.AUDIENCE_SYNC_CACHE_DIR) return env.AUDIENCE_SYNC_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'audience-sync');
}

export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** True when the file starts like a native program (ELF, Mach-O or PE), not a Python shim. */
export async function isNativeExecutable(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const { buffer } = await fh.read(Buffer.alloc(4), 0, 4, 0);
    const hex = buffer.toString('hex');
    return (
      hex === '7f454c46' || // ELF
      hex.startsWith('4d5a') || // PE
      ['cffaedfe', 'cefaedfe', 'cafebabe'].includes(hex) // Mach-O (64, 32, universal)
    );
  } finally {
    await fh.close();
  }
}

/**
 * Builds a cache entry in a private temp folder and renames it into place, so a second
 * install running at the same time (postinstall and a test run, say) never sees half a binary.
 */
export async function installAtomically(
  cacheDir: string,
  entry: string,
  build: (dir: string) => Promise<void>,
): Promise<string> {
  await mkdir(cacheDir, { recursive: true });
  const tmp = await mkdtemp(join(cacheDir, `.tmp-${entry}-`));
  const final = join(cacheDir, entry);
  try {
    await build(tmp);
    await chmod(tmp, 0o755); // mkdtemp made it private; the finished entry is an ordinary folder
    try {
      await rename(tmp, final);
    } catch (err) {
      // Someone else finished first: theirs is as good as ours.
      if (!(await isExecutable(final))) throw err;
    }
    return final;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
