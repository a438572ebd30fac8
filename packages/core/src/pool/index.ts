export { withRecipe, recipeOf, type ModelRecipe } from './recipe.js';
export type { ToWorker, FromWorker, WorkerPort, SpawnWorker } from './protocol.js';
export { serveModel, type WorkerEndpoint } from './serve.js';
export { WorkerPool, type PoolStatus } from './pool.js';
export { poolClassifier, unpooled, checkWorkers, MAX_WORKERS, POOL_CHUNK_ROWS, type PoolOptions, type PoolMembers, type PooledClassifier } from './pooled.js';
export { webWorkers, serveInWebWorker } from './web.js';
