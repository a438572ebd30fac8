import type { RawImage } from '@xai/core';
import { classLabel, toRgba } from '@xai/viz';
import { WorkerClient } from './client.js';
import { classifyModelFiles, looksLikeImage } from './logic/files.js';
import { comparedMethods, labelOf } from './logic/methods.js';
import type { MethodInfo, ModelSource, Requests } from './protocol.js';
import { Runner } from './runner.js';
import { exposeTestHook } from './test-hook.js';
import { state } from './state.js';
import { byId } from './ui/dom.js';
import { offerDownloads } from './ui/downloads.js';
import { wireDropZone } from './ui/drop.js';
import { decodeImage, drawRgba } from './ui/images.js';
import { MethodForm } from './ui/method-form.js';
import { renderModel } from './ui/model-panel.js';
import { OverlayView } from './ui/overlay-view.js';
import { chosenClass, renderPredictions } from './ui/predictions.js';
import { renderClassMaps, renderComparison, renderCurves, renderMasks } from './ui/results.js';
import { demoSamples, markChosenSample, renderSamples } from './ui/samples.js';
import { setBusy, showMessage } from './ui/status.js';

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
  for (const id of ['overlay-box', 'curves-box', 'classes-box', 'masks-box', 'compare-box']) byId(id).hidden = true;
  byId('result-empty').hidden = false;
}

async function predict(image: RawImage, caption: string): Promise<void> {
  const result = await request('predict', { image });
  state.image = image;
  state.prediction = result;
  drawRgba(byId<HTMLCanvasElement>('input-view'), toRgba(image));
  byId('input-caption').textContent = `${caption} (${image.width}×${image.height})`;
  renderPredictions(result.top);
  clearResults();
}

async function useImage(blob: Blob, name: string): Promise<void> {
  const image = await decodeImage(blob, name);
  await predict(image, name);
  state.imageName = name;
  markChosenSample(name);
}

async function loadModel(source: ModelSource): Promise<void> {
  const preprocessing = byId<HTMLSelectElement>('preprocessing').value || undefined;
  const info = await request('load-model', { source, preprocessing });
  state.model = info;
  state.prediction = undefined;
  renderModel(info);
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
  const [map] = result.maps;
  const image = state.prediction!.modelView;
  state.explained = { method: result.method, maps: result.maps, seconds: result.seconds };
  state.curves = undefined;
  byId('result-empty').hidden = true;
  byId('overlay-box').hidden = false;
  byId('overlay-title').textContent = `${label(map.method)} — ${classLabel(map.classIndex, map.className)}`;
  byId('run-details').textContent = `${result.seconds.toFixed(1)} s on ${state.backend?.id ?? '?'} · ${describeParams(map.params)}`;
  view.show(image, map);
  renderClassMaps(view, image, result.maps);
  renderMasks(image, result.masks);
  renderCurves(undefined);
  await refreshDownloads();

  const curves = await request('evaluate', { map });
  state.curves = curves;
  renderCurves(curves, map.className);
  await refreshDownloads();
}

async function compareAll(): Promise<void> {
  const classIndex = explainedClass();
  const methods = comparedMethods(state.methods, state.model);
  state.comparison = [];
  const image = state.prediction!.modelView;
  for (const method of methods) {
    const { maps } = await runMethod(method, classIndex, false);
    const curves = await request('evaluate', { map: maps[0] });
    state.comparison.push({ map: maps[0], curves });
    renderComparison(view, image, state.comparison, label);
  }
}

async function refreshDownloads(): Promise<void> {
  const run = state.explained;
  if (!run || !state.prediction || !state.model) return;
  await offerDownloads(state.prediction.modelView, run.maps, {
    map: run.maps[0],
    npyClasses: run.maps.map((m) => m.classIndex),
    curves: state.curves,
    model: state.model,
    backend: state.backend?.id ?? 'unknown',
    top: state.prediction.top,
    seconds: run.seconds,
  }, view.style);
}

function redrawAll(): void {
  const image = state.prediction?.modelView;
  if (!image) return;
  if (state.explained) renderClassMaps(view, image, state.explained.maps);
  renderComparison(view, image, state.comparison, label);
  void refreshDownloads();
}

function wireControls(): void {
  byId('explain').addEventListener('click', () => void task('explaining…', explain));
  byId('compare').addEventListener('click', () => void task('comparing…', compareAll));
  byId('cancel').addEventListener('click', () => runner.cancel());
  byId('demo-model').addEventListener('click', () => void task('loading the demo model…', () => loadModel({ kind: 'demo' })));
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
    const prefer = new URLSearchParams(location.search).get('backend') ?? undefined;
    const { backend, methods } = await request('init', { prefer, demoBase });
    state.backend = backend;
    state.methods = methods;
    form.setMethods(methods);
    byId('backend').textContent = state.backend.id;
    byId('backend').title = state.backend.skipped.map((s) => `${s.id}: ${s.reason}`).join('\n') || 'first choice';
    const samples = await demoSamples(demoBase);
    await renderSamples(samples, (sample) => void task('reading the image…', async () => useImage(await sample.load(), sample.name)));
    wireControls();
    state.model = await request('load-model', { source: { kind: 'demo' } });
    renderModel(state.model);
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
