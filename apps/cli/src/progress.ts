import type { ProgressEvent } from '@xai/core';

export interface ProgressReporter {
  onProgress: (event: ProgressEvent) => void;
  /** Ends the current bar line (call when the work is done or failed). */
  done(): void;
}

const WIDTH = 28;

/**
 * A progress bar on a terminal, plain lines (every 10 %) when the stream is not one, nothing
 * when quiet.
 */
export function progressReporter(stream: NodeJS.WriteStream, options: { quiet?: boolean } = {}): ProgressReporter {
  if (options.quiet) return { onProgress: () => {}, done: () => {} };
  const tty = Boolean(stream.isTTY);
  let open = false;
  let lastDecile = -1;
  const started = Date.now();
  return {
    onProgress({ stage, done, total }) {
      const fraction = total > 0 ? done / total : 1;
      if (tty) {
        const filled = Math.round(fraction * WIDTH);
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        stream.write(`\r${stage} [${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}] ${done}/${total} ${seconds}s\x1b[K`);
        open = true;
      } else {
        const decile = Math.floor(fraction * 10);
        if (decile !== lastDecile) {
          lastDecile = decile;
          stream.write(`${stage}: ${done}/${total} (${Math.round(fraction * 100)}%)\n`);
        }
      }
    },
    done() {
      if (open) stream.write('\n');
      open = false;
      lastDecile = -1;
    },
  };
}
