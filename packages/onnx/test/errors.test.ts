import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { XaiError } from '@xai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel as loadBrowser } from '../src/index.js';
import { onnx } from '../src/proto.js';
import { loadOnnxModel } from '../src/node/index.js';
import { GOLDEN, nchwToNhwc, readNpy, relativeError, useBackend } from './helpers.js';

const MODEL = join(GOLDEN, 'model.onnx');
const bytes = () => new Uint8Array(readFileSync(MODEL));

// The decoded message with every field present (the golden model has them all).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Editable = any;

/** The golden model, edited through the official schema. */
function edited(edit: (m: Editable) => void): Uint8Array {
  const m = onnx.ModelProto.decode(bytes());
  edit(m);
  return onnx.ModelProto.encode(m).finish();
}

async function failure(promise: Promise<unknown>): Promise<XaiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(XaiError);
  return error as XaiError;
}

describe('bad input', () => {
  beforeAll(() => useBackend('cpu'));

  it('rejects empty, truncated and non-ONNX bytes', async () => {
    expect((await failure(loadBrowser(new Uint8Array(0)))).message).toMatch(/empty/);
    const b = bytes();
    expect((await failure(loadBrowser(b.subarray(0, Math.floor(b.length / 2))))).message).toMatch(/not a valid ONNX model|truncated/);
    const png = readFileSync(join(GOLDEN, 'image.png'));
    expect((await failure(loadBrowser(new Uint8Array(png)))).message).toMatch(/ONNX/);
    expect((await failure(loadBrowser(new TextEncoder().encode('{"not": "onnx"}')))).message).toMatch(/ONNX/);
  });

  it('rejects a missing file with its path', async () => {
    expect((await failure(loadOnnxModel('/nonexistent/model.onnx'))).message).toMatch(/cannot read the model file.*ENOENT/);
  });

  it('names an unsupported operator, its node and the supported list', async () => {
    const model = edited((m) => {
      m.graph.node[1].opType = 'Celu';
    });
    const error = await failure(loadBrowser(model, { engine: 'tfjs' }));
    expect(error.message).toMatch(/Celu \(node "\/relu\/Relu"\)/);
    expect(error.message).toMatch(/Supported: .*Conv.*HardSwish.*Softmax/);
  });

  it('rejects models without a 4-D image input', async () => {
    const model = edited((m) => {
      m.graph.input[0].type!.tensorType!.shape!.dim!.splice(2, 2);
    });
    expect((await failure(loadBrowser(model, { engine: 'tfjs' }))).message).toMatch(/no 4-D image input.*input \[batch, 3\]/);
  });

  it('asks for inputSize when the spatial size is dynamic, and works with it', async () => {
    const model = edited((m) => {
      const dims = m.graph.input[0].type!.tensorType!.shape!.dim!;
      dims[2] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'height' });
      dims[3] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'width' });
    });
    expect((await failure(loadBrowser(model, { engine: 'tfjs' }))).message).toMatch(/dynamic height.*inputSize/);
    const classifier = await loadBrowser(model, { engine: 'tfjs', inputSize: 64 });
    expect(classifier.input).toMatchObject({ height: 64, width: 64 });
    classifier.dispose();
    expect((await failure(loadBrowser(bytes(), { engine: 'tfjs', inputSize: [32, 32] }))).message).toMatch(/differs from the model's fixed height 64/);
  });

  it('rejects unknown engines and wrong classNames', async () => {
    expect((await failure(loadBrowser(bytes(), { engine: 'gpu' as 'tfjs' }))).message).toMatch(/Unknown engine "gpu"/);
    expect((await failure(loadBrowser(bytes(), { engine: 'tfjs', classNames: ['a'] }))).message).toMatch(/1 names but the model has 4 classes/);
  });

  describe('external data', () => {
    /** Moves every initializer's bytes into `weights.bin`, as onnx.save(..., save_as_external_data=True). */
    function externalise(): { model: Uint8Array; data: Uint8Array } {
      const chunks: Uint8Array[] = [];
      let offset = 0;
      const model = edited((m) => {
        for (const t of m.graph.initializer) {
          const raw = t.rawData;
          t.externalData = [
            onnx.StringStringEntryProto.create({ key: 'location', value: 'weights.bin' }),
            onnx.StringStringEntryProto.create({ key: 'offset', value: String(offset) }),
            onnx.StringStringEntryProto.create({ key: 'length', value: String(raw.length) }),
          ];
          t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
          t.rawData = new Uint8Array(0);
          chunks.push(raw);
          offset += raw.length;
        }
      });
      const data = new Uint8Array(offset);
      let o = 0;
      for (const c of chunks) {
        data.set(c, o);
        o += c.length;
      }
      return { model, data };
    }

    it('fails clearly when the data file is missing, loads when it is beside the model', async () => {
      const { model, data } = externalise();
      const dir = mkdtempSync(join(tmpdir(), 'xai-onnx-'));
      const path = join(dir, 'model.onnx');
      writeFileSync(path, model);
      expect((await failure(loadOnnxModel(path, { engine: 'tfjs' }))).message).toMatch(/external data file "weights.bin" is missing/);
      expect((await failure(loadBrowser(model, { engine: 'tfjs' }))).message).toMatch(/external file "weights.bin", which was not given/);

      writeFileSync(join(dir, 'weights.bin'), data);
      const x = nchwToNhwc(readNpy(join(GOLDEN, 'input.npy')));
      const ref = readNpy(join(GOLDEN, 'logits.npy')).data;
      for (const classifier of [
        await loadOnnxModel(path),
        await loadBrowser(model, { engine: 'tfjs', externalData: { 'weights.bin': data } }),
        await loadBrowser(model, { engine: 'onnxruntime', externalData: { 'weights.bin': data } }),
      ]) {
        const logits = await classifier.predict(x);
        expect(relativeError(await logits.data(), ref)).toBeLessThan(1e-4);
        logits.dispose();
        classifier.dispose();
      }
      x.dispose();

      writeFileSync(join(dir, 'weights.bin'), data.subarray(0, 100));
      expect((await failure(loadOnnxModel(path, { engine: 'tfjs' }))).message).toMatch(/weights.bin has 100 bytes/);
    });

    it('refuses data files outside the model directory', async () => {
      const model = edited((m) => {
        const t = m.graph.initializer[0];
        t.externalData = [onnx.StringStringEntryProto.create({ key: 'location', value: '../../etc/passwd' })];
        t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
        t.rawData = new Uint8Array(0);
      });
      const dir = mkdtempSync(join(tmpdir(), 'xai-onnx-'));
      writeFileSync(join(dir, 'model.onnx'), model);
      expect((await failure(loadOnnxModel(join(dir, 'model.onnx'), { engine: 'tfjs' }))).message).toMatch(/not a file beside the model; refused/);
    });
  });

  it('rejects tensors whose data does not match their shape, leaving no tensors behind', async () => {
    // The first initializer fails before any is uploaded; the last after all the others were.
    for (const which of ['first', 'last'] as const) {
      const model = edited((m) => {
        m.graph.initializer[which === 'first' ? 0 : m.graph.initializer.length - 1].dims = [1000, 1000];
      });
      const before = tf.memory().numTensors;
      expect((await failure(loadBrowser(model, { engine: 'tfjs' }))).message).toMatch(/needs 4000000 bytes of data for its shape but has/);
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});
