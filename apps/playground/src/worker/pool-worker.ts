/// <reference lib="webworker" />
// The entry of each worker of the pool the black-box passes run on (pool.ts): it rebuilds the
// model from the recipe it is sent and answers the pool's predict messages. The recipe names this
// script and `buildTfjsModel`, which this bundle holds, with the worker's one copy of tfjs.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import './wasm-assets.js';
import { serveInWebWorker } from '@xai/core';
import { buildTfjsModel } from './tfjs-models.js';

serveInWebWorker({ buildTfjsModel });
