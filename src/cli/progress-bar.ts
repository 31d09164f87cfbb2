/**
 * A one-line progress bar on stderr (bytes read, rate, ETA) for long reads. Only the CLI draws it,
 * and only for a person at a terminal: the caller decides (non-TTY, NO_COLOR, CI → none).
 */

const REDRAW_MS = 200;

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export class ProgressBar {
  private readonly started: number;
  // Not 0: performance.now() counts from the process's start, so a first update within 200 ms of it (a short-lived
  // process, a fast machine) was throttled away and the bar never appeared until the end.
  private lastDraw = Number.NEGATIVE_INFINITY;
  private drawn = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly label: string,
    private readonly width = 24,
    /** Milliseconds, monotonic (tests give their own). */
    private readonly now: () => number = () => performance.now(),
  ) {
    this.started = this.now();
  }

  update(done: number, total: number): void {
    const now = this.now();
    if (now - this.lastDraw < REDRAW_MS && done < total) return;
    this.lastDraw = now;
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(fraction * this.width);
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? (total - done) / rate : Number.POSITIVE_INFINITY;
    const bar = `${'█'.repeat(filled)}${'░'.repeat(this.width - filled)}`;
    this.write(
      `\r${this.label} ${bar} ${(fraction * 100).toFixed(0).padStart(3)}%  ${megabytes(done)}/${megabytes(total)}  ${megabytes(rate)}/s  ETA ${clock(eta)}\u001b[K`,
    );
    this.drawn = true;
  }

  /** Clears the line so the report starts on a clean one. */
  finish(): void {
    if (this.drawn) this.write('\r\u001b[K');
  }
}
