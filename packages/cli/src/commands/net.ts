import { readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { durationMs, TimeoutError, UsageError, type LoadedConfig } from "@txbox/core";
import {
  apply,
  ApplyAbortedError,
  checkPrerequisites,
  checkSavedPlan,
  isSavedPlan,
  parseSavedPlan,
  savePlan,
  formatPlan,
  formatVerify,
  verify,
  type VerifyReport,
  loadNetSpec,
  observe,
  plan,
  planDestroy,
  type NetSpec,
  type Plan,
  type ProgressEvent,
  type SavedPlan,
} from "@txbox/net";
import { ProxmoxClient } from "@txbox/proxmox";
import type { Outcome, Register } from "../main.js";
import { EXIT, printJson, println, reportError, type Io } from "../output.js";
import {
  configFor,
  proxmoxNetPort,
  resolveTarget,
  type ProxmoxNetPort,
  type Target,
} from "@txbox/runtime";

interface NetOptions {
  file?: string;
  json?: boolean;
  config?: string;
  timeout: string;
  yes?: boolean;
  enableFirewall?: boolean;
  verify?: boolean;
  out?: string;
  detailedExitcode?: boolean;
}

function withNetCommon(cmd: Command, effect: boolean): Command {
  cmd
    .argument("[spec]", "the network spec (YAML); or give -f")
    .option(
      "-f, --file <spec>",
      "the network spec (YAML, see packages/net/schema/net-spec.schema.json)",
    )
    .option("--json", "machine-readable output on stdout")
    .option("--config <file>", "txbox.yaml to use (its proxmox section is the target)")
    .option(
      "--timeout <duration>",
      "budget of the whole command, every wait included (e.g. 90s, 10m)",
      "10m",
    );
  if (effect)
    cmd.option(
      "-y, --yes",
      "do not ask for confirmation (required with --json or when stdin is not a terminal)",
    );
  return cmd;
}

function parseTimeout(value: string): number {
  const text = /^\d+$/.test(value) ? Number(value) : value;
  try {
    const ms = durationMs(text);
    if (ms > 0) return ms;
  } catch {
    // reported below
  }
  throw new UsageError(`--timeout: not a duration: ${JSON.stringify(value)} (e.g. 90s, 10m, 1500)`);
}

function specPath(io: Io, positional: string | undefined, opts: NetOptions): string {
  if (
    positional !== undefined &&
    opts.file !== undefined &&
    resolve(io.cwd, positional) !== resolve(io.cwd, opts.file)
  )
    throw new UsageError("give the spec once: either as an argument or with -f");
  const file = opts.file ?? positional;
  if (file === undefined)
    throw new UsageError("no network spec given", {
      hint: "txbox net plan -f infra/lab-single-node.yaml",
    });
  return resolve(io.cwd, file);
}

/** Where ledgers live: `.txbox/net` beside txbox.yaml, else in the working directory. */
function stateDir(io: Io, loaded: LoadedConfig): string {
  return resolve(loaded.file === undefined ? io.cwd : dirname(loaded.file), ".txbox", "net");
}

interface NetSession {
  spec: NetSpec;
  target: Target;
  port: ProxmoxNetPort;
  signal: AbortSignal;
  timeoutMs: number;
  timedOut: () => boolean;
  close(): Promise<void>;
}

async function openNet(
  io: Io,
  positional: string | undefined,
  opts: NetOptions,
): Promise<NetSession> {
  const timeoutMs = parseTimeout(opts.timeout);
  const spec = loadNetSpec(specPath(io, positional, opts));
  const loaded = configFor(io, opts.config);
  const target = resolveTarget(io, loaded);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new TimeoutError(`txbox net did not finish within ${opts.timeout}`));
  }, timeoutMs);
  // Ctrl-C stops between steps; a second one kills (the apply is resumable either way).
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    io.stderr.write("\ninterrupted: stopping after the current step (Ctrl-C again to quit now)\n");
    controller.abort(new Error("interrupted"));
  };
  process.on("SIGINT", onSigint);
  const cleanup = () => {
    clearTimeout(timer);
    process.off("SIGINT", onSigint);
  };
  let client: ProxmoxClient;
  try {
    client = await ProxmoxClient.connect(target.connection, {
      onWarning: (m) => void io.stderr.write(`txbox: warning: ${m}\n`),
    });
  } catch (error) {
    cleanup();
    throw error;
  }
  const port = proxmoxNetPort(client, {
    stateDir: stateDir(io, loaded),
    // Read fresh: guests appear during an apply.
    sshEndpoint: (g) => target.sshEndpoint(g.vmid, { fresh: true }),
    useSpecAddress: target.source === "config",
    log: (m) => io.stderr.write(`note: ${m}\n`),
  });
  return {
    spec,
    target,
    port,
    signal: controller.signal,
    timeoutMs,
    timedOut: () => timedOut,
    async close() {
      cleanup();
      await port.close();
      await client.close();
    },
  };
}

