import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ApplyError } from "./errors.js";
import type { Ledger, NetPort } from "./ports.js";

/**
 * The ledger half of a {@link NetPort} kept as JSON files, one per spec name, in `dir`
 * (e.g. `.txbox/net`). Writes are atomic (temp file + rename) so a crash never leaves half a file.
 */
export function fileLedger(dir: string): Pick<NetPort, "loadLedger" | "saveLedger"> {
  const file = (name: string) => join(dir, `${name}.ledger.json`);
  return {
    async loadLedger(name: string): Promise<Ledger> {
      let text: string;
      try {
        text = await readFile(file(name), "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT")
          return { controllers: [], zones: [] };
        throw error;
      }
      try {
        const parsed = JSON.parse(text) as Partial<Ledger>;
        return { controllers: parsed.controllers ?? [], zones: parsed.zones ?? [] };
      } catch (cause) {
        throw new ApplyError(`${file(name)}: not a txbox ledger (invalid JSON)`, {
          retryable: false,
          hint: "restore it from backup, or delete it: txbox then treats the spec's zones as foreign",
          cause,
        });
      }
    },
    async saveLedger(name: string, ledger: Ledger): Promise<void> {
      await mkdir(dir, { recursive: true });
      const tmp = `${file(name)}.${process.pid}.tmp`;
      await writeFile(tmp, `${JSON.stringify(ledger, null, 2)}\n`);
      await rename(tmp, file(name));
    },
  };
}
