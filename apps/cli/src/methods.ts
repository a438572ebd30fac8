import {
  XaiError,
  describeAccepted,
  flagName,
  parseParams,
  parseTargets,
  prepareMethod,
  type Classifier,
  type MethodDescriptor,
  type ParamSpec,
  type Params,
  type PreparedMethod,
  type Targets,
} from '@xai/core';
import { type OptionSpec, type ParsedArgs, UsageError, intOption, parseDecimal, stringOption } from './command.js';
import { baselineFlag, withBaselineFile } from './baseline-file.js';
import { checkBatchMemory } from './limits.js';
import { registry } from './registry.js';

/** The ids of the methods that draw RISE masks batch by batch (a mask per batch entry, besides the input). */
const MASK_METHODS = new Set(['rise', 'rise-gaussian']);

/** Flags every method command has besides the methods' own parameters. */
const GENERAL: Record<string, OptionSpec> = {
  layer: { type: 'string', value: 'NAME[,NAME]', description: 'layer methods: the layer(s) (default: the last feature map before the head; `xai layers` lists them)' },
  class: { type: 'string', value: 'top|INDEX|NAME|LIST|all', description: 'the class(es) to explain', default: 'top' },
  'batch-size': { type: 'string', value: 'B', description: 'images per forward batch; gradient methods on wasm run it in parts that fit the 4 GiB heap (a gradient keeps every activation)', default: '32' },
};

/** The methods' parameters as flags (one per name, shared by the methods that take it), made from the registry. */
export function methodOptions(): Record<string, OptionSpec> {
  const options: Record<string, OptionSpec> = {};
  for (const { spec, methods } of registry.parameters()) {
    const flag = flagName(spec.name);
    if (flag in GENERAL) throw new Error(`method parameter "${spec.name}" collides with the CLI's --${flag}`);
    const defaults = new Set(methods.map((m) => String(m.params.find((p) => p.name === spec.name)!.default)));
    options[flag] = paramOption(spec, `${methods.map((m) => m.label).join(', ')}: ${spec.help}`, defaults.size === 1);
  }
  if (options.baseline) options.baseline = baselineFlag(options.baseline);
  return { ...options, ...GENERAL };
}

/** A parameter as a flag; `help` is the text shown in --help. */
export function paramOption(spec: ParamSpec, help = spec.help, withDefault = true): OptionSpec {
  return {
    type: spec.type === 'boolean' ? 'boolean' : 'string',
    value: placeholder(spec),
    description: help,
    default: withDefault ? String(spec.default) : undefined,
  };
}

/** A method's parameters from their flags, checked by the contract; a bad value is a usage error. */
export function paramsFromFlags(specs: readonly ParamSpec[], args: ParsedArgs, command: string): Params {
  for (const spec of specs) checkNumberSyntax(spec, args, command);
  try {
    return parseParams(specs, Object.fromEntries(specs.map((p) => [p.name, args.values[flagName(p.name)]])), command);
  } catch (error) {
    if (!(error instanceof XaiError)) throw error;
    throw new UsageError(flagWording(error.message, command), command);
  }
}

function placeholder(spec: ParamSpec): string {
  if (spec.type === 'choice') return spec.choices.join('|');
  // Short names read well as their own placeholder (`--n N`, `--p1 P1`); long ones get their kind's.
  if (/[A-Z]/.test(spec.name)) return spec.type === 'int' ? 'N' : 'X';
  return spec.name.toUpperCase();
}

/** One line per method for --help: id, label, kind. */
export function methodList(): string {
  return registry
    .list()
    .map((m) => `  ${m.id.padEnd(22)} ${m.label}${m.box === 'white' ? ' (needs gradients)' : ''}`)
    .join('\n');
}

/** `--method a,b` / `all` → descriptors, or a usage error naming the accepted ids. */
export function parseMethodList(args: ParsedArgs, flag: string, fallback: readonly string[] | 'all'): MethodDescriptor[] {
  const raw = stringOption(args, flag);
  if (raw === undefined) return fallback === 'all' ? registry.list() : fallback.map((id) => registry.get(id));
  if (raw.trim() === 'all') return registry.list();
  const ids = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !registry.has(id));
  if (unknown.length || ids.length === 0) {
    throw new UsageError(`--${flag} takes a comma-separated list of ${registry.ids().join(', ')} (or all); got "${raw}"`);
  }
  return [...new Set(ids)].map((id) => registry.get(id));
}

