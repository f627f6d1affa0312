/**
 * A tree digest computed inside the guest with standard tools (GNU find, sort, sha256sum), so a
 * runner can implement {@link BenchRunner.treeDigest} with one plain command.
 */
import { BenchError } from "./errors.js";
import type { BenchRunner } from "./runner.js";

/** Quote a word for POSIX sh. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A shell command printing one SHA-256 over every entry under `dir`: type, mode, path and symlink
 * target of each, then the content of each regular file. Two trees print the same digest exactly
 * when they are byte-identical (names with newlines aside). Stays on one filesystem.
 */
export function treeDigestCommand(dir: string): string {
  return [
    `cd ${shellQuote(dir)} &&`,
    `{ find . -xdev -printf '%y %m %p -> %l\\n' | LC_ALL=C sort;`,
    `find . -xdev -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum; }`,
    `| sha256sum | cut -d' ' -f1`,
  ].join(" ");
}

/** A `treeDigest` implementation over a runner's `runPlain`. */
export function treeDigestVia(runPlain: BenchRunner["runPlain"]): (dir: string) => Promise<string> {
  return async (dir) => {
    const r = await runPlain(treeDigestCommand(dir));
    const digest = (r.stdout ?? "").trim();
    if (r.exitCode !== 0 || !/^[0-9a-f]{64}$/.test(digest)) {
      throw new BenchError(
        "E_BENCH_DIGEST",
        `cannot digest ${dir} in the guest (exit ${r.exitCode}): ${(r.stderr ?? "").trim()}`,
        {
          details: { dir, exitCode: r.exitCode },
          hint: "the guest needs GNU findutils and coreutils",
        },
      );
    }
    return digest;
  };
}
