import { XaiError } from '../errors.js';
import type { FromWorker, SpawnWorker, WorkerPort } from './protocol.js';
import type { ModelRecipe } from './recipe.js';

/** Rows of one image batch, cut out and posted only when a worker is free to run them. */
interface Job {
  rows: () => Float32Array;
  shape: [number, number, number, number];
  call: CallState;
  resolve(logits: Float32Array): void;
  reject(error: Error): void;
}

/** What the chunks of one `predict` share: once one fails, the rest of them are not started. */
export interface CallState {
  failed?: Error;
}

interface Slot {
  port: WorkerPort;
  ready: boolean;
  job?: Job;
  /** The job's id in the worker's messages. */
  jobId?: number;
  gone: boolean;
}

/** How busy a pool is, for tests and progress displays. */
export interface PoolStatus {
  /** Workers the pool runs when it has work for more than one. */
  readonly size: number;
  /** Workers started and not gone. */
  readonly running: number;
  /** Workers predicting now. */
  readonly busy: number;
  /** Chunks waiting for a free worker. */
  readonly queued: number;
}

/**
 * `size` workers, each with its own copy of the model built from `recipe`, started on the first
 * `run`. Chunks are run first come, first served, each by the next free worker, so chunks of
 * calls that overlap share the workers. A worker that dies fails the chunk it had; one is started
 * in its place for the next chunk. A worker that cannot build the model fails the pool: every
 * `run` from then on rejects with why (the pooled model still answers a batch of one chunk
 * in-process, as it does before workers start).
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private failure?: XaiError;
  private disposed = false;

  constructor(
    private readonly recipe: ModelRecipe,
    private readonly spawn: SpawnWorker,
    readonly size: number,
  ) {}

  get started(): boolean {
    return this.slots.length > 0;
  }

  status(): PoolStatus {
    const live = this.slots.filter((s) => !s.gone);
    return { size: this.size, running: live.length, busy: live.filter((s) => s.job).length, queued: this.queue.length };
  }

  /** Starts the workers (they load the model) if they are not running. */
  start(): void {
    if (!this.failure && !this.disposed) this.fill();
  }

  /** Logits of one chunk `[rows, K]`, flat; `rows` is called when a worker takes the chunk. */
  run(rows: () => Float32Array, shape: [number, number, number, number], call: CallState): Promise<Float32Array> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.disposed) return Promise.reject(new XaiError('the model was disposed; its workers are stopped'));
    return new Promise((resolve, reject) => {
      this.queue.push({ rows, shape, call, resolve, reject });
      this.fill();
      this.dispatch();
    });
  }

  /** Stops every worker; chunks still queued reject. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const stopped = new XaiError('the model was disposed while it was predicting; its workers are stopped');
    this.rejectQueued(stopped);
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      slot.gone = true;
      slot.job?.reject(stopped);
      slot.job = undefined;
    }
    await Promise.all(slots.map((s) => s.port.terminate()));
  }

  private fill(): void {
    while (this.slots.filter((s) => !s.gone).length < this.size) this.startOne();
  }

  private startOne(): void {
    const port = this.spawn();
    const slot: Slot = { port, ready: false, gone: false };
    this.slots.push(slot);
    port.onMessage((message) => this.receive(slot, message));
    port.onExit((reason) => this.lost(slot, reason));
    try {
      port.post({ type: 'load', recipe: this.recipe });
    } catch (error) {
      this.fail(`a worker could not be sent the model's recipe (${this.recipe.export} from ${this.recipe.module}): ${(error as Error).message}`);
      return;
    }
    port.hold?.(true);
  }

  private receive(slot: Slot, message: FromWorker): void {
    if (slot.gone) return;
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        break;
      case 'loadFailed':
        this.fail(`a worker could not load the model (${this.recipe.export} from ${this.recipe.module}): ${message.message}`);
        return;
      case 'result':
      case 'failed': {
        const job = slot.job;
        if (!job || message.id !== slot.jobId) return;
        slot.job = undefined;
        if (message.type === 'result') job.resolve(message.data);
        else failJob(job, new XaiError(`a worker failed to predict: ${message.message}`));
        break;
      }
    }
    this.dispatch();
  }

  private lost(slot: Slot, reason: string): void {
    if (slot.gone || this.disposed) return;
    slot.gone = true;
    this.slots.splice(this.slots.indexOf(slot), 1);
    if (!slot.ready) {
      this.fail(`a worker stopped while loading the model (${this.recipe.export} from ${this.recipe.module}): ${reason}`);
      return;
    }
    if (slot.job) failJob(slot.job, new XaiError(`a worker stopped while predicting: ${reason}`));
    slot.job = undefined;
    // A replacement, for the chunks still to come.
    if (this.queue.length > 0) this.fill();
    this.dispatch();
  }

  /** Gives queued chunks to free workers, in order; chunks of a call that failed are dropped. */
  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.gone || !slot.ready || slot.job) continue;
      let job = this.queue.shift();
      while (job?.call.failed) {
        job.reject(job.call.failed);
        job = this.queue.shift();
      }
      if (!job) break;
      const id = this.nextId++;
      const data = job.rows();
      slot.job = job;
      slot.jobId = id;
      slot.port.post({ type: 'predict', id, data, shape: job.shape }, [data.buffer as ArrayBuffer]);
    }
    for (const slot of this.slots) slot.port.hold?.(!slot.ready || slot.job !== undefined);
  }

  private fail(message: string): void {
    this.failure = new XaiError(message);
    this.rejectQueued(this.failure);
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      slot.gone = true;
      slot.job?.reject(this.failure);
      slot.job = undefined;
      void slot.port.terminate();
    }
  }

  private rejectQueued(error: Error): void {
    for (const job of this.queue.splice(0)) job.reject(error);
  }
}

/** Fails a chunk and, before any other chunk is handed out, the rest of its call. */
function failJob(job: Job, error: Error): void {
  job.call.failed ??= error;
  job.reject(error);
}
