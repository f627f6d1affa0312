import type { SchemaProp } from "./apidata.js";
import { checkFormat } from "./formats.js";

/** Raw request parameters: strings (query, form, path) or string arrays (repeated keys). */
export type RawParams = Record<string, string | string[]>;

/** Parsed parameter values: integers/numbers as numbers, booleans as 0/1, strings, string arrays. */
export type Params = Record<string, unknown>;

/** Result of checking request parameters: PVE's `errors` map (param → message) and the values. */
export interface ParamCheck {
  errors: Record<string, string>;
  values: Params;
}

const isOptional = (p: SchemaProp): boolean => p.optional === 1 || p.optional === true;

/** The schema of a parameter key, including PVE's enumerated `net[n]` → `net0`, `net1`… */
export function propFor(
  properties: Record<string, SchemaProp>,
  key: string,
): SchemaProp | undefined {
  const direct = properties[key];
  if (direct !== undefined) return direct;
  const m = /^([a-z_-]+?)(\d+)$/i.exec(key);
  if (m === null) return undefined;
  return properties[`${m[1]}[n]`];
}

const regexCache = new Map<string, RegExp>();

/** A schema pattern (Perl syntax, anchored by PVE) as a JS RegExp: `(?^i:…)` becomes the `i` flag. */
export function perlRegex(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    let src = pattern;
    let flags = "";
    if (src.includes("(?^i:") || src.includes("(?i)")) {
      flags = "i";
      src = src.replaceAll("(?^i:", "(?:").replaceAll("(?i)", "");
    }
    src = src.replaceAll("(?^:", "(?:");
    re = new RegExp(`^(?:${src})$`, flags);
    regexCache.set(pattern, re);
  }
  return re;
}

/**
 * Check one scalar value as PVE's JSONSchema::check_type/check_prop does, returning the parsed
 * value or an error message.
 */
export function checkScalar(
  prop: SchemaProp,
  raw: string,
): { value: unknown; error?: undefined } | { error: string } {
  const type = prop.type ?? "string";
  let value: unknown = raw;
  if (type === "integer") {
    if (!/^-?\d+$/.test(raw)) return { error: `type check ('integer') failed - got '${raw}'` };
    value = Number(raw);
  } else if (type === "number") {
    if (!/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw))
      return { error: `type check ('number') failed - got '${raw}'` };
    value = Number(raw);
  } else if (type === "boolean") {
    if (raw === "1") value = 1;
    else if (raw === "0") value = 0;
    else return { error: `type check ('boolean') failed - got '${raw}'` };
  }
  // PVE's check_prop order: pattern, maxLength, minLength, minimum/maximum, enum, format
  if (type === "string") {
    if (prop.pattern !== undefined && !perlRegex(prop.pattern).test(raw))
      return { error: "value does not match the regex pattern" };
    if (prop.maxLength !== undefined && raw.length > prop.maxLength)
      return { error: `value may only be ${prop.maxLength} characters long` };
    if (prop.minLength !== undefined && raw.length < prop.minLength)
      return { error: `value must be at least ${prop.minLength} characters long` };
  }
  if (typeof value === "number") {
    if (prop.minimum !== undefined && value < prop.minimum)
      return { error: `value must have a minimum value of ${prop.minimum}` };
    if (prop.maximum !== undefined && value > prop.maximum)
      return { error: `value must have a maximum value of ${prop.maximum}` };
  }
  if (prop.enum !== undefined && !prop.enum.includes(raw))
    return {
      error: `value '${raw}' does not have a value in the enumeration '${prop.enum.join(", ")}'`,
    };
  if (typeof prop.format === "string") {
    const err = checkFormat(prop.format, raw);
    if (err !== undefined) return { error: `invalid format - ${err}\n` };
  } else if (prop.format !== undefined && typeof prop.format === "object") {
    const err = checkPropertyString(prop.format, raw);
    if (err !== undefined) return { error: `invalid format - format error\n${err}\n` };
  }
  return { value };
}

