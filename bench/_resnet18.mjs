// A benchmark model shared by the metrics benchmarks: the same work per image as the real network.

/** torchvision's ResNet-18 with batch norm folded into the convolutions; He-initialised random weights. */
export function resnet18Classifier(tf, core, inputSize, numClasses) {
  let seed = 7;
  const weights = [];
  const convWeight = (k, cin, cout) => {
    const w = tf.randomNormal([k, k, cin, cout], 0, Math.sqrt(2 / (k * k * cin)), 'float32', seed++);
    const b = tf.zeros([cout]);
    weights.push(w, b);
    return { w, b };
  };
  const conv = (x, p, stride, pad, relu = true) => {
    const padded = pad > 0 ? tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) : x;
    const y = tf.add(tf.conv2d(padded, p.w, stride, 'valid'), p.b);
    return relu ? tf.relu(y) : y;
  };
  const stem = convWeight(7, 3, 64);
  const blocks = [];
  let channels = 64;
  for (const [width, stride] of [[64, 1], [128, 2], [256, 2], [512, 2]]) {
    for (let b = 0; b < 2; b++) {
      const s = b === 0 ? stride : 1;
      blocks.push({
        stride: s,
        conv1: convWeight(3, channels, width),
        conv2: convWeight(3, width, width),
        down: s !== 1 || channels !== width ? convWeight(1, channels, width) : undefined,
      });
      channels = width;
    }
  }
  const fc = tf.randomNormal([512, numClasses], 0, 0.05, 'float32', seed++);
  weights.push(fc);
  return {
    input: { height: inputSize, width: inputSize, channels: 3, layout: 'NHWC' },
    numClasses,
    preprocessing: core.PREPROCESSING_PRESETS.imagenet,
    engine: 'tfjs ResNet-18 (random weights, BN folded)',
    async predict(batch) {
      return tf.tidy(() => {
        let x = conv(batch, stem, 2, 3);
        x = tf.maxPool(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), 3, 2, 'valid');
        for (const block of blocks) {
          const shortcut = block.down ? conv(x, block.down, block.stride, 0, false) : x;
          const y = conv(conv(x, block.conv1, block.stride, 1), block.conv2, 1, 1, false);
          x = tf.relu(tf.add(y, shortcut));
        }
        return tf.matMul(tf.mean(x, [1, 2]), fc);
      });
    },
    dispose() {
      tf.dispose(weights);
    },
  };
}
