/** What a command needs from its surroundings; tests pass their own streams. */
export interface Context {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** Cancels long work (Ctrl-C). */
  signal: AbortSignal;
}
