/**
 * Weight seed of the untrained demo model used when the trained one is missing. Not 0: tfjs reads
 * an initializer seed of 0 as "no seed", so @xai/zoo's first layer would differ on every build.
 */
export const UNTRAINED_DEMO_SEED = 1;
