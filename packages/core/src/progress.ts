/** A progress event from long work: `done` of `total` items of one `stage`. */
export interface ProgressEvent {
  stage: string;
  done: number;
  total: number;
}

/** The options every long-running call accepts. */
export interface LongWorkOptions {
  /** Items per forward batch; memory is bounded by it. */
  batchSize?: number;
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
}
