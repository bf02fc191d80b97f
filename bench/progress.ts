/**
 * The benchmark's progress bar, on stderr: redrawn in place on a terminal, one line every few
 * seconds otherwise (CI logs), so a long run shows it is moving and how long is left.
 */
const WIDTH = 30;

export function bar(done: number, total: number, width = WIDTH): string {
  const share = total > 0 ? Math.min(1, done / total) : 0;
  const full = Math.round(share * width);
  return `[${'█'.repeat(full)}${'░'.repeat(width - full)}] ${String(Math.floor(share * 100)).padStart(3)} %`;
}

export interface Progress {
  /** A phase with a known total: bar, count, rate and time left. */
  update(phase: string, done: number, total: number): void;
  /** A phase without a total. */
  note(text: string): void;
  /** Ends the current line. */
  done(): void;
}

export function progress(out: NodeJS.WriteStream = process.stderr): Progress {
  const tty = out.isTTY === true;
  let phase = '';
  let since = Date.now();
  let lastPrinted = 0;
  const write = (line: string, force = false) => {
    if (tty) out.write(`\r\x1b[2K${line}`);
    else if (force || Date.now() - lastPrinted >= 5_000) {
      out.write(`${line}\n`);
      lastPrinted = Date.now();
    }
  };
  return {
    update(name, done, total) {
      const first = name !== phase;
      if (first) {
        if (tty && phase) out.write('\n');
        phase = name;
        since = Date.now();
      }
      const seconds = (Date.now() - since) / 1000;
      const rate = seconds > 0 ? done / seconds : 0;
      const left = rate > 0 ? Math.ceil((total - done) / rate) : NaN;
      write(
        `${name.padEnd(8)} ${bar(done, total)}  ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}` +
          `  ${Math.round(rate).toLocaleString('en-US')}/s${Number.isFinite(left) && done < total ? `  ~${left} s left` : ''}`,
        first || done >= total,
      );
    },
    note(text) {
      if (tty && phase) out.write('\n');
      phase = '';
      write(text, true);
    },
    done() {
      if (tty) out.write('\n');
      phase = '';
    },
  };
}
