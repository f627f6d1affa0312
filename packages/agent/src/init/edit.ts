/**
 * Edits of a parsed configuration document (a JSON or TOML object tree) that keep whatever else
 * the user has there: set one key, add to a list without duplicates, put txbox's hook entry in a
 * hook list. Each edit records what it changed (for `--dry-run`) and, when it would overwrite a
 * value the user set to something else, a conflict that only `--force` may override. Pure apart
 * from mutating the document it is given.
 */

export type Doc = Record<string, unknown>;

/** One change to a document, as `--dry-run` prints it. */
export interface Change {
  /** Dotted key path, e.g. `permissions.deny`. */
  key: string;
  /** What happens: `set`, `add`, `replace`. */
  op: "set" | "add" | "replace";
  value: unknown;
  /** The value it replaces, for `replace`. */
  previous?: unknown;
}

/** A user setting txbox would have to overwrite; refused unless `--force`. */
export interface Conflict {
  key: string;
  found: unknown;
  wanted: unknown;
  why: string;
}

export class DocEditor {
  readonly changes: Change[] = [];
  readonly conflicts: Conflict[] = [];

  constructor(
    readonly doc: Doc,
    private readonly force: boolean,
  ) {}

  /** The object at `path`, created (as `{}`) where missing; a non-object there is a conflict. */
  table(path: string[]): Doc | undefined {
    let at = this.doc;
    for (let i = 0; i < path.length; i++) {
      const key = path[i]!;
      const next = at[key];
      if (next === undefined) {
        at[key] = {};
      } else if (!isDoc(next)) {
        const dotted = path.slice(0, i + 1).join(".");
        if (!this.overwrite(dotted, next, {}, "txbox needs a table here")) return undefined;
        at[key] = {};
      }
      at = at[key] as Doc;
    }
    return at;
  }

  /**
   * Set `path` to `value`. A different value already there is replaced when `mine(found)` says the
   * value is txbox's own (an earlier `init`), and otherwise only with `--force`.
   */
  set(
    path: string[],
    value: unknown,
    why: string,
    mine: (found: unknown) => boolean = () => false,
  ) {
    const parent = this.table(path.slice(0, -1));
    if (parent === undefined) return;
    const key = path[path.length - 1]!;
    const found = parent[key];
    const dotted = path.join(".");
    if (found === undefined) {
      parent[key] = value;
      this.changes.push({ key: dotted, op: "set", value });
    } else if (!equal(found, value)) {
      if (!mine(found) && !this.overwrite(dotted, found, value, why)) return;
      parent[key] = value;
      this.changes.push({ key: dotted, op: "replace", value, previous: found });
    }
  }

  /** Add `values` to the list at `path` (created when missing), each once. */
  union(path: string[], values: string[]) {
    const arr = this.list(path, values, "txbox needs a list here");
    if (arr === undefined) return;
    for (const v of values)
      if (!arr.includes(v)) {
        arr.push(v);
        this.changes.push({ key: path.join("."), op: "add", value: v });
      }
  }

  /**
   * Set `fields` in the table at `path` (one MCP server's entry). An entry `isOurs` recognises
   * (an earlier `init`) is updated freely; anyone else's only with `--force`.
   */
  entry(path: string[], fields: Doc, isOurs: (entry: Doc) => boolean, why: string) {
    const table = this.table(path);
    if (table === undefined) return;
    const ours = Object.keys(table).length === 0 || isOurs(table);
    for (const [key, value] of Object.entries(fields))
      this.set([...path, key], value, why, () => ours);
  }

  /** Remove `value` from the list at `path` (a user's allow rule txbox must take back). */
  remove(path: string[], value: string, why: string) {
    let at: unknown = this.doc;
    for (const k of path) at = isDoc(at) ? at[k] : undefined;
    if (!Array.isArray(at) || !at.includes(value)) return;
    const dotted = path.join(".");
    if (!this.overwrite(dotted, value, undefined, why)) return;
    at.splice(at.indexOf(value), 1);
    this.changes.push({ key: dotted, op: "replace", value: `(without ${value})`, previous: value });
  }

  /**
   * Put `entry` into the hook list at `path`, replacing txbox's earlier entry (found by `isOurs`)
   * and leaving every other entry alone.
   */
  hook(path: string[], entry: Doc, isOurs: (e: unknown) => boolean) {
    const arr = this.list(path, [entry], "txbox needs a list of hook entries here");
    if (arr === undefined) return;
    const dotted = path.join(".");
    const at = arr.findIndex(isOurs);
    if (at === -1) {
      arr.push(entry);
      this.changes.push({ key: dotted, op: "add", value: entry });
    } else if (!equal(arr[at], entry)) {
      this.changes.push({ key: dotted, op: "replace", value: entry, previous: arr[at] });
      arr[at] = entry;
    }
  }

  /** The list at `path`, created when missing; anything else there is a conflict. */
  private list(path: string[], wanted: unknown, why: string): unknown[] | undefined {
    const parent = this.table(path.slice(0, -1));
    if (parent === undefined) return undefined;
    const key = path[path.length - 1]!;
    if (parent[key] === undefined) parent[key] = [];
    if (!Array.isArray(parent[key])) {
      if (!this.overwrite(path.join("."), parent[key], wanted, why)) return undefined;
      parent[key] = [];
    }
    return parent[key] as unknown[];
  }

  private overwrite(key: string, found: unknown, wanted: unknown, why: string): boolean {
    if (this.force) return true;
    this.conflicts.push({ key, found, wanted, why });
    return false;
  }
}

export function isDoc(v: unknown): v is Doc {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Structural equality of JSON-like values (key order ignored). */
export function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isDoc(a) && isDoc(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => equal(a[k], b[k]));
  }
  return false;
}
