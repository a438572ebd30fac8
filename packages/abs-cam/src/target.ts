import * as tf from '@tensorflow/tfjs-core';
import { XaiError, listForMessage, type Classifier, type LayerInfo, type WhiteBoxClassifier, isWhiteBox } from '@xai/core';

export function requireWhiteBox(model: Classifier): WhiteBoxClassifier {
  if (isWhiteBox(model)) return model;
  throw new XaiError(
    `Abs-CAM needs a model that gives layer activations and gradients (a white-box Classifier: a tfjs ` +
      `LayersModel or GraphModel, or an ONNX model loaded as a differentiable graph); this model ` +
      `(engine ${model.engine}) can only predict`,
  );
}

/** Checks the image is one preprocessed NHWC picture of the model's input size, `[1,H,W,C]` or `[H,W,C]`. */
export function checkImage(model: Classifier, image: tf.Tensor): void {
  const { height, width, channels } = model.input;
  const expected = `[1, ${height}, ${width}, ${channels}] (or [${height}, ${width}, ${channels}]), preprocessed, NHWC`;
  const shape = image.rank === 3 ? [1, ...image.shape] : image.shape;
  const fits = shape.length === 4 && shape[0] === 1 && shape[1] === height && shape[2] === width && shape[3] === channels;
  if (!fits) throw new XaiError(`Abs-CAM explains one image of shape ${expected}; got [${image.shape.join(', ')}]`);
  if (image.dtype !== 'float32') throw new XaiError(`The image must be float32 (preprocessed); got ${image.dtype}`);
}

export interface ChosenLayer {
  name: string;
  /** Output shape without the batch axis, in the model's own layout. */
  shape: number[];
  /** True when the caller did not name a layer. */
  isDefault: boolean;
}

/** The layer to explain at: the named one if it is a 4-D feature map, else the model's default. */
export function chooseLayer(model: WhiteBoxClassifier, name: string | undefined): ChosenLayer {
  const layers = model.layers();
  const wanted = name ?? model.defaultCamLayer();
  const info = layers.find((l) => l.name === wanted);
  if (!info) throw new XaiError(`Unknown layer "${wanted}". ${camTargetList(layers)}`);
  if (!info.camTarget || info.shape.length !== 3) {
    throw new XaiError(
      `Layer "${wanted}" has output shape [${info.shape.join('×')}] (without batch), not a 4-D feature map; ` +
        `Abs-CAM weights the channels of a [batch, height, width, channels] output. ${camTargetList(layers)}`,
    );
  }
  return { name: wanted, shape: info.shape, isDefault: name === undefined };
}

function camTargetList(layers: readonly LayerInfo[]): string {
  const targets = layers.filter((l) => l.camTarget).map((l) => `${l.name} [${l.shape.join('×')}]`);
  if (targets.length === 0) return 'This model has no layer with a 4-D output.';
  return `Layers with a 4-D output: ${listForMessage(targets)}`;
}

export interface ChosenClass {
  index: number;
  name?: string;
  isDefault: boolean;
}

/** Resolves a class index or name; checks it against the model's classes. */
export function chooseClass(model: Classifier, target: number | string): ChosenClass {
  const names = model.classNames;
  if (typeof target === 'string') {
    const index = names?.indexOf(target) ?? -1;
    if (index < 0) {
      const known = names?.length ? `one of: ${listForMessage(names.map((n) => `"${n}"`))}` : 'none: the model has no class names, so give an index';
      throw new XaiError(`Unknown class name "${target}"; class names accepted: ${known}`);
    }
    return { index, name: target, isDefault: false };
  }
  if (!Number.isInteger(target) || target < 0 || target >= model.numClasses) {
    throw new XaiError(`Class index ${target} is out of range; the model has ${model.numClasses} classes (0 … ${model.numClasses - 1})`);
  }
  return { index: target, name: names?.[target], isDefault: false };
}

/** The top-1 class of one image's logits `[1, K]`. */
export async function topClass(model: Classifier, logits: tf.Tensor2D): Promise<ChosenClass> {
  const best = tf.argMax(logits, 1);
  const index = (await best.data())[0];
  best.dispose();
  return { index, name: model.classNames?.[index], isDefault: true };
}
