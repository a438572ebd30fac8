import { parseParams, type ParamSpec } from '@xai/core';
import type { ExplainRequest, MethodInfo, ModelInfo } from '../protocol.js';
import {
  explainTargets,
  findMethod,
  keepOrFirstAvailable,
  layerRequest,
  methodChoices,
  type ModelFacts,
} from '../logic/methods.js';
import { batchSizeFrom, fieldsFor, fieldTitle, formParams, initialText, paramFields, type ParamField } from '../logic/params.js';
import { byId, element } from './dom.js';
import { blameField, FieldError } from './field-errors.js';

/**
 * The method list and the parameter form, built from the methods the worker registered: one
 * field per parameter (shared by the methods that take it), only the chosen method's shown.
 */
export class MethodForm {
  private methods: MethodInfo[] = [];
  private fields: ParamField[] = [];
  private model?: ModelInfo;

  constructor() {
    byId('method').addEventListener('change', () => this.show());
  }

  get list(): readonly MethodInfo[] {
    return this.methods;
  }

  /** The chosen method. */
  get selected(): MethodInfo {
    return findMethod(this.methods, byId<HTMLSelectElement>('method').value);
  }

  /** Builds the method list and every parameter field. */
  setMethods(methods: readonly MethodInfo[]): void {
    this.methods = [...methods];
    this.fields = paramFields(this.methods);
    byId('params').replaceChildren(...this.fields.map(fieldElement));
    this.renderChoices();
  }

  /** Marks the methods this model cannot run, fills the layer list and keeps a usable method chosen. */
  setModel(info: ModelInfo): void {
    this.model = info;
    const layer = byId<HTMLSelectElement>('layer');
    layer.replaceChildren(
      ...info.featureLayers.map((l) => {
        const option = element('option', { value: l.name }, [`${l.name} [${l.shape.join('×')}]`]);
        option.selected = l.name === info.defaultLayer;
        return option;
      }),
    );
    this.renderChoices();
  }

  /** The explain request for the chosen class; bad fields throw here, in the contract's words. */
  request(method: MethodInfo, classIndex: number, ranked: readonly number[], allClasses: boolean, maskSamples: number): ExplainRequest {
    const values = Object.fromEntries(this.fields.map((f) => [f.id, fieldText(f)]));
    const params = this.checkedParams(method, values);
    const chosen = [...byId<HTMLSelectElement>('layer').selectedOptions].map((o) => o.value);
    const layer = layerRequest(method, chosen, this.model?.defaultLayer);
    return {
      method: method.id,
      params,
      targets: explainTargets(method, classIndex, ranked, allClasses),
      ...(layer === undefined ? {} : { layer }),
      batchSize: blameField('batch-size', () => batchSizeFrom(byId<HTMLInputElement>('batch-size').value)),
      maskSamples,
    };
  }

  /** The checked parameters; a bad one is blamed on its field (the first field that fails alone). */
  private checkedParams(method: MethodInfo, values: Record<string, string>): Record<string, string> {
    try {
      return formParams(method, this.fields, values);
    } catch (error) {
      const culprit = fieldsFor(this.fields, method.id).find((f) => {
        try {
          parseParams(method.params, { [f.spec.name]: (values[f.id] ?? '').trim() }, method.id);
          return false;
        } catch {
          return true;
        }
      });
      throw culprit ? new FieldError(culprit.id, (error as Error).message) : error;
    }
  }

  private renderChoices(): void {
    const select = byId<HTMLSelectElement>('method');
    const choices = methodChoices(this.methods, this.model && facts(this.model));
    const keep = keepOrFirstAvailable(choices, select.value || undefined);
    select.replaceChildren(
      ...choices.map((c) => {
        const option = element('option', { value: c.id, ...(c.unavailable ? { title: c.unavailable } : {}) }, [c.label]);
        option.disabled = !!c.unavailable;
        option.selected = c.id === keep;
        return option;
      }),
    );
    this.show();
  }

