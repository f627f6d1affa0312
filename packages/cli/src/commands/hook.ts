import { AGENT_HOOKS, AGENTS, isAgentName, type TransactMode } from "@txbox/agent";
import { errorMessage, UsageError } from "@txbox/core";
import type { Register } from "../main.js";
import type { Io } from "../output.js";
import { gate, policyContext } from "@txbox/runtime/gate";
import { hostOf } from "../session.js";
import { parseGuest } from "./common-tx.js";

/**
 * The documented "blocking error" exit of Claude Code, Qwen Code and Codex hooks: the call is
 * refused, stderr is the reason (txbox's opencode plugin refuses on any exit but 0).
 */
const BLOCK = 2;
const STDIN_TIMEOUT_MS = 10_000;

async function readAll(io: Io, timeoutMs: number): Promise<string> {
  const chunks: Buffer[] = [];
  let timer: NodeJS.Timeout | undefined;
  const read = (async () => {
    for await (const c of io.stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
    return Buffer.concat(chunks).toString("utf8");
  })();
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no hook input on stdin within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface HookOptions {
  transact: string;
  config?: string;
  policy?: string[];
  guest?: string;
}

export const registerHook: Register = (program, io, outcome) => {
  program
    .command("hook")
    .description(
      "answer a coding agent's pre-tool hook with the txbox gate (Claude Code, Qwen Code, Codex: " +
        "PreToolUse JSON on stdin, the documented decision JSON on stdout; opencode: the JSON of " +
        "txbox's plugin). Anything txbox cannot read is refused (exit 2), never let through",
    )
    .argument("<agent>", `the agent whose hook format to speak: ${AGENTS.join(", ")}`)
    .option(
      "--transact <mode>",
      "commands the gate would transact: 'redirect' refuses them and points the agent at txbox's " +
        "run_command MCP tool; 'allow' lets them through (gate only)",
      "redirect",
    )
    .option("--config <file>", "txbox.yaml to use")
    .option("--policy <file>", "an extra rule pack (repeatable)", (v, p: string[] = []) => [
      ...p,
      v,
    ])
    .option("--guest <vmid>", "add the packs txbox.yaml lists for this guest (guests[].policy)")
    .option("--json", "accepted for uniformity: the answer is always the agent's JSON")
    .action(async (agent: string, opts: HookOptions) => {
      if (!isAgentName(agent))
        throw new UsageError(`hook: unknown agent ${agent} (known: ${AGENTS.join(", ")})`);
      const hook = AGENT_HOOKS[agent];
      if (opts.transact !== "redirect" && opts.transact !== "allow")
        throw new UsageError(`--transact: expected redirect or allow, got ${opts.transact}`);
      let input;
      try {
        const raw: unknown = JSON.parse(await readAll(io, STDIN_TIMEOUT_MS));
        input = hook.input.parse(raw);
      } catch (cause) {
        io.stderr.write(`txbox hook: refused: unreadable hook input (${errorMessage(cause)})\n`);
        outcome.code = BLOCK;
        return;
      }
      const host = hostOf(io);
      const loaded = host.config(io, opts.config);
      const policy = host.policies(loaded, opts.policy)(parseGuest(opts.guest)?.vmid);
      const ctx = policyContext(loaded);
      const result = hook.answer(
        input,
        (cmd) => gate(policy, cmd, ctx),
        opts.transact as TransactMode,
      );
      io.stdout.write(result.stdout);
      outcome.code = result.exitCode;
    });
};
