import type { RawImage } from '@xai/core';
import { classLabel, toRgba } from '@xai/viz';
import { WorkerClient } from './client.js';
import { classifyModelFiles, looksLikeImage } from './logic/files.js';
import { comparedMethods, labelOf } from './logic/methods.js';
import { backendBadge, backendNotes } from './logic/backend-badge.js';
import { dependenceWarning } from './logic/dependence.js';
import { mapRange } from './logic/scales.js';
import type { MethodInfo, ModelSource, PreprocessingChoice, Requests } from './protocol.js';
import { Runner } from './runner.js';
import { exposeTestHook } from './test-hook.js';
import { state } from './state.js';
import { byId, element } from './ui/dom.js';
import { offerDownloads } from './ui/downloads.js';
import { wireDropZone } from './ui/drop.js';
import { fullResolutionPng } from './ui/export-png.js';
import { renderGuide } from './ui/guide.js';
import { decodeImage, drawRgba } from './ui/images.js';
import { MethodForm } from './ui/method-form.js';
import { renderModel } from './ui/model-panel.js';
import { OverlayView } from './ui/overlay-view.js';
import { chosenClass, renderPredictions } from './ui/predictions.js';
import { renderClassMaps, renderComparison, renderCurves, renderMasks } from './ui/results.js';
import { demoSamples, markChosenSample, renderSamples } from './ui/samples.js';
import { setBusy, setProgressPart, showMessage } from './ui/status.js';

const demoBase = new URL('demo/', document.baseURI).href;
const client = new WorkerClient(new Worker(new URL('./worker/worker.ts', import.meta.url), { type: 'module' }));
const view = new OverlayView();
const form = new MethodForm();
const runner = new Runner(client);
const request = runner.request.bind(runner);
const task = runner.task.bind(runner);

const label = (method: string) => labelOf(state.methods, method);

function clearResults(): void {
  state.explained = undefined;
  state.curves = undefined;
  state.comparison = [];
  state.compared = [];
  for (const id of ['overlay-box', 'curves-box', 'classes-box', 'masks-box', 'compare-box', 'dependence-warning', 'view-controls']) byId(id).hidden = true;
  byId('result-empty').hidden = false;
}

function showResultArea(): void {
  byId('result-empty').hidden = true;
  byId('view-controls').hidden = false;
}

function warnIfFlat(curves: Requests['evaluate']['reply']): void {
  const warning = dependenceWarning(curves);
  const box = byId('dependence-warning');
  box.hidden = !warning;
  box.textContent = warning ?? '';
}

async function predict(image: RawImage, caption: string): Promise<void> {
  const result = await request('predict', { image });
  state.image = image;
  state.prediction = result;
  drawRgba(byId<HTMLCanvasElement>('input-view'), toRgba(image));
  byId('input-caption').textContent = `${caption} (${image.width}×${image.height})`;
  byId('preprocessing-steps').replaceChildren(...result.steps.map((step) => element('li', {}, [step])));
  renderPredictions(result.top);
  clearResults();
}

async function useImage(blob: Blob, name: string): Promise<void> {
  const image = await decodeImage(blob, name);
  await predict(image, name);
  state.imageName = name;
  markChosenSample(name);
}

function preprocessingChoice(): PreprocessingChoice {
  const preset = byId<HTMLSelectElement>('preprocessing').value || undefined;
  const resize = byId<HTMLSelectElement>('resize').value || undefined;
  return { ...(preset ? { preset } : {}), ...(resize ? { resize } : {}) };
}

// The current model's pool failed: its passes run in the app's worker now, and the badge says why.
client.onPasses = (passes) => {
  if (!state.model) return;
  state.model = { ...state.model, passes };
  renderBackend();
};

/** The badge and its notes: the backend, and who runs the current model's passes and gradients. */
function renderBackend(): void {
  if (!state.backend) return;
  byId('backend-badge').textContent = backendBadge(state.backend, state.model?.passes, state.model?.gradients);
  byId('backend-notes').replaceChildren(...backendNotes(state.backend, state.model?.passes, state.model?.gradients).map((note) => element('li', {}, [note])));
}

