import type { CommandFacts } from "../types.js";
import type { ServiceSpec } from "../knowledge/schema.js";

/** Where a command acts: on the guest, or on a named target outside it. */
export interface Target {
  remote: boolean;
  /** The target is named (a host, URL or context) or known by the program's knowledge. */
  known: boolean;
  /** The host, URL or context that made it remote. */
  name?: string;
  why?: string;
}

const UNNAMED: Target = { remote: false, known: false };
const GUEST: Target = { remote: false, known: true };

/** Hosts that are the guest itself. */
const LOCAL_HOST =
  /^(localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|::1|\[::1\]|unix|\/.*|[\w-]+\.localhost|)$/i;

/** The host of a URL-like or `host:port` value, or the value itself. */
export function hostOf(value: string): string {
  const url = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(value);
  if (url) return url[1]!.replace(/^\[|\]$/g, "");
  if (/^unix:/.test(value) || value.startsWith("/")) return "/";
  const hp = /^([^:/]+)(:\d+)?(\/.*)?$/.exec(value);
  return hp ? hp[1]! : value;
}

export function isLocalHost(host: string): boolean {
  return LOCAL_HOST.test(host);
}

/** The value of an option in raw arguments: `-h v`, `--host=v`, `-hv`; the service knowledge names the options. */
function optionValue(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") return undefined;
    if (a === name) return argv[i + 1];
    if (name.startsWith("--") && a.startsWith(name + "=")) return a.slice(name.length + 1);
    if (
      !name.startsWith("--") &&
      name.length === 2 &&
      a.startsWith(name) &&
      a.length > 2 &&
      !a.startsWith("--")
    )
      return a.slice(2);
  }
  return undefined;
}

/** A compiled service entry. */
export interface ServiceRule {
  spec: ServiceSpec;
  localNames?: RegExp;
  envRe?: RegExp;
}

export function compileService(spec: ServiceSpec): ServiceRule {
  return {
    spec,
    ...(spec.local_names === undefined ? {} : { localNames: new RegExp(spec.local_names) }),
    ...(spec.env.length === 0
      ? {}
      : { envRe: new RegExp(`(?:^|\\s)(${spec.env.join("|")})=(['"]?)([^\\s'"]+)\\2`) }),
  };
}

function judge(value: string, rule: ServiceRule, why: string): Target {
  if (rule.localNames?.test(value)) return GUEST;
  const host = hostOf(value);
  return isLocalHost(host) ? GUEST : { remote: true, known: true, name: value, why };
}

const PROD_ENV = /(?:^|\s)\w*_ENV=(['"]?)(prod|production)\1(?:\s|$)/;
const URL = /^[a-z][a-z0-9+.-]*:\/\/./i;

/** Whether an argument is a URL (`scheme://…`). */
export function isUrl(a: string): boolean {
  return a.includes("://") && URL.test(a);
}

/** Where a command of a service client acts, from its options, URL operands and environment. */
export function serviceTarget(c: CommandFacts, rule: ServiceRule | undefined): Target {
  // The substring tests skip the regular expressions for the many commands that cannot match.
  const prod = c.text.includes("_ENV=") ? PROD_ENV.exec(c.text) : null;
  if (rule === undefined) {
    // A program with no service knowledge that names a URL acts where the URL points.
    const url = c.argv.find(isUrl);
    if (url === undefined) return UNNAMED;
    const host = hostOf(url);
    return isLocalHost(host)
      ? GUEST
      : { remote: true, known: true, name: url, why: `acts on ${url}` };
  }
  if (prod)
    return { remote: true, known: true, name: prod[0].trim(), why: "runs against production" };
  const s = rule.spec;
  for (const o of s.host_options) {
    const v = c.options[o]?.[0] ?? optionValue(c.argv, o);
    if (v !== undefined) return judge(v, rule, `${o} ${v}`);
  }
  if (rule.envRe) {
    const m = rule.envRe.exec(c.text);
    if (m) return judge(m[3]!, rule, `${m[1]!}=${m[3]!}`);
  }
  const urls = c.argv.filter(isUrl);
  if (urls.length > 0 || s.url_operand) {
    const first =
      urls[0] ??
      (s.url_operand
        ? c.argv.find((a) => /^[\w.-]+(:\d+)?(\/|$)/.test(a) && /[.:]/.test(a))
        : undefined);
    if (first !== undefined) return judge(first, rule, first);
  }
  return s.default === "remote"
    ? {
        remote: true,
        known: true,
        name: c.program,
        why: `${c.program} acts on a service outside the guest`,
      }
    : GUEST;
}
