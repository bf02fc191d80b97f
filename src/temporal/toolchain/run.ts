import { spawn } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Thrown when the command itself is not installed, so a route can name what is missing. */
export class CommandNotFound extends Error {
  constructor(readonly command: string) {
    super(`${command} is not installed (not found on PATH)`);
  }
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called every `everyMs` while the command runs: long fetches and builds say they are alive. */
  onTick?: (elapsedMs: number) => void;
  everyMs?: number;
}

/** Runs a command to completion, collecting its output (bounded) and never throwing on a non-zero exit. */
export function run(command: string, args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const keep = (acc: string, chunk: Buffer) => (acc + chunk.toString()).slice(-64_000);
    child.stdout.on('data', (c: Buffer) => (stdout = keep(stdout, c)));
    child.stderr.on('data', (c: Buffer) => (stderr = keep(stderr, c)));
    const tick = opts.onTick
      ? setInterval(() => opts.onTick?.(Date.now() - started), opts.everyMs ?? 30_000)
      : undefined;
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearInterval(tick);
      reject(err.code === 'ENOENT' ? new CommandNotFound(command) : err);
    });
    child.on('close', (code) => {
      clearInterval(tick);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** The last non-empty line of a command's output: the part of an error worth quoting. */
export function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim());
  return lines.filter(Boolean).pop() ?? '(no output)';
}