/** A run says who computed its gradients: an ONNX model's gradient graph may have fallen back to the tfjs graph since loading. */
function noteGradients(result: Requests['explain']['reply']): void {
  if (!state.model || !result.gradients || result.gradients === state.model.gradients) return;
  state.model = { ...state.model, gradients: result.gradients };
  renderModel(state.model);
  renderBackend();
}

async function loadModel(source: ModelSource): Promise<void> {
  const info = await request('load-model', { source, preprocessing: preprocessingChoice() });
  state.source = source;
  state.model = info;
  state.prediction = undefined;
  renderModel(info);
  renderBackend();
  form.setModel(info);
  renderPredictions([]);
  clearResults();
  if (state.image) await predict(state.image, state.imageName ?? 'image');
}

function explainedClass(): number {
  const classIndex = chosenClass();
  if (classIndex === undefined) throw new Error('Pick an image first: there is no prediction to explain yet');
  return classIndex;
}

/**
 * One method on the chosen class; with `allClasses`, methods that map every class at once map
 * the others too, and methods that draw masks send a few back.
 */
function runMethod(method: MethodInfo, classIndex: number, allClasses: boolean): Promise<Requests['explain']['reply']> {
  const ranked = state.prediction?.ranked ?? [classIndex];
  return request('explain', form.request(method, classIndex, ranked, allClasses, allClasses ? 6 : 0));
}

function describeParams(params: Record<string, unknown>): string {
  const text = (value: unknown): string =>
    Array.isArray(value) ? (value.some(Array.isArray) ? value.map(text).join(' + ') : value.join('×')) : String(value);
  return Object.entries(params)
    .map(([key, value]) => `${key} ${text(value)}`)
    .join(', ');
}

async function explain(): Promise<void> {
  const method = form.selected;
  const classIndex = explainedClass();
  const result = await runMethod(method, classIndex, true);
  noteGradients(result);
  const [map] = result.maps;
  const image = state.prediction!.modelView;
  clearResults();
  state.explained = { method: result.method, maps: result.maps, seconds: result.seconds, gradients: result.gradients };
  showResultArea();
  byId('overlay-box').hidden = false;
  byId('overlay-title').textContent = `${label(map.method)} — ${classLabel(map.classIndex, map.className)}`;
  const engines = result.gradients ? `${state.backend?.id ?? '?'}, gradients on ${result.gradients}` : (state.backend?.id ?? '?');
  byId('run-details').textContent = `${result.seconds.toFixed(1)} s on ${engines} · ${describeParams(map.params)}`;
  view.show(image, map);
  renderClassMaps(view, image, result.maps);
  renderMasks(image, result.masks);
  renderCurves(undefined);
  await refreshDownloads();

  const curves = await request('evaluate', { map });
  state.curves = curves;
  renderCurves(curves, map.className);
  warnIfFlat(curves);
  await refreshDownloads();
}

/** Every method the model can run, replacing whatever was shown: a fixed grid filled as each finishes. */
async function compareAll(): Promise<void> {
  const classIndex = explainedClass();
  const methods = comparedMethods(state.methods, state.model);
  clearResults();
  state.compared = methods;
  showResultArea();
  const image = state.prediction!.modelView;
  renderComparison(view, image, methods, state.comparison);
  for (const [index, method] of methods.entries()) {
    setProgressPart({ index, count: methods.length, label: method.label });
    const result = await runMethod(method, classIndex, false);
    noteGradients(result);
    const { maps } = result;
    const curves = await request('evaluate', { map: maps[0] });
    state.comparison.push({ map: maps[0], curves });
    renderComparison(view, image, methods, state.comparison);
    if (index === 0) warnIfFlat(curves);
  }
}

