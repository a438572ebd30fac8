import * as tf from '@tensorflow/tfjs-core';
import { XaiError, describePreprocessing, modelPixels, planGeometry, preprocess, type Classifier, type RawImage } from '@xai/core';
import type { LoadedModel } from './models.js';
import type { PredictResult } from '../protocol.js';
import { topClasses } from '../logic/top-classes.js';

/** The worker's state: the model in use and the current image, preprocessed for it. */
export class Session {
  private loaded?: LoadedModel;
  private image?: tf.Tensor4D;

  /** Swaps in a new model; the image must be predicted again for it. */
  setModel(next: LoadedModel): void {
    this.loaded?.model.dispose();
    this.loaded = next;
    this.clearImage();
  }

  get model(): Classifier {
    if (!this.loaded) throw new XaiError('No model is loaded yet');
    return this.loaded.model;
  }

  /** Who computes the model's layers and gradients now (see `LoadedModel.gradients`). */
  get gradients(): string | undefined {
    return this.loaded?.gradients();
  }

  get input(): tf.Tensor4D {
    if (!this.image) throw new XaiError('No image yet: pick a sample or drop an image first');
    return this.image;
  }

  /** Preprocesses the image for the model and returns its top-5 classes and the full ranking. */
  async predict(raw: RawImage): Promise<PredictResult> {
    const model = this.model;
    const image = preprocess(raw, model.input, model.preprocessing);
    let logits: tf.Tensor2D | undefined;
    try {
      logits = await model.predict(image);
      const values = await logits.data();
      if (values.some((v) => !Number.isFinite(v))) {
        throw new XaiError('The model returned non-finite scores for this image; check the preprocessing preset');
      }
      const ranked = topClasses(values, model.numClasses, model.classNames);
      const modelView = await modelPixels(raw, model.input, model.preprocessing);
      const { steps } = describePreprocessing(model.preprocessing, raw, model.input);
      this.clearImage();
      this.image = image;
      return { top: ranked.slice(0, 5), ranked: ranked.map((p) => p.classIndex), modelView, steps, window: viewWindow(raw, model) };
    } catch (error) {
      image.dispose();
      throw error;
    } finally {
      logits?.dispose();
    }
  }

  private clearImage(): void {
    this.image?.dispose();
    this.image = undefined;
  }
}

/** The part of the image the model sees, in the image's pixels: the crop mapped back through the resizes. */
function viewWindow(raw: RawImage, model: Classifier): PredictResult['window'] {
  let scaleX = 1;
  let scaleY = 1;
  let left = 0;
  let top = 0;
  let width = raw.width;
  let height = raw.height;
  for (const step of planGeometry(raw, model.input, model.preprocessing)) {
    if (step.kind === 'resize') {
      scaleX *= step.from.width / step.to.width;
      scaleY *= step.from.height / step.to.height;
    } else {
      left += step.box.left * scaleX;
      top += step.box.top * scaleY;
      width = step.box.width * scaleX;
      height = step.box.height * scaleY;
    }
  }
  return { left, top, width, height };
}
