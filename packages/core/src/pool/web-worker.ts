// A Web Worker entry for `webWorkers`, for apps whose recipes' modules import their own backends.
import { serveInWebWorker } from './web.js';

serveInWebWorker();
