/** An error caused by the caller's input; the message says what was wrong and what is accepted. */
export class XaiError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'XaiError';
  }
}

/** The error long work rejects with when its AbortSignal fires (same name as the DOM's). */
export class AbortError extends Error {
  constructor(message = 'The operation was aborted') {
    super(message);
    this.name = 'AbortError';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    throw reason instanceof Error && reason.name === 'AbortError' ? reason : new AbortError();
  }
}

/** Lists names for an error message, shortening long lists. */
export function listForMessage(names: readonly string[], limit = 40): string {
  if (names.length <= limit) return names.join(', ');
  return `${names.slice(0, limit).join(', ')}, … (${names.length - limit} more)`;
}
