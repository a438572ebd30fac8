import { LayersClassifier, filesSource, loadTfjsClassifier, urlSource, type Classifier, type Preprocessing } from '@xai/core';
import { loadOnnxModel } from '@xai/onnx';
import { DEMO_MODEL, buildDemoArchitecture } from '@xai/zoo';

type PreprocessingArg = string | Partial<Preprocessing> | undefined;

/**
 * A model that runs on the tfjs engine, as plain data: enough to build it here and again in each
 * of the pool's workers (it is posted to them in the model's recipe). Uploaded files carry their
 * bytes, so a worker needs nothing the page held.
 */
export type TfjsModelSpec =
  | { kind: 'demo'; url: string; preprocessing: PreprocessingArg }
  | { kind: 'demo-untrained'; seed: number; preprocessing: PreprocessingArg }
  | { kind: 'tfjs'; files: { name: string; bytes: ArrayBuffer }[]; preprocessing: PreprocessingArg }
  | { kind: 'onnx'; bytes: ArrayBuffer; preprocessing: PreprocessingArg };

/** Builds the model a spec describes; the pool's workers call it by this name (see pool-worker.ts). */
export async function buildTfjsModel(spec: TfjsModelSpec): Promise<Classifier> {
  const { preprocessing } = spec;
  switch (spec.kind) {
    case 'demo':
      return loadTfjsClassifier(urlSource(spec.url), { preprocessing });
    case 'demo-untrained': {
      const layers = buildDemoArchitecture({ size: DEMO_MODEL.inputSize, numClasses: DEMO_MODEL.classNames.length, seed: spec.seed });
      return new LayersClassifier(layers, { classNames: DEMO_MODEL.classNames, preprocessing: preprocessing ?? DEMO_MODEL.preprocessing });
    }
    case 'tfjs':
      return loadTfjsClassifier(filesSource(spec.files.map((f) => new File([f.bytes], f.name))), { preprocessing });
    case 'onnx':
      // The tfjs graph, as the model that was loaded ran (it had no onnxruntime-web session).
      return loadOnnxModel(new Uint8Array(spec.bytes), { preprocessing, engine: 'tfjs' });
  }
}

/** Reads uploaded files into a spec's bytes (each File once). */
export async function filesSpec(files: File[], preprocessing: PreprocessingArg): Promise<TfjsModelSpec> {
  return { kind: 'tfjs', files: await Promise.all(files.map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() }))), preprocessing };
}
