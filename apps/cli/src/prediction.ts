import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '@xai/core';

export interface ClassScore {
  classIndex: number;
  className?: string;
  probability: number;
  logit: number;
}

/** The model's top-k classes for one NHWC image, with softmax probabilities. */
export async function predictTop(model: Classifier, image: tf.Tensor4D, k: number): Promise<{ top: ClassScore[]; logits: Float32Array }> {
  const logits = await model.predict(image);
  const probabilities = tf.softmax(logits);
  const [l, p] = await Promise.all([logits.data() as Promise<Float32Array>, probabilities.data() as Promise<Float32Array>]);
  tf.dispose([logits, probabilities]);
  const order = Array.from(p.keys()).sort((a, b) => p[b] - p[a] || a - b);
  const top = order.slice(0, k).map((classIndex) => ({
    classIndex,
    className: model.classNames?.[classIndex],
    probability: p[classIndex],
    logit: l[classIndex],
  }));
  return { top, logits: l };
}

export function classLabel(score: { classIndex: number; className?: string }): string {
  return score.className ? `${score.className} (${score.classIndex})` : `class ${score.classIndex}`;
}