async function refreshDownloads(): Promise<void> {
  const run = state.explained;
  if (!run || !state.prediction || !state.model || !state.image) return;
  const map = run.maps[0];
  const { alpha, colormap } = view.style;
  const png = await fullResolutionPng(state.image, state.prediction.window, map, {
    alpha,
    colormap,
    range: mapRange(map),
    title: `${label(map.method)} — ${classLabel(map.classIndex, map.className)}`,
  });
  offerDownloads(png, run.maps, {
    map,
    npyClasses: run.maps.map((m) => m.classIndex),
    curves: state.curves,
    model: state.model,
    backend: state.backend?.id ?? 'unknown',
    top: state.prediction.top,
    seconds: run.seconds,
    steps: state.prediction.steps,
  });
}

function redrawAll(): void {
  const image = state.prediction?.modelView;
  if (!image) return;
  if (state.explained) renderClassMaps(view, image, state.explained.maps);
  if (state.compared.length) renderComparison(view, image, state.compared, state.comparison);
  void refreshDownloads();
}

const focusResult = (id: string) => () => (byId(id).closest('article')?.hidden ? undefined : byId(id));

function wireControls(): void {
  byId('explain').addEventListener('click', () => void task('explaining…', explain, { cancellable: true, focusAfter: focusResult('overlay-title') }));
  byId('compare').addEventListener('click', () => void task('comparing…', compareAll, { cancellable: true, focusAfter: focusResult('compare-title') }));
  byId('cancel').addEventListener('click', () => runner.cancel());
  byId('demo-model').addEventListener('click', () => void task('loading the demo model…', () => loadModel({ kind: 'demo' })));
  // A preprocessing change applies at once: the model is set up again and the image predicted anew.
  for (const id of ['preprocessing', 'resize']) {
    byId(id).addEventListener('change', () => void task('applying the preprocessing…', () => loadModel(state.source ?? { kind: 'demo' })));
  }
  view.onStyleChange(redrawAll);

  const takeImage = (files: File[]) => {
    const file = files[0];
    if (!file) return;
    void task('reading the image…', async () => {
      if (!looksLikeImage(file)) throw new Error(`"${file.name}" is not an image file; use a PNG, JPEG, GIF, WebP or BMP image`);
      await useImage(file, file.name);
    });
  };
  const takeModel = (files: File[]) =>
    void task('loading the model…', async () => {
      const found = classifyModelFiles(files);
      const source: ModelSource =
        found.kind === 'onnx'
          ? { kind: 'onnx', name: found.file.name, bytes: await found.file.arrayBuffer() }
          : { kind: 'tfjs', files: found.files };
      await loadModel(source);
    });
  wireDropZone('image-drop', 'image-file', takeImage);
  wireDropZone('model-drop', 'model-files', takeModel);
}

async function start(): Promise<void> {
  exposeTestHook();
  setBusy(true);
  try {
    const query = new URLSearchParams(location.search);
    const prefer = query.get('backend') ?? undefined;
    const threads = query.has('threads') ? Number(query.get('threads')) : undefined;
    const workers = query.has('workers') ? Number(query.get('workers')) : undefined;
    const { backend, methods } = await request('init', { prefer, threads, workers, demoBase });
    state.backend = backend;
    state.methods = methods;
    form.setMethods(methods);
    renderGuide(methods);
    byId('backend').textContent = state.backend.id;
    renderBackend();
    const samples = await demoSamples(demoBase);
    await renderSamples(samples, (sample) => void task('reading the image…', async () => useImage(await sample.load(), sample.name)));
    wireControls();
    state.source = { kind: 'demo' };
    state.model = await request('load-model', { source: state.source, preprocessing: preprocessingChoice() });
    renderModel(state.model);
    renderBackend();
    form.setModel(state.model);
    if (samples[0]) await useImage(await samples[0].load(), samples[0].name);
    document.body.dataset.ready = 'true';
  } catch (error) {
    showMessage(`The playground could not start: ${(error as Error).message}`);
    document.body.dataset.ready = 'failed';
  } finally {
    setBusy(false);
  }
}

void start();
