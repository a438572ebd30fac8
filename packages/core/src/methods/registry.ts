import { XaiError } from '../errors.js';
import type { MethodDescriptor } from './descriptor.js';
import type { ParamSpec } from './params.js';

/** A parameter as it appears across methods: one flag or form field, used by these methods. */
export interface SharedParam {
  spec: ParamSpec;
  methods: MethodDescriptor[];
}

/**
 * The methods an app offers. Method packages export descriptors; an app registers them once and
 * learns ids, labels, parameters and help from here.
 */
export class MethodRegistry {
  private readonly byId = new Map<string, MethodDescriptor>();

  constructor(methods: Iterable<MethodDescriptor> = []) {
    for (const m of methods) this.register(m);
  }

  /** Adds a method; an id already taken, or a parameter that contradicts another method's, is refused. */
  register(method: MethodDescriptor): this {
    if (!/^[a-z][a-z0-9-]*$/.test(method.id)) {
      throw new XaiError(`A method id is lower-case letters, digits and dashes, starting with a letter; got "${method.id}"`);
    }
    if (this.byId.has(method.id)) throw new XaiError(`A method with id "${method.id}" is registered already`);
    for (const spec of method.params) {
      const other = this.parameters().find((p) => p.spec.name === spec.name);
      if (other && other.spec.type !== spec.type) {
        throw new XaiError(
          `${method.id}: parameter ${spec.name} is ${spec.type}, but ${other.methods[0].id} has it as ${other.spec.type}; one name, one type`,
        );
      }
    }
    this.byId.set(method.id, method);
    return this;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): MethodDescriptor {
    const method = this.byId.get(id);
    if (!method) throw new XaiError(`Unknown method "${id}"; methods: ${this.ids().join(', ')}`);
    return method;
  }

  list(): MethodDescriptor[] {
    return [...this.byId.values()];
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  /** The label of a method id, or the id itself when it is not registered. */
  label(id: string): string {
    return this.byId.get(id)?.label ?? id;
  }

  /** Every parameter name once, in first-seen order, with the methods that take it. */
  parameters(): SharedParam[] {
    const out = new Map<string, SharedParam>();
    for (const method of this.byId.values()) {
      for (const spec of method.params) {
        const entry = out.get(spec.name);
        if (entry) entry.methods.push(method);
        else out.set(spec.name, { spec, methods: [method] });
      }
    }
    return [...out.values()];
  }
}