  /** Shows the chosen method's fields (and the layer list for layer methods) only. */
  private show(): void {
    const id = byId<HTMLSelectElement>('method').value;
    const method = this.methods.find((m) => m.id === id);
    const box = byId('params');
    // The chosen method's fields in its own order (moved to the end, the hidden ones before them).
    for (const spec of method?.params ?? []) {
      const field = this.fields.find((f) => f.spec.name === spec.name && f.methods.includes(id));
      if (field) box.append(byId(field.id).closest('label')!);
    }
    for (const field of this.fields) {
      const label = byId(field.id).closest('label')!;
      label.hidden = !method || !field.methods.includes(id);
      // A shared field (RISE's seed, SmoothGrad's seed) explains itself in the chosen method's words.
      const spec = method?.params.find((p) => p.name === field.spec.name);
      if (!label.hidden && spec) {
        label.title = fieldTitle(spec);
        label.querySelector('.param-help')!.textContent = spec.help;
      }
    }
    const about = byId('method-about');
    about.replaceChildren(...(method ? aboutMethod(method) : []));
    const layerLabel = byId('layer-label');
    layerLabel.hidden = !method || method.layers === 'none';
    const layer = byId<HTMLSelectElement>('layer');
    const many = method?.layers === 'many';
    layer.multiple = many;
    layer.size = many ? Math.min(5, Math.max(2, layer.options.length)) : 0;
    if (!many && layer.selectedOptions.length !== 1) {
      const fallback = [...layer.options].find((o) => o.value === this.model?.defaultLayer) ?? layer.options[0];
      if (fallback) layer.value = fallback.value;
    }
    byId('layer-help').textContent = many
      ? 'the feature map to work at; Ctrl- or ⌘-click to add more (their maps are averaged)'
      : 'the feature map to work at';
  }
}

function facts(info: ModelInfo): ModelFacts {
  return { whiteBox: info.whiteBox, featureLayers: info.featureLayers };
}

function aboutMethod(method: MethodInfo): (Node | string)[] {
  const kind = method.box === 'white' ? 'white-box (activations and gradients)' : 'black-box (predictions only)';
  const { paper } = method;
  return [`${kind} · `, element('a', { href: paper.url, target: '_blank', rel: 'noopener' }, [paper.title]), ` (${paper.authors}, ${paper.year})`];
}

function fieldElement(field: ParamField): HTMLElement {
  const { spec } = field;
  const input = inputFor(field.id, spec);
  const name = element('span', { class: 'param-name' }, [spec.name]);
  const help = element('span', { class: 'param-help' }, [spec.help]);
  const children = spec.type === 'boolean' ? [element('span', {}, [input, ' ', name]), help] : [name, input, help];
  const className = spec.type === 'boolean' ? 'param check' : 'param';
  return element('label', { class: className, 'data-param': spec.name, title: fieldTitle(spec) }, children);
}

function inputFor(id: string, spec: ParamSpec): HTMLInputElement | HTMLSelectElement {
  if (spec.type === 'choice') {
    const select = element('select', { id }, spec.choices.map((c) => element('option', { value: c }, [c])));
    select.value = spec.default;
    return select;
  }
  if (spec.type === 'boolean') {
    const box = element('input', { id, type: 'checkbox' });
    box.checked = spec.default;
    return box;
  }
  const bounds: Record<string, string | undefined> = {
    min: spec.min !== undefined && !spec.exclusiveMin ? String(spec.min) : undefined,
    max: spec.max !== undefined ? String(spec.max) : undefined,
  };
  const text = initialText(spec);
  return element('input', { id, type: 'number', step: spec.type === 'int' ? '1' : 'any', value: text, placeholder: text, ...bounds });
}

/** A field's text as the form holds it; a number input the browser cannot read says so. */
function fieldText(field: ParamField): string {
  const input = byId<HTMLInputElement | HTMLSelectElement>(field.id);
  if (input instanceof HTMLInputElement && input.type === 'checkbox') return String(input.checked);
  if (input instanceof HTMLInputElement && input.validity.badInput) return 'not a number';
  return input.value;
}
