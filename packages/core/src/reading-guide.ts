/**
 * One line per map and metric, for a reader who has not read the papers: what it shows and which
 * way is better. Shown in the playground and in `xai compare`'s report.
 */
export interface GuideLine {
  term: string;
  line: string;
}

const MAPS: Record<string, string> = {
  rise: 'RISE: how much the class score stays when only a pixel’s neighbourhood is kept, averaged over random masks; high = the score depends on it. Values sit near the mean score, so a narrow range is normal.',
  'rise-gaussian': 'RISE with Gaussian masks: the same question with soft random masks.',
  'abs-cam-init': 'Abs-CAM (initial): layer activations weighted by the mean absolute gradient; high = features the class score reacts to.',
  'abs-cam-final': 'Abs-CAM (final): activation maps used as masks, weighted by the class score each mask keeps; high = regions that carry the score.',
  'grad-cam': 'Grad-CAM: layer activations weighted by the mean gradient, positive part only; high = evidence for the class (coarse, at the layer’s resolution).',
  'guided-grad-cam': 'Guided Grad-CAM: Grad-CAM times guided backpropagation; fine edges inside the Grad-CAM region.',
  'grad-cam-pp': 'Grad-CAM++: Grad-CAM with per-position weights; better when the class appears several times.',
  'layer-cam': 'LayerCAM: activations times positive gradients at each position; finer than Grad-CAM at early layers.',
  'score-cam': 'Score-CAM: activation maps as masks, weighted by the class score each keeps (no gradients).',
  'ablation-cam': 'Ablation-CAM: how much the score drops when each activation map is zeroed.',
  'eigen-cam': 'Eigen-CAM: the first principal component of the activations; class-agnostic (the same map for every class).',
  saliency: 'Saliency: |gradient| of the class score per pixel; high = a small change there moves the score most. Noisy by nature.',
  'input-x-gradient': 'Input × Gradient: pixel value times gradient; signed: red raises the score, blue lowers it.',
  'integrated-gradients': 'Integrated Gradients: gradients summed along a path from a baseline to the image; signed, and the sum equals the score difference.',
  'guided-backprop': 'Guided Backpropagation: gradients with negative paths cut at every ReLU; sharp edges, weakly class-specific.',
  smoothgrad: 'SmoothGrad: gradients averaged over noisy copies of the image; less speckle than Saliency.',
  occlusion: 'Occlusion: how much the score drops when a window over the pixel is greyed out; high = needed for the class.',
};

/** By the names the metrics and the pages use. */
const METRICS: Record<string, GuideLine> = {
  'colour-bar': { term: 'colour bar', line: 'The two ends are the map’s own minimum and maximum (or the shared scale’s): a map spanning 0.48–0.53 is nearly flat even if it looks bright.' },
  insertion: { term: 'insertion AUC', line: 'Pixels added most-salient first to a blurred image; the area under the class probability. Higher is better (0 to 1).' },
  deletion: { term: 'deletion AUC', line: 'Pixels removed most-salient first (set to black); the area under the class probability. Lower is better (0 to 1).' },
  'random-map': { term: 'random map', line: 'The same AUC for a random map on the same image: a method is only informative where it beats this.' },
  road: { term: 'ROAD', line: 'The class probability as the most and the least relevant pixels are replaced by a noisy imputation of their neighbours (less leakage than blur or black). Higher is better.' },
  sparseness: { term: 'sparseness', line: 'The Gini index of the map: 1 when the saliency sits on a few pixels, 0 when spread evenly. Higher is more concentrated.' },
  complexity: { term: 'complexity', line: 'The entropy of the map’s share per pixel: low when the map is simple to read. Lower is better.' },
  'mu-fidelity': { term: 'MuFidelity', line: 'The rank correlation between the map’s sum over random patches and the score drop when those patches are removed. Near 1 is faithful.' },
  'average-drop': { term: 'average drop', line: 'How much of the class score is lost when only the map’s salient part of the image is kept, in percent. Lower is better.' },
  'increase-in-confidence': { term: 'increase in confidence', line: 'The share of images whose class score rises when only the map’s salient part is kept, in percent. Higher is better.' },
  'pointing-game': { term: 'pointing game', line: 'Hit when the map’s maximum falls on the object (ground truth masks); the share of hits, higher is better.' },
};

/**
 * The guide for these methods, then these metrics (`colour-bar`, `random-map` and the metric
 * names: `insertion`, `deletion`, `road`, …), each in the order given; unknown ids are skipped.
 */
export function readingGuide(methodIds: readonly string[], metricIds: readonly string[], labels: (id: string) => string = (id) => id): GuideLine[] {
  const maps = methodIds.filter((id) => MAPS[id]).map((id) => ({ term: labels(id), line: MAPS[id].replace(/^[^:]+: /, '') }));
  return [...maps, ...metricIds.filter((id) => METRICS[id]).map((id) => METRICS[id])];
}
