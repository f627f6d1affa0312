/**
 * Which build of txbox a process runs, so that a client never gets answers from a daemon started
 * from other code (an older build, another installed version). Node built-ins only: the thin
 * client computes it on every command.
 *
 * The build id is a digest of the versions and build stamps of the txbox package and its
 * `@txbox/*` dependencies (see {@link buildInfo}); a rebuild or an upgrade gives a new id.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync, watch, type FSWatcher } from "node:fs";
import { dirname, join } from "node:path";

/** What a client and a daemon compare in their handshake. */
export interface BuildInfo {
  /** The txbox package's version (package.json). */
  version: string;
  /** Digest of the code and data a daemon loads (16 hex digits). */
  build: string;
}

interface Manifest {
  version?: string;
  files?: string[];
  dependencies?: Record<string, string>;
}

function manifest(root: string): Manifest {
  return JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Manifest;
}

/** A dependency's package directory, found the way Node resolves it (node_modules upwards). */
function resolvePackage(from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Size and mtime of a file, or `-` when it does not exist. */
function stamp(path: string): string {
  try {
    const st = statSync(path);
    return `${st.size} ${st.mtimeMs}`;
  } catch {
    return "-";
  }
}

/** The directories a package ships (its `files` entries that are plain names), else `lib`. */
function shippedDirs(m: Manifest): string[] {
  const dirs = (m.files ?? ["lib"]).filter((f) => !/[*?[]/.test(f));
  return dirs.length > 0 ? dirs : ["lib"];
}

/** One package of the build: the txbox package or one of its `@txbox/*` dependencies. */
export interface BuildPackage {
  name: string;
  dir: string;
  version: string;
  /** What it ships (code and data), relative to `dir`. */
  shipped: string[];
}

/** The txbox package at `root` (the directory of its package.json) and its `@txbox/*` packages. */
export function buildPackages(root: string): BuildPackage[] {
  const m = manifest(root);
  const out: BuildPackage[] = [
    { name: "txbox", dir: root, version: m.version ?? "?", shipped: shippedDirs(m) },
  ];
  for (const name of Object.keys(m.dependencies ?? {}).sort()) {
    if (!name.startsWith("@txbox/")) continue;
    const dir = resolvePackage(root, name) ?? `(missing ${name})`;
    let dm: Manifest = {};
    try {
      dm = manifest(dir);
    } catch {
      // a missing or unreadable package still counts: its absence is part of the build
    }
    out.push({ name, dir, version: dm.version ?? "?", shipped: shippedDirs(dm) });
  }
  return out;
}

/**
 * The build of the txbox package at `root`. Cheap enough for every command (about 30 stats, no
 * directory walk): each package's version, and size and mtime of its package.json, its entry
 * point and its `tsconfig.tsbuildinfo`, which `tsc -b` rewrites whenever it rebuilds anything of
 * the package. Edits that no build follows (a rule pack, knowledge data) are caught by the
 * daemon itself watching what it loaded ({@link watchBuild}).
 */
export function buildInfo(root: string): BuildInfo {
  const packages = buildPackages(root);
  const hash = createHash("sha256");
  for (const p of packages) {
    hash.update(`${p.name} ${p.version}\n`);
    for (const f of ["package.json", "tsconfig.tsbuildinfo", join("lib", "index.js")])
      hash.update(`${f} ${stamp(join(p.dir, f))}\n`);
  }
  return { version: packages[0]!.version, build: hash.digest("hex").slice(0, 16) };
}

/**
 * Call `onChange` (once) when anything a package of the build ships changes on disk: a daemon
 * must not keep serving code or data that is no longer what is installed. Returns the closer.
 */
export function watchBuild(root: string, onChange: (what: string) => void): () => void {
  const watchers: FSWatcher[] = [];
  let fired = false;
  const close = (): void => {
    for (const w of watchers.splice(0)) w.close();
  };
  for (const p of buildPackages(root)) {
    for (const sub of p.shipped) {
      const dir = join(p.dir, sub);
      if (!existsSync(dir)) continue;
      try {
        const w = watch(dir, { recursive: true, persistent: false }, (_event, file) => {
          if (fired) return;
          fired = true;
          close();
          onChange(join(dir, String(file ?? "")));
        });
        w.on("error", () => undefined);
        watchers.push(w);
      } catch {
        // no watch (inotify limits): the handshake's build id still catches rebuilds
      }
    }
  }
  return close;
}
