import { XaiError, type MethodDescriptor, type MethodRegistry, type Targets } from '@xai/core';
import type { MethodInfo, ModelInfo } from '../protocol.js';
import { explainedClasses } from './class-choice.js';

/** A registered method as plain data for the page (everything but `run`). */
export function methodInfo(method: MethodDescriptor): MethodInfo {
  return {
    id: method.id,
    label: method.label,
    paper: { ...method.paper },
    box: method.box,
    layers: method.layers,
    everyClassAtOnce: method.everyClassAtOnce ?? false,
    params: method.params.map((spec) => ({ ...spec, ...('choices' in spec ? { choices: [...spec.choices] } : {}) })),
  };
}

/** The registry's methods, in registration order, as the `init` reply carries them. */
export function methodList(registry: Pick<MethodRegistry, 'list'>): MethodInfo[] {
  return registry.list().map(methodInfo);
}

/** What the method list needs to know about the model. */
export type ModelFacts = Pick<ModelInfo, 'whiteBox' | 'featureLayers'>;

export interface MethodChoice {
  id: string;
  label: string;
  /** Why the method cannot run on this model; absent when it can. */
  unavailable?: string;
}

/** Why `method` cannot run on the model, or undefined when it can. */
export function unavailableBecause(method: MethodInfo, model: ModelFacts | undefined): string | undefined {
  if (!model) return undefined;
  if (method.box === 'white' && !model.whiteBox) return `${method.label} needs layer activations and gradients; this model can only predict`;
  if (method.layers !== 'none' && model.featureLayers.length === 0) return `${method.label} works at a feature-map layer; this model has none`;
  return undefined;
}

/** The entries of the method list, white-box methods marked unavailable on black-box models. */
export function methodChoices(methods: readonly MethodInfo[], model: ModelFacts | undefined): MethodChoice[] {
  return methods.map((m) => {
    const unavailable = unavailableBecause(m, model);
    return { id: m.id, label: m.label, ...(unavailable ? { unavailable } : {}) };
  });
}

/** The method to keep selected: `current` when it can run, else the first that can. */
export function keepOrFirstAvailable(choices: readonly MethodChoice[], current: string | undefined): string | undefined {
  const usable = choices.filter((c) => !c.unavailable);
  return usable.find((c) => c.id === current)?.id ?? usable[0]?.id;
}

/** The methods "compare" runs: every one the model can run, in list order. */
export function comparedMethods(methods: readonly MethodInfo[], model: ModelFacts | undefined): MethodInfo[] {
  return methods.filter((m) => !unavailableBecause(m, model));
}

export function findMethod(methods: readonly MethodInfo[], id: string): MethodInfo {
  const found = methods.find((m) => m.id === id);
  if (!found) throw new XaiError(`Unknown method "${id}"; methods: ${methods.map((m) => m.id).join(', ')}`);
  return found;
}

/** How a method id reads in titles and captions: its label, or the id when it is not in the list. */
export function labelOf(methods: readonly MethodInfo[], id: string): string {
  return methods.find((m) => m.id === id)?.label ?? id;
}

/**
 * The classes to explain: the chosen one, and, for methods that give every class's map at the cost
 * of one (when `allClasses`), the others from most to least probable.
 */
export function explainTargets(method: MethodInfo, classIndex: number, ranked: readonly number[], allClasses: boolean): Targets {
  if (!allClasses || !method.everyClassAtOnce) return classIndex;
  return explainedClasses(classIndex, ranked, true);
}

/**
 * The `layer` of an explain request from the layers chosen in the form: absent for methods that
 * take none, and when the choice is the model's default (so the map records it as the default).
 */
export function layerRequest(method: MethodInfo, chosen: readonly string[], defaultLayer: string | undefined): string | string[] | undefined {
  if (method.layers === 'none') return undefined;
  const names = [...new Set(chosen.map((n) => n.trim()).filter(Boolean))];
  if (names.length === 0) return undefined;
  if (names.length === 1 && names[0] === defaultLayer) return undefined;
  if (method.layers === 'one' || names.length === 1) return names[0];
  return names;
}
