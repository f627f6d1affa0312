import { spawn } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { TxboxError } from "@txbox/core";
import type { Register } from "../main.js";
import type { Io } from "../output.js";

/**
 * The testbed is a stand-in for Proxmox and the client side never imports it (ADR 0004): `txbox
 * testbed …` runs its own entry point as a separate process. It is found through
 * $TXBOX_TESTBED_BIN, else an installed `@txbox/testbed` or the workspace's `testbed/` above the
 * current directory or this package.
 */
export function findTestbedBin(io: Io): string | undefined {
  if (io.env.TXBOX_TESTBED_BIN) return io.env.TXBOX_TESTBED_BIN;
  const here = dirname(fileURLToPath(import.meta.url));
  for (const start of [io.cwd, here]) {
    for (let dir = start; ; dir = dirname(dir)) {
      for (const candidate of [
        join(dir, "node_modules/@txbox/testbed/lib/bin/testbed.js"),
        join(dir, "testbed/lib/bin/testbed.js"),
      ]) {
        // The real path: pnpm links packages, and the bin's entry guard compares real paths.
        if (existsSync(candidate)) return realpathSync(candidate);
      }
      if (dirname(dir) === dir) break;
    }
  }
  return undefined;
}

export const registerTestbed: Register = (program, io, outcome) => {
  program
    .command("testbed")
    .description(
      "the local Proxmox-compatible testbed: up, status, down, logs, ssh, doctor (txbox testbed --help)",
    )
    .helpOption(false)
    .allowUnknownOption()
    .passThroughOptions()
    .argument("[args...]", "testbed subcommand and its options")
    .action(async (args: string[]) => {
      if (args[0] === "doctor") {
        // what running the testbed needs on this machine: answered here, not by the testbed
        const { doctorCommand } = await import("./doctor.js");
        outcome.code = await doctorCommand(io, { testbed: true, json: args.includes("--json") });
        return;
      }
      const bin = findTestbedBin(io);
      if (!bin) {
        throw new TxboxError("E_TESTBED_MISSING", "the testbed is not installed here", {
          hint: "run scripts/bootstrap in the txbox repository, or set TXBOX_TESTBED_BIN",
        });
      }
      outcome.code = await new Promise<number>((resolveCode, reject) => {
        const child = spawn(process.execPath, [bin, ...args], {
          stdio: "inherit",
          cwd: io.cwd,
          env: { ...io.env, TXBOX_TESTBED_PROG: "txbox testbed" },
        });
        child.on("error", reject);
        child.on("exit", (code, signal) =>
          resolveCode(code ?? 128 + ((signal && osConstants.signals[signal]) || 0)),
        );
      });
    });
};
