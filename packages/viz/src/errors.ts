/**
 * An error caused by the caller's input. It carries the same `name` as `@xai/core`'s `XaiError`
 * (viz does not load core at run time), so apps that sort errors by name treat both alike.
 */
export class VizError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'XaiError';
  }
}