/**
 * The class(es) asked for with --class; undefined when not given. A negative index (`--class -1`)
 * stays an index, so the class rule refuses it with the model's range rather than as an unknown name.
 */
export function targetsArg(args: ParsedArgs): Targets | undefined {
  const raw = stringOption(args, 'class');
  if (raw === undefined) return undefined;
  const negative = (t: unknown) => (typeof t === 'string' && /^-\d+$/.test(t.trim()) ? Number(t) : t);
  const targets = parseTargets(raw);
  return (Array.isArray(targets) ? targets.map(negative) : negative(targets)) as Targets;
}

/**
 * Checks every chosen method against the model before any input is read: parameters, layers,
 * classes. A flag that none of the chosen methods takes, an unknown layer or a bad value is a
 * usage error (exit 2).
 */
export function prepareMethods(
  chosen: readonly MethodDescriptor[],
  model: Classifier,
  given: ParsedArgs,
  targetsFor: (method: MethodDescriptor) => Targets,
): PreparedMethod[] {
  refuseUnusedFlags(chosen, given, stringOption(given, 'layer') !== undefined);
  const { methods, args } = withBaselineFile(chosen, model, given);
  const batchSize = intOption(args, 'batch-size', 32);
  const layerArg = stringOption(args, 'layer');
  const layer = layerArg?.split(',').map((s) => s.trim()).filter(Boolean);
  checkBatchMemory(batchSize, batchEntry(model, methods.some((m) => MASK_METHODS.has(m.id))));
  return methods.map((method) => {
    for (const spec of method.params) checkNumberSyntax(spec, args, method.id);
    const params = Object.fromEntries(method.params.map((p) => [p.name, args.values[flagName(p.name)]]));
    try {
      return prepareMethod(method, model, {
        params,
        batchSize,
        targets: targetsFor(method),
        layer: method.layers === 'none' ? undefined : layer,
        offered: registry.list(),
      });
    } catch (error) {
      if (error instanceof XaiError) throw new UsageError(flagWording(error.message, method.id));
      throw error;
    }
  });
}

/**
 * One batch entry of the chosen methods' work: an input in the model's size (every batched forward
 * pass — RISE's masked copies, Score-CAM's, the metrics' perturbed images), and a mask beside it
 * for RISE. Float32 throughout.
 */
function batchEntry(model: Classifier, masks: boolean): { bytes: number; what: string } {
  const { height, width, channels } = model.input;
  const input = height * width * channels * 4;
  const mask = masks ? height * width * 4 : 0;
  return { bytes: input + mask, what: `${height}×${width}×${channels} float32 input${masks ? ` + ${height}×${width} mask` : ''}` };
}

/**
 * Numbers on the command line are decimal (see parseDecimal): `--n 0x10` or `--n Infinity` is
 * refused by the parameter's rule here rather than read as JavaScript would.
 */
function checkNumberSyntax(spec: ParamSpec, args: ParsedArgs, who: string): void {
  if (spec.type !== 'int' && spec.type !== 'number') return;
  const flag = flagName(spec.name);
  const raw = args.values[flag];
  if (typeof raw !== 'string' || raw === '' || parseDecimal(raw) !== undefined) return;
  throw new UsageError(`--${flag} (${who}) must be ${describeAccepted(spec)}, got "${raw}"`);
}

function refuseUnusedFlags(methods: readonly MethodDescriptor[], args: ParsedArgs, layerGiven: boolean): void {
  const chosen = methods.map((m) => m.id).join(', ');
  const none = methods.length === 0 ? 'no method is chosen (give --method)' : `none of the chosen methods (${chosen}) takes it`;
  for (const { spec, methods: takers } of registry.parameters()) {
    const flag = flagName(spec.name);
    if (args.values[flag] === undefined || methods.some((m) => m.params.some((p) => p.name === spec.name))) continue;
    throw new UsageError(`--${flag} is a parameter of ${takers.map((m) => m.id).join(', ')}; ${none}`);
  }
  if (layerGiven && methods.every((m) => m.layers === 'none')) {
    const layered = registry.list().filter((m) => m.layers !== 'none').map((m) => m.id);
    throw new UsageError(`--layer applies to layer methods (${layered.join(', ')}); ${none.replace(/takes it$/, 'takes a layer')}`);
  }
}

/** The contract's messages name parameters as in code (`grad-cam: n must …`); on the command line they are flags. */
function flagWording(message: string, who: string): string {
  return message.replace(/^([\w-]+): (\w+) must/, (whole, prefix: string, name: string) => (prefix === who ? `--${flagName(name)} (${who}) must` : whole));
}
