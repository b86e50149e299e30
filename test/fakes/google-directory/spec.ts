/**
 * The contract check, driven only by the discovery document: find the method for an HTTP method and
 * path, then check its query and path parameters, its JSON body (recursively, against the
 * `request.$ref` schema) and its `fields` selection (against the `response.$ref` schema).
 */
import type { DiscoveryDocument, DiscoveryMethod, DiscoveryParameter, DiscoverySchema } from './discovery.ts';
import { type FieldMask, FieldsSyntaxError, parseFields } from './fields.ts';

/** A method found for a request, with its decoded path parameters. */
export interface RouteMatch {
  method: DiscoveryMethod;
  pathParams: Record<string, string>;
}

/** Why no method matched. */
export interface RouteMiss {
  /** Methods that serve this path with another HTTP method. */
  allowed: string[];
}

interface CompiledRoute {
  method: DiscoveryMethod;
  regex: RegExp;
  names: string[];
  /** Number of literal characters: the most specific template wins. */
  literal: number;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compile(method: DiscoveryMethod): CompiledRoute {
  const names: string[] = [];
  let source = '^/';
  let literal = 0;
  let last = 0;
  const template = /\{(\+?)([^}]+)\}/g;
  for (let m = template.exec(method.path); m !== null; m = template.exec(method.path)) {
    const text = method.path.slice(last, m.index);
    source += escapeRegex(text);
    literal += text.length;
    names.push(m[2] ?? '');
    source += m[1] === '+' ? '(.+)' : '([^/]+)';
    last = m.index + m[0].length;
  }
  const tail = method.path.slice(last);
  source += `${escapeRegex(tail)}$`;
  literal += tail.length;
  return { method, regex: new RegExp(source), names, literal };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : JSON.stringify(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const INTEGER = /^-?\d+$/;

/** Checks requests against the discovery document. */
export class ContractChecker {
  readonly doc: DiscoveryDocument;
  private readonly routes: CompiledRoute[];

  constructor(doc: DiscoveryDocument) {
    this.doc = doc;
    this.routes = doc.methods.map(compile);
  }

  /** The method with this discovery id. */
  methodById(id: string): DiscoveryMethod | undefined {
    return this.doc.methods.find((m) => m.id === id);
  }

  /** Finds the method for `httpMethod` and the raw (still percent-encoded) `pathname`. */
  match(httpMethod: string, pathname: string): RouteMatch | RouteMiss {
    let best: { route: CompiledRoute; params: Record<string, string> } | undefined;
    const allowed = new Set<string>();
    for (const route of this.routes) {
      const m = route.regex.exec(pathname);
      if (!m) continue;
      const params: Record<string, string> = {};
      let ok = true;
      route.names.forEach((name, i) => {
        const raw = m[i + 1] ?? '';
        let value = raw;
        try {
          value = decodeURIComponent(raw);
        } catch {
          ok = false;
        }
        const pattern = route.method.parameters[name]?.pattern;
        if (pattern !== undefined && !new RegExp(pattern).test(value)) ok = false;
        params[name] = value;
      });
      if (!ok) continue;
      if (route.method.httpMethod !== httpMethod) {
        allowed.add(route.method.httpMethod);
        continue;
      }
      if (!best || route.literal > best.route.literal) best = { route, params };
    }
    if (best) return { method: best.route.method, pathParams: best.params };
    return { allowed: [...allowed].sort() };
  }

  /** Problems with the query and path parameters (empty when they fit). */
  checkParameters(
    method: DiscoveryMethod,
    pathParams: Record<string, string>,
    query: URLSearchParams,
  ): string[] {
    const problems: string[] = [];
    for (const [name, value] of Object.entries(pathParams)) {
      const param = method.parameters[name];
      if (param) problems.push(...this.checkValue(name, value, param));
    }
    for (const name of new Set(query.keys())) {
      const own = method.parameters[name];
      const param = own && own.location === 'query' ? own : this.doc.parameters[name];
      if (!param) {
        problems.push(
          `Invalid JSON payload received. Unknown name "${name}": Cannot bind query parameter. Field '${name}' could not be found in request message.`,
        );
        continue;
      }
      const values = query.getAll(name);
      if (values.length > 1 && !param.repeated)
        problems.push(`Parameter "${name}" is not repeated but was given ${values.length} times.`);
      for (const value of values) problems.push(...this.checkValue(name, value, param));
    }
    for (const [name, param] of Object.entries(method.parameters)) {
      if (param.required && param.location === 'query' && !query.has(name))
        problems.push(`Required parameter is missing: ${name}`);
    }
    return problems;
  }

  private checkValue(name: string, value: string, param: DiscoveryParameter): string[] {
    const bad = (why: string): string[] => [`Invalid value for "${name}": ${JSON.stringify(value)} ${why}`];
    if (param.type === 'boolean' && value !== 'true' && value !== 'false') return bad('is not a boolean');
    if (param.type === 'integer') {
      if (!INTEGER.test(value)) return bad('is not an integer');
      const n = Number(value);
      if (param.minimum !== undefined && n < param.minimum)
        return bad(`is below the minimum ${param.minimum}`);
      if (param.maximum !== undefined && n > param.maximum)
        return bad(`is above the maximum ${param.maximum}`);
    }
    if (param.type === 'number' && (value.trim() === '' || !Number.isFinite(Number(value))))
      return bad('is not a number');
    if (param.enum && !param.enum.includes(value)) return bad(`is not one of ${param.enum.join(', ')}`);
    if (param.pattern !== undefined && !new RegExp(param.pattern).test(value))
      return bad(`does not match ${param.pattern}`);
    return [];
  }

  /** Resolves `$ref`, keeping the referring property's own `readOnly` and `requiredFor`. */
  resolve(schema: DiscoverySchema): DiscoverySchema {
    let current = schema;
    const seen = new Set<string>();
    while (current.$ref !== undefined && !seen.has(current.$ref)) {
      seen.add(current.$ref);
      const target = this.doc.schemas[current.$ref];
      if (!target) break;
      current = target;
    }
    return current;
  }

  /** Problems with a JSON request body (empty when it fits). */
  checkBody(method: DiscoveryMethod, body: unknown): string[] {
    if (method.requestRef === undefined) {
      if (body === undefined || (isRecord(body) && Object.keys(body).length === 0)) return [];
      return [`Method ${method.id} takes no request body, but one was sent.`];
    }
    const schema = this.doc.schemas[method.requestRef];
    if (!schema) return [];
    if (body === undefined) body = {};
    const problems: string[] = [];
    this.checkJson(body, schema, '', method.id, problems);
    return problems;
  }

  private checkJson(
    value: unknown,
    declared: DiscoverySchema,
    path: string,
    methodId: string,
    out: string[],
  ): void {
    // null clears a field in Google's JSON mapping; it is accepted for any field.
    if (value === null) return;
    const schema = this.resolve(declared);
    const at = path === '' ? '' : ` at '${path}'`;
    const type = schema.type ?? (schema.properties ? 'object' : 'any');
    const wrong = (expected: string): void => {
      out.push(`Invalid value${at} (${expected}), ${describe(value)}`);
    };
    switch (type) {
      case 'any':
        return;
      case 'boolean':
        if (typeof value !== 'boolean') wrong('TYPE_BOOL');
        return;
      case 'integer':
        if (
          !(typeof value === 'number' && Number.isInteger(value)) &&
          !(typeof value === 'string' && INTEGER.test(value))
        )
          wrong(schema.format === 'int64' ? 'TYPE_INT64' : 'TYPE_INT32');
        return;
      case 'number':
        if (
          typeof value !== 'number' &&
          !(typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
        )
          wrong('TYPE_DOUBLE');
        return;
      case 'string': {
        const numeric = schema.format === 'int64' || schema.format === 'uint64' || schema.format === 'int32';
        if (numeric) {
          if (
            !(typeof value === 'number' && Number.isInteger(value)) &&
            !(typeof value === 'string' && INTEGER.test(value))
          )
            wrong('TYPE_INT64');
          return;
        }
        if (typeof value !== 'string') {
          wrong('TYPE_STRING');
          return;
        }
        if (schema.enum && !schema.enum.includes(value))
          out.push(`Invalid value${at}, "${value}" is not one of ${schema.enum.join(', ')}`);
        return;
      }
      case 'array':
        if (!Array.isArray(value)) {
          wrong('TYPE_ARRAY');
          return;
        }
        value.forEach((item, i) => {
          if (schema.items) this.checkJson(item, schema.items, `${path}[${i}]`, methodId, out);
        });
        return;
      case 'object': {
        if (!isRecord(value)) {
          wrong('TYPE_MESSAGE');
          return;
        }
        const props = schema.properties ?? {};
        for (const [key, child] of Object.entries(value)) {
          const childPath = path === '' ? key : `${path}.${key}`;
          const prop = props[key];
          if (prop) this.checkJson(child, prop, childPath, methodId, out);
          else if (schema.additionalProperties)
            this.checkJson(child, schema.additionalProperties, childPath, methodId, out);
          else out.push(`Invalid JSON payload received. Unknown name "${key}"${at}: Cannot find field.`);
        }
        for (const [key, prop] of Object.entries(props)) {
          if (prop.requiredFor.includes(methodId) && (value[key] === undefined || value[key] === null))
            out.push(
              `Invalid Input: required field '${path === '' ? key : `${path}.${key}`}' is missing for ${methodId}`,
            );
        }
        return;
      }
      default:
        return;
    }
  }

  /**
   * Parses `fields` and checks every selected name against the response schema.
   * Returns the mask, or the problem.
   */
  checkFields(method: DiscoveryMethod, fields: string): { mask: FieldMask } | { problem: string } {
    let mask: FieldMask;
    try {
      mask = parseFields(fields);
    } catch (e) {
      if (e instanceof FieldsSyntaxError) return { problem: e.message };
      throw e;
    }
    if (method.responseRef === undefined) return { mask };
    const schema = this.doc.schemas[method.responseRef];
    if (!schema) return { mask };
    const unknown: string[] = [];
    this.walkMask(mask, schema, '', unknown);
    if (unknown.length > 0) return { problem: `Invalid field selection ${unknown.join(', ')}` };
    return { mask };
  }

  private walkMask(mask: FieldMask, declared: DiscoverySchema, path: string, unknown: string[]): void {
    let schema = this.resolve(declared);
    while (schema.type === 'array' && schema.items) schema = this.resolve(schema.items);
    if (schema.type === 'any' || (schema.type === undefined && !schema.properties)) return;
    for (const [key, sub] of mask) {
      const childPath = path === '' ? key : `${path}/${key}`;
      if (key === '*') {
        continue;
      }
      const prop = schema.properties?.[key] ?? schema.additionalProperties;
      if (!prop) {
        unknown.push(childPath);
        continue;
      }
      if (sub !== null) this.walkMask(sub, prop, childPath, unknown);
    }
  }
}
