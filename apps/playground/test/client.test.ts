import { describe, expect, test } from 'vitest';
import { WorkerClient } from '../src/client.js';
import type { FromWorker, ToWorker } from '../src/protocol.js';

/** Just enough of a Worker: records what the page sends and lets the test answer. */
class FakeWorker {
  sent: ToWorker[] = [];
  onmessage: ((event: MessageEvent<FromWorker>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  postMessage(message: ToWorker): void {
    this.sent.push(message);
  }
  answer(message: FromWorker): void {
    this.onmessage?.({ data: message } as MessageEvent<FromWorker>);
  }
}

function setup() {
  const worker = new FakeWorker();
  return { worker, client: new WorkerClient(worker as unknown as Worker) };
}

describe('WorkerClient', () => {
  test('matches replies to calls by id, whatever their order', async () => {
    const { worker, client } = setup();
    const first = client.call('init', { demoBase: 'http://x/demo/' });
    const second = client.call('init', { prefer: 'wasm', demoBase: 'http://x/demo/' });
    expect(worker.sent.map((m) => m.id)).toEqual([first.id, second.id]);
    expect(worker.sent[1]).toMatchObject({ type: 'init', prefer: 'wasm' });
    worker.answer({ type: 'reply', id: second.id, reply: { backend: { id: 'wasm', skipped: [] }, methods: [] } });
    worker.answer({ type: 'reply', id: first.id, reply: { backend: { id: 'webgl', skipped: [] }, methods: [] } });
    expect((await first.result).backend).toEqual({ id: 'webgl', skipped: [] });
    expect((await second.result).backend).toEqual({ id: 'wasm', skipped: [] });
  });

  test('hands progress to its call and rejects with the worker error name', async () => {
    const { worker, client } = setup();
    const events: number[] = [];
    const call = client.call('evaluate', { map: {} as never }, (e) => events.push(e.done));
    worker.answer({ type: 'progress', id: call.id, event: { stage: 'insertion', done: 3, total: 9 } });
    worker.answer({ type: 'error', id: call.id, error: { name: 'AbortError', message: 'stopped' } });
    await expect(call.result).rejects.toMatchObject({ name: 'AbortError', message: 'stopped' });
    expect(events).toEqual([3]);
  });

  test('cancel sends a cancel message for that call', () => {
    const { worker, client } = setup();
    const call = client.call('init', { demoBase: '' });
    call.cancel();
    expect(worker.sent.at(-1)).toEqual({ type: 'cancel', id: call.id });
  });

  test('a passes message goes to onPasses, and leaves the pending calls alone', async () => {
    const { worker, client } = setup();
    const heard: unknown[] = [];
    client.onPasses = (passes) => heard.push(passes);
    const call = client.call('explain', {} as never);
    const passes = { engine: 'tfjs' as const, backend: 'wasm', workers: 1, inProcess: 'a worker stopped while loading the model' };
    worker.answer({ type: 'passes', passes });
    expect(heard).toEqual([passes]);
    worker.answer({ type: 'reply', id: call.id, reply: { method: 'rise' } });
    expect(await call.result).toEqual({ method: 'rise' });
  });

  test('a crashed worker fails every pending call', async () => {
    const { worker, client } = setup();
    const call = client.call('init', { demoBase: '' });
    worker.onerror?.({ message: 'boom' } as ErrorEvent);
    await expect(call.result).rejects.toThrow('boom');
  });
});
