import { OnnxBlackBoxClassifier } from './black-box.js';
import { OnnxClassifier } from './classifier.js';
import { UnsupportedOperatorsError } from './graph.js';
import type { OnnxModelOptions, OnnxSource } from './options.js';

/**
 * What `loadOnnxModel` gives: the white-box classifier, or — when the tfjs graph lacks operators
 * the model uses and onnxruntime runs it — a black-box one (predictions only).
 */
export type OnnxModel = OnnxClassifier | OnnxBlackBoxClassifier;

/** Opens a model white-box, or black-box on onnxruntime when the tfjs graph lacks its operators. */
export async function openOnnxModel(source: OnnxSource, options: OnnxModelOptions): Promise<OnnxModel> {
  try {
    return await OnnxClassifier.create(source, options);
  } catch (error) {
    if (error instanceof UnsupportedOperatorsError) return OnnxBlackBoxClassifier.create(source, options, error);
    throw error;
  }
}