function changes(p: Plan): number {
  return p.actions.length;
}

async function confirm(io: Io, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    const answer = await new Promise<string>((r) => rl.question(question, r));
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** Ask unless `--yes`; without a terminal there is nobody to ask, so `--yes` is required. */
async function approved(io: Io, opts: NetOptions, verb: string): Promise<boolean> {
  if (opts.yes) return true;
  if (!(io.stdin as NodeJS.ReadStream).isTTY || opts.json)
    throw new UsageError(
      `${verb} changes the cluster: pass --yes to confirm when not at a terminal`,
    );
  return confirm(io, `Do you want to ${verb} these changes? Only 'yes' is accepted: `);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** Probe the spec's isolation from inside its guests, over their SSH. */
function probe(s: NetSession): Promise<VerifyReport> {
  return verify(
    s.spec,
    {
      run: (g, script, timeoutMs) =>
        s.port.runInGuest({ node: g.node, vmid: g.vmid, type: g.type }, g.ssh, script, timeoutMs),
    },
    { signal: s.signal },
  );
}

/** Carry out `p` with one progress line per step on stderr, then print the result. */
async function run(
  io: Io,
  s: NetSession,
  p: Plan,
  opts: NetOptions,
  verb: "apply" | "destroy",
): Promise<number> {
  const started = Date.now();
  let stepStarted = started;
  const onProgress = (e: ProgressEvent) => {
    if (e.phase === "start") stepStarted = Date.now();
    else if (e.phase === "done")
      io.stderr.write(
        `${e.message} (${seconds(Date.now() - stepStarted)}, total ${seconds(Date.now() - started)})\n`,
      );
    else if (e.phase === "failed") io.stderr.write(`${e.message}\n`);
  };
  try {
    const result = await apply(p, s.port, {
      onProgress,
      signal: s.signal,
      sshTimeoutMs: s.timeoutMs,
      enableFirewall: opts.enableFirewall === true,
    });
    const sm = p.summary;
    let checked: VerifyReport | undefined;
    if (opts.verify === true && verb === "apply") {
      if (!opts.json) io.stderr.write("verifying isolation from inside the guests...\n");
      checked = await probe(s);
    }
    if (opts.json) {
      printJson(io, {
        ok: checked?.ok ?? true,
        name: p.name,
        applied: result.applied,
        changes: changes(p),
        summary: sm,
        elapsedMs: Date.now() - started,
        ...(checked === undefined ? {} : { verify: checked }),
      });
    } else if (changes(p) === 0) {
      println(io, "No changes. The cluster matches the spec.");
    } else {
      const done = verb === "destroy" ? "Destroy complete" : "Apply complete";
      println(
        io,
        `${done}: ${result.applied} steps in ${seconds(Date.now() - started)}; ${sm.create} created, ${sm.change} changed, ${sm.delete} deleted.`,
      );
    }
    if (checked !== undefined && !opts.json) println(io, formatVerify(checked));
    return checked === undefined || checked.ok ? EXIT.ok : EXIT.failure;
  } catch (error) {
    if (s.timedOut() && error instanceof ApplyAbortedError)
      throw new TimeoutError(`${verb} of "${p.name}" did not finish within ${opts.timeout}`, {
        details: error.details,
        hint: `raise --timeout; run ${verb} again to resume`,
        cause: error,
      });
    throw error;
  }
}

function registerNetPlan(net: Command, io: Io, outcome: Outcome): void {
  withNetCommon(net.command("plan"), false)
    .description(
      "show what apply would change, field by field; --out saves it for `net apply FILE`",
    )
    .option(
      "--out <file>",
      "save the plan; `txbox net apply FILE` then does exactly it, or refuses",
    )
    .option(
      "--detailed-exitcode",
      "exit 0 when the cluster matches, 2 when there are changes, 1 on an error or conflict",
    )
    .action(async (positional: string | undefined, opts: NetOptions) => {
      if (!opts.detailedExitcode) {
        outcome.code = await planAction(io, positional, opts);
        return;
      }
      try {
        outcome.code = await planAction(io, positional, opts);
      } catch (err) {
        // 2 means "changes" here: no error may exit with it
        reportError(io, err, opts.json === true);
        outcome.code = EXIT.failure;
      }
    });
}

function registerNetApply(net: Command, io: Io, outcome: Outcome): void {
  withNetCommon(net.command("apply"), true)
    .description(
      "make the cluster match the spec (or carry out a plan saved by `net plan --out`); idempotent and resumable",
    )
    .option(
      "--enable-firewall",
      "turn on the datacenter firewall and the nodes' nftables mode when they are off (else apply refuses)",
    )
    .option("--verify", "after applying, probe the isolation from inside the guests (net verify)")
    .action(async (positional: string | undefined, opts: NetOptions) => {
      const file = positional ?? opts.file;
      const text = file === undefined ? "" : readText(resolve(io.cwd, file));
      if (isSavedPlan(text)) {
        outcome.code = await applySaved(io, parseSavedPlan(text, resolve(io.cwd, file!)), opts);
        return;
      }
      const s = await openNet(io, positional, opts);
      try {
        const p = plan(s.spec, await observe(s.port, s.spec.name, { signal: s.signal }));
        if (!opts.json && (p.actions.length > 0 || p.conflicts.length > 0))
          io.stderr.write(`${formatPlan(p)}\n\n`);
        // Before asking: a plan the cluster would not enforce is refused, not confirmed.
        checkPrerequisites(p, opts.enableFirewall === true);
        if (
          p.actions.length > 0 &&
          p.conflicts.length === 0 &&
          !(await approved(io, opts, "apply"))
        ) {
          io.stderr.write("Apply cancelled.\n");
          outcome.code = EXIT.failure;
          return;
        }
        outcome.code = await run(io, s, p, opts, "apply");
      } finally {
        await s.close();
      }
    });
}

function registerNetVerify(net: Command, io: Io, outcome: Outcome): void {
  withNetCommon(net.command("verify"), false)
    .description(
      "probe isolation live from inside the guests over their SSH (own vnet reached, other vnets only where allowed, egress, management blocked); prints a matrix",
    )
    .action(async (positional: string | undefined, opts: NetOptions) => {
      const s = await openNet(io, positional, opts);
      try {
        const report = await probe(s);
        if (opts.json) printJson(io, report);
        else println(io, formatVerify(report));
        outcome.code = report.ok ? EXIT.ok : EXIT.failure;
      } finally {
        await s.close();
      }
    });
}

function registerNetDestroy(net: Command, io: Io, outcome: Outcome): void {
  withNetCommon(net.command("destroy"), true)
    .description(
      "remove everything this spec created (guests, firewall rules, SDN objects); others' objects stay",
    )
    .action(async (positional: string | undefined, opts: NetOptions) => {
      const s = await openNet(io, positional, opts);
      try {
        const p = planDestroy(
          s.spec.name,
          await observe(s.port, s.spec.name, { signal: s.signal }),
        );
        if (!opts.json && p.actions.length > 0) io.stderr.write(`${formatPlan(p)}\n\n`);
        if (p.actions.length > 0 && !(await approved(io, opts, "destroy"))) {
          io.stderr.write("Destroy cancelled.\n");
          outcome.code = EXIT.failure;
          return;
        }
        outcome.code = await run(io, s, p, opts, "destroy");
      } finally {
        await s.close();
      }
    });
}

export const registerNet: Register = (program, io, outcome) => {
  const net = program
    .command("net")
    .description(
      "declarative EVPN/VXLAN networks, firewalls and guests (plan, apply, verify, destroy)",
    );

  for (const register of [registerNetPlan, registerNetApply, registerNetVerify, registerNetDestroy])
    register(net, io, outcome);
};

/** A file's text, or "" when it cannot be read (the spec loader then names the problem). */
function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** `net plan`: print the plan, save it with `--out`; the exit status `--detailed-exitcode` asks for. */
async function planAction(
  io: Io,
  positional: string | undefined,
  opts: NetOptions,
): Promise<number> {
  const s = await openNet(io, positional, opts);
  try {
    const p = plan(s.spec, await observe(s.port, s.spec.name, { signal: s.signal }));
    if (opts.json) printJson(io, { ...p, changes: changes(p) });
    else println(io, formatPlan(p));
    if (opts.out !== undefined) {
      const specFile = specPath(io, positional, opts);
      const saved = savePlan(p, {
        target: s.target.connection.url,
        specFile,
        specText: readFileSync(specFile, "utf8"),
        now: new Date(),
      });
      const out = resolve(io.cwd, opts.out);
      writeFileSync(out, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
      io.stderr.write(
        `Saved the plan to ${out}: apply exactly it with \`txbox net apply ${opts.out}\`\n`,
      );
    }
    if (!opts.detailedExitcode) return EXIT.ok;
    if (p.conflicts.length > 0) return EXIT.failure;
    return changes(p) > 0 ? 2 : EXIT.ok;
  } finally {
    await s.close();
  }
}

/**
 * `net apply PLAN`: observe and plan again from the same spec; refuse unless that is the saved
 * plan (the cluster, the spec and the target unchanged); then apply without asking, as the plan
 * was reviewed when it was saved.
 */
async function applySaved(io: Io, saved: SavedPlan, opts: NetOptions): Promise<number> {
  const s = await openNet(io, saved.specFile, { ...opts, file: undefined });
  try {
    const fresh = plan(s.spec, await observe(s.port, s.spec.name, { signal: s.signal }));
    checkSavedPlan(saved, {
      target: s.target.connection.url,
      specText: readText(saved.specFile),
      fresh,
    });
    if (!opts.json && fresh.actions.length > 0) io.stderr.write(`${formatPlan(fresh)}\n\n`);
    checkPrerequisites(fresh, opts.enableFirewall === true);
    return await run(io, s, fresh, opts, "apply");
  } finally {
    await s.close();
  }
}
