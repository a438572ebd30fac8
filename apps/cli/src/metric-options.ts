import { XaiError } from '@xai/core';
import { createMetric, DEFAULT_ROAD_NOISE, DEFAULT_ROAD_PERCENTILES, isMetricName, METRIC_NAMES, type MapMetric, type MetricName, type Substrate } from '@xai/metrics';
import { type OptionSpec, type ParsedArgs, UsageError, intOption, parseDecimal, stringOption } from './command.js';
import { methodOptions } from './methods.js';

/**
 * The metrics' own flags. Names the methods' flags already take are avoided on purpose: `--seed`
 * seeds RISE and SmoothGrad, so the metrics' seed is `--metric-seed`; `--samples` is SmoothGrad's,
 * so MuFidelity's flags are `--mu-grid`, `--mu-subset`, `--mu-samples`.
 */
const OPTIONS: Record<string, OptionSpec & { metrics: readonly MetricName[] }> = {
  'road-percentiles': {
    type: 'string',
    value: 'LIST',
    description: 'road: the percentiles of the map at which pixels are removed, each from 1 to 99',
    default: DEFAULT_ROAD_PERCENTILES.join(','),
    metrics: ['road'],
  },
  'road-noise': {
    type: 'string',
    value: 'SD',
    description: 'road: standard deviation of the noise added to imputed pixels (0: none)',
    default: String(DEFAULT_ROAD_NOISE),
    metrics: ['road'],
  },
  'mu-grid': { type: 'string', value: 'G', description: "mu-fidelity: cells per side of the subsets' grid", default: '9', metrics: ['mu-fidelity'] },
  'mu-subset': { type: 'string', value: 'Q', description: 'mu-fidelity: probability that a cell is in a subset', default: '0.2', metrics: ['mu-fidelity'] },
  'mu-samples': { type: 'string', value: 'N', description: 'mu-fidelity: number of random subsets', default: '200', metrics: ['mu-fidelity'] },
  'metric-seed': {
    type: 'string',
    value: 'SEED',
    description: "seeds road's noise and mu-fidelity's subsets (and compare's bootstrap intervals); --seed is the methods'",
    default: '0',
    metrics: ['road', 'mu-fidelity'],
  },
};

/** The metrics' flags for a command's options; a name that a method parameter also takes is a bug, found at once. */
export function metricOptions(): Record<string, OptionSpec> {
  const methods = methodOptions();
  const options: Record<string, OptionSpec> = {};
  for (const [name, { metrics: _metrics, ...spec }] of Object.entries(OPTIONS)) {
    if (name in methods) throw new Error(`metric flag --${name} collides with a method flag`);
    options[name] = spec;
  }
  return options;
}

/** `--metric a,b` → metric names (once each, in the order given), or a usage error listing the accepted ones. */
export function parseMetricNames(args: ParsedArgs, flag: string, fallback: readonly MetricName[]): MetricName[] {
  const raw = stringOption(args, flag);
  if (raw === undefined) return [...fallback];
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !isMetricName(n));
  if (unknown.length || names.length === 0) {
    const what = unknown.length ? `unknown metric${unknown.length === 1 ? '' : 's'} ${unknown.map((u) => `"${u}"`).join(', ')}` : 'no metric';
    throw new UsageError(`--${flag}: ${what}; accepted: ${METRIC_NAMES.join(', ')} (comma-separated)`);
  }
  return [...new Set(names as MetricName[])];
}

/** The seed of the metrics (and of compare's bootstrap). */
export function metricSeed(args: ParsedArgs): number {
  return intOption(args, 'metric-seed', 0, 0, 0xffffffff);
}

export interface MetricBuild {
  /** Pixels per Insertion/Deletion step (undefined: the input width). */
  step?: number;
  /** Insertion's and Deletion's substrate, when one is given for both. */
  substrate?: Substrate;
  pointingTolerance?: number;
}

/**
 * The chosen metrics, built from their flags and checked before any work: a bad value, or a flag
 * of a metric that is not chosen, is a usage error.
 */
export function buildMetrics(names: readonly MetricName[], args: ParsedArgs, build: MetricBuild = {}, listFlag = 'metric'): MapMetric[] {
  for (const [flag, spec] of Object.entries(OPTIONS)) {
    if (args.values[flag] === undefined || (flag === 'metric-seed' && listFlag === 'metrics')) continue;
    if (!spec.metrics.some((m) => names.includes(m))) {
      throw new UsageError(`--${flag} applies to ${spec.metrics.join(', ')}, which --${listFlag} does not list (it lists ${names.join(', ')})`);
    }
  }
  const seed = metricSeed(args);
  return names.map((name) => {
    try {
      switch (name) {
        case 'insertion':
        case 'deletion':
          return createMetric(name, { step: build.step, substrate: build.substrate });
        case 'road':
          return createMetric('road', { percentiles: percentilesOption(args), noise: numberOption(args, 'road-noise', DEFAULT_ROAD_NOISE), seed });
        case 'mu-fidelity':
          return createMetric('mu-fidelity', {
            grid: intOption(args, 'mu-grid', 9, 1),
            subset: numberOption(args, 'mu-subset', 0.2),
            samples: intOption(args, 'mu-samples', 200, 2),
            seed,
          });
        case 'pointing-game':
          return createMetric('pointing-game', { tolerance: build.pointingTolerance ?? 0 });
        default:
          return createMetric(name);
      }
    } catch (error) {
      if (error instanceof XaiError) throw new UsageError(flagWording(error.message));
      throw error;
    }
  });
}

function percentilesOption(args: ParsedArgs): number[] | undefined {
  const raw = stringOption(args, 'road-percentiles');
  if (raw === undefined) return undefined;
  const values = raw.split(',').map((s) => parseDecimal(s));
  if (values.length === 0 || values.some((v) => v === undefined || v < 1 || v > 99)) {
    throw new UsageError(`--road-percentiles takes comma-separated numbers from 1 to 99 (e.g. 10,20,30), got "${raw}"`);
  }
  return values as number[];
}

function numberOption(args: ParsedArgs, name: string, fallback: number): number {
  const raw = stringOption(args, name);
  if (raw === undefined) return fallback;
  const value = parseDecimal(raw);
  if (value === undefined) throw new UsageError(`--${name} must be a decimal number, got "${raw}"`);
  return value;
}

/** The library's messages name settings; on the command line they are flags. */
function flagWording(message: string): string {
  return message
    .replace(/^ROAD noise must/, '--road-noise must')
    .replace(/^ROAD percentile (\S+) is given twice/, '--road-percentiles lists $1 twice')
    .replace(/^MuFidelity's subset probability must/, '--mu-subset must')
    .replace(/^MuFidelity's grid must/, '--mu-grid must');
}
