/** Text-level helpers of the shell reader: look-alikes, brace expansion, word splitting. */
import type { ArgValue } from "./paths.js";

/** Look-alike characters (fullwidth, unicode dashes and spaces) mapped to ASCII, so they fail closed. */
export function normalizeLookalikes(text: string): string {
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  return text
    .normalize("NFKC")
    .replace(/[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]/g, "-")
    .replace(/[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g, " ")
    .replace(/[\u200B-\u200D\u2060\uFEFF]/g, "");
}

/** Bash brace expansion (`{a,b}`, `{1..3}`) of a word's text; at most 64 results. */
export function expandBraces(text: string): string[] {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === "{") {
      if (depth++ === 0) open = i;
    } else if (c === "}" && depth > 0 && --depth === 0) {
      const body = text.slice(open + 1, i);
      const pre = text.slice(0, open);
      const post = text.slice(i + 1);
      const items: string[] = [];
      const range = /^(-?\d+)\.\.(-?\d+)$/.exec(body) ?? /^([a-zA-Z])\.\.([a-zA-Z])$/.exec(body);
      if (range) {
        const num = /\d/.test(range[1]!);
        const a = num ? Number(range[1]) : range[1]!.charCodeAt(0);
        const b = num ? Number(range[2]) : range[2]!.charCodeAt(0);
        const step = a <= b ? 1 : -1;
        for (let k = a; step > 0 ? k <= b : k >= b; k += step) {
          items.push(num ? String(k) : String.fromCharCode(k));
          if (items.length >= 64) break;
        }
      } else {
        let d = 0;
        let start = 0;
        for (let k = 0; k <= body.length; k++) {
          const ch = body[k];
          if (ch === "{") d++;
          else if (ch === "}") d--;
          else if ((ch === "," && d === 0) || k === body.length) {
            items.push(body.slice(start, k));
            start = k + 1;
          }
        }
        if (items.length < 2) return [text];
      }
      const out: string[] = [];
      for (const it of items)
        for (const e of expandBraces(pre + it + post)) if (out.length < 64) out.push(e);
      return out;
    }
  }
  return [text];
}

export function splitSed(s: string, d: string): number | undefined {
  let seen = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\") {
      i++;
      continue;
    }
    if (s[i] === d && ++seen === 2) return i + 1;
  }
  return undefined;
}

/** Split text into words the way `env -S` and xargs do (quotes respected, no expansion). */
export function splitWords(text: string): ArgValue[] {
  const out: ArgValue[] = [];
  const re = /"((?:\\.|[^"\\])*)"|'([^']*)'|(\S+)/g;
  for (const m of text.matchAll(re))
    out.push({ value: m[1] ?? m[2] ?? m[3] ?? "", dynamic: false, glob: false });
  return out;
}

const SIMPLE_ESCAPES: Record<string, string> = { n: "\n", t: "\t", "\\": "\\", '"': '"', "'": "'" };

/** `\n`, `\t`, `\\` written out; undefined when other escapes (hex, octal) would encode text. */
export function simpleEscapes(s: string): string | undefined {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== "\\" || i === s.length - 1) {
      out += c;
      continue;
    }
    const e = SIMPLE_ESCAPES[s[i + 1]!];
    if (e === undefined) return undefined;
    out += e;
    i++;
  }
  return out;
}

/**
 * What `printf FORMAT ARGS…` prints, as printf(1) does for `%s`, `%d`, `%b`, `%c` and `%%`: the
 * format is reused while arguments remain. Undefined for anything it cannot tell statically.
 */
export function printfText(format: string, args: readonly string[]): string | undefined {
  const fmt = simpleEscapes(format);
  if (fmt === undefined) return undefined;
  let out = "";
  let k = 0;
  do {
    let used = false;
    for (let i = 0; i < fmt.length; i++) {
      const c = fmt[i]!;
      if (c !== "%") {
        out += c;
        continue;
      }
      const m = /^%(-?\d*)([sdbc%])/.exec(fmt.slice(i));
      if (m === null) return undefined;
      i += m[0].length - 1;
      if (m[2] === "%") {
        out += "%";
        continue;
      }
      used = true;
      const arg = args[k++] ?? "";
      const text = m[2] === "b" ? simpleEscapes(arg) : m[2] === "c" ? arg.slice(0, 1) : arg;
      if (text === undefined) return undefined;
      out += text;
    }
    if (!used) break;
  } while (k < args.length);
  return out;
}