/** Loose check of a property string (`virtio,bridge=vmbr0`): known keys, typed values. */
export function checkPropertyString(
  format: Record<string, SchemaProp>,
  raw: string,
): string | undefined {
  const defaultKey = Object.entries(format).find(([, p]) => p.default_key === 1)?.[0];
  const seen = new Set<string>();
  for (const part of raw.split(",")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    let key: string;
    let val: string;
    if (eq < 0) {
      if (defaultKey === undefined || seen.has(defaultKey))
        return `${part}: property is not defined in schema and the schema does not allow additional properties`;
      key = defaultKey;
      val = part;
    } else {
      key = part.slice(0, eq);
      val = part.slice(eq + 1);
    }
    const prop = format[key];
    if (prop === undefined)
      return `${key}: property is not defined in schema and the schema does not allow additional properties`;
    if (seen.has(key)) return `${key}: duplicate key in comma-separated list property`;
    seen.add(key);
    if (prop.alias !== undefined) {
      // `virtio=<mac>`: the key is the value of keyAlias, the value belongs to alias
      if (prop.keyAlias !== undefined) seen.add(prop.keyAlias);
      seen.add(prop.alias);
      const target = format[prop.alias];
      if (target !== undefined) {
        const r = checkScalar(target, val);
        if (r.error !== undefined) return `${prop.alias}: ${r.error.trimEnd()}`;
      }
      continue;
    }
    const r = checkScalar(prop, val);
    if (r.error !== undefined) return `${key}: ${r.error.trimEnd()}`;
  }
  for (const [key, prop] of Object.entries(format)) {
    if (prop.alias !== undefined || isOptional(prop) || seen.has(key)) continue;
    if (prop.default_key === 1 && defaultKey !== undefined && seen.has(defaultKey)) continue;
    return `${key}: property is missing and it is not optional`;
  }
  return undefined;
}

/**
 * Check request parameters (path variables merged in) against a method's `parameters` schema,
 * with PVE's messages.
 */
export function checkParams(schema: SchemaProp | undefined, raw: RawParams): ParamCheck {
  const errors: Record<string, string> = {};
  const values: Params = {};
  const properties = schema?.properties ?? {};
  const allowAdditional =
    schema?.additionalProperties === 1 || schema?.additionalProperties === true;
  for (const [key, rawValue] of Object.entries(raw)) {
    const prop = propFor(properties, key);
    if (prop === undefined) {
      if (allowAdditional) values[key] = rawValue;
      else
        errors[key] =
          "property is not defined in schema and the schema does not allow additional properties";
      continue;
    }
    if (prop.type === "array") {
      const list = Array.isArray(rawValue) ? rawValue : [rawValue];
      const out: unknown[] = [];
      for (const item of list) {
        const r = checkScalar(prop.items ?? { type: "string" }, item);
        if (r.error !== undefined) {
          errors[key] = r.error;
          break;
        }
        out.push(r.value);
      }
      values[key] = out;
      continue;
    }
    if (Array.isArray(rawValue)) {
      errors[key] = "type check ('" + (prop.type ?? "string") + "') failed - got ARRAY";
      continue;
    }
    const r = checkScalar(prop, rawValue);
    if (r.error !== undefined) errors[key] = r.error;
    else values[key] = r.value;
  }
  for (const [key, prop] of Object.entries(properties)) {
    if (key.endsWith("[n]") || isOptional(prop) || key in raw) continue;
    errors[key] = "property is missing and it is not optional";
  }
  return { errors, values };
}

/**
 * Check a response value against a `returns` schema. Returns human-readable problems, empty when
 * valid. Booleans must be 0/1 integers; `optional` properties may be absent.
 */
export function checkReturns(
  schema: SchemaProp | undefined,
  value: unknown,
  path = "data",
): string[] {
  if (schema === undefined) return [];
  const problems: string[] = [];
  const type = schema.type;
  if (value === null || value === undefined) {
    if (type === "null" || type === undefined) return [];
    return [`${path}: expected ${type}, got ${String(value)}`];
  }
  switch (type) {
    case "null":
      problems.push(`${path}: expected null`);
      break;
    case "string":
      if (typeof value !== "string") problems.push(`${path}: expected string, got ${typeof value}`);
      else if (schema.enum !== undefined && !schema.enum.includes(value))
        problems.push(`${path}: '${value}' not in enum`);
      break;
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value))
        problems.push(`${path}: expected integer, got ${JSON.stringify(value)}`);
      break;
    case "number":
      if (typeof value !== "number") problems.push(`${path}: expected number, got ${typeof value}`);
      break;
    case "boolean":
      if (value !== 0 && value !== 1)
        problems.push(`${path}: expected 0|1, got ${JSON.stringify(value)}`);
      break;
    case "array":
      if (!Array.isArray(value)) problems.push(`${path}: expected array`);
      else
        value.forEach((v, i) => problems.push(...checkReturns(schema.items, v, `${path}[${i}]`)));
      break;
    case "object":
      if (typeof value !== "object" || Array.isArray(value))
        problems.push(`${path}: expected object`);
      else {
        const obj = value as Record<string, unknown>;
        for (const [k, p] of Object.entries(schema.properties ?? {})) {
          if (k.endsWith("[n]")) continue;
          if (obj[k] === undefined) {
            if (!isOptional(p)) problems.push(`${path}.${k}: missing`);
            continue;
          }
          problems.push(...checkReturns(p, obj[k], `${path}.${k}`));
        }
        for (const [k, v] of Object.entries(obj)) {
          if (schema.properties?.[k] !== undefined) continue;
          const p = propFor(schema.properties ?? {}, k);
          if (p !== undefined) problems.push(...checkReturns(p, v, `${path}.${k}`));
        }
      }
      break;
    default:
      break;
  }
  return problems;
}
