/**
 * The real coding agents as the e2e test drives them: where scripts/bootstrap-agents installed
 * each, how it is pointed at the scripted model (the user's own model settings, which are not
 * txbox's business), and its documented headless command. txbox's part of their configuration is
 * written by `txbox init agent`, never here.
 */
import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Requirement } from "../../../../test/support/requirements.js";
import type { Protocol } from "./scripted-model-wire.js";

export type AgentName = "claude-code" | "codex" | "qwen-code" | "opencode";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

/** Where scripts/bootstrap-agents puts the agents (the same rule as the script). */
export function agentsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TXBOX_AGENTS_DIR) return env.TXBOX_AGENTS_DIR;
  if (process.getuid?.() === 0) return "/opt/txbox-agents";
  return join(env.XDG_CACHE_HOME ?? join(env.HOME ?? "/root", ".cache"), "txbox/agents");
}

/** The pinned `name@version` list of scripts/bootstrap-agents. */
export function pinnedAgents(): Map<string, string> {
  const text = readFileSync(join(REPO, "scripts/bootstrap-agents"), "utf8");
  const list = /AGENTS=\(([^)]*)\)/.exec(text)?.[1] ?? "";
  const pins = new Map<string, string>();
  for (const spec of list.split(/\s+/).filter(Boolean)) {
    const at = spec.lastIndexOf("@");
    pins.set(spec.slice(0, at), spec.slice(at + 1));
  }
  return pins;
}

/** What the run of one agent needs, given the scripted model's URL and a fresh HOME. */
export interface AgentRun {
  env: Record<string, string>;
  /** Commands the user runs once before the task (e.g. approving a project MCP server). */
  before: string[][];
  args: string[];
}

export interface CodingAgent {
  name: AgentName;
  pkg: string;
  bin: string;
  protocol: Protocol;
  /** The user's model settings for the scripted model, and the headless command. */
  prepare(model: string, home: string, project: string, task: string): AgentRun;
}

const MODEL = "txbox-scripted";
const KEY = "sk-txbox-scripted";

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** Telemetry, update checks and error reports off, per each agent's documented switches. */
const QUIET: Record<AgentName, Record<string, string>> = {
  "claude-code": {
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_TELEMETRY: "1",
    DISABLE_ERROR_REPORTING: "1",
  },
  codex: {},
  "qwen-code": {},
  opencode: {
    OPENCODE_DISABLE_AUTOUPDATE: "1",
    OPENCODE_DISABLE_MODELS_FETCH: "1",
    OPENCODE_DISABLE_DEFAULT_PLUGINS: "1",
    OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
    OPENCODE_DISABLE_SHARE: "1",
  },
};

export const CODING_AGENTS: readonly CodingAgent[] = [
  {
    // ANTHROPIC_BASE_URL + ANTHROPIC_API_KEY: Claude Code's documented custom endpoint (LLM
    // gateway); -p is its headless mode; an API key means no sign-in. Claude Code ignores a
    // project's permission rules until the user has trusted the folder (its trust dialog, kept in
    // ~/.claude.json as `hasTrustDialogAccepted`, which is what the dialog writes). In -p mode it
    // waits for MCP servers only a few seconds, however they are configured; a longer wait is read
    // from the process environment only (not from settings), so the headless run sets it.
    name: "claude-code",
    pkg: "@anthropic-ai/claude-code",
    bin: "claude",
    protocol: "anthropic",
    prepare: (model, home, project, task) => {
      const trusted = { projects: { [project]: { hasTrustDialogAccepted: true } } };
      write(join(home, ".claude.json"), JSON.stringify(trusted));
      return {
        env: {
          ANTHROPIC_BASE_URL: model,
          ANTHROPIC_API_KEY: KEY,
          CLAUDE_CODE_MCP_STARTUP_WAIT_MS: "120000",
          ...QUIET["claude-code"],
        },
        before: [],
        args: ["-p", task, "--output-format", "json"],
      };
    },
  },
  {
    // A custom model provider in $CODEX_HOME/config.toml (wire_api "responses"), the project
    // marked trusted so that Codex reads its .codex/config.toml; `codex exec` is headless.
    name: "codex",
    pkg: "@openai/codex",
    bin: "codex",
    protocol: "responses",
    prepare: (model, home, project, task) => {
      const codexHome = join(home, ".codex");
      write(
        join(codexHome, "config.toml"),
        [
          `model = "${MODEL}"`,
          `model_provider = "scripted"`,
          `check_for_update_on_startup = false`,
          `[model_providers.scripted]`,
          `name = "txbox scripted model"`,
          `base_url = "${model}/v1"`,
          `wire_api = "responses"`,
          `env_key = "SCRIPTED_MODEL_KEY"`,
          `[projects."${project}"]`,
          `trust_level = "trusted"`,
          `[analytics]`,
          `enabled = false`,
          "",
        ].join("\n"),
      );
      return {
        env: { CODEX_HOME: codexHome, SCRIPTED_MODEL_KEY: KEY },
        before: [],
        args: ["exec", "--skip-git-repo-check", task],
      };
    },
  },
  {
    // OPENAI_BASE_URL/OPENAI_API_KEY/OPENAI_MODEL with --auth-type openai: Qwen Code's
    // documented OpenAI-compatible endpoint; -p is headless. A project MCP server needs the
    // user's one-time `qwen mcp approve`.
    name: "qwen-code",
    pkg: "@qwen-code/qwen-code",
    bin: "qwen",
    protocol: "chat",
    prepare: (model, home, _project, task) => {
      write(
        join(home, ".qwen", "settings.json"),
        JSON.stringify({
          privacy: { usageStatisticsEnabled: false },
          telemetry: { enabled: false },
          general: { disableAutoUpdate: true, disableUpdateNag: true },
        }),
      );
      return {
        env: { OPENAI_BASE_URL: `${model}/v1`, OPENAI_API_KEY: KEY, OPENAI_MODEL: MODEL },
        before: [["mcp", "approve", "txbox"]],
        args: ["--auth-type", "openai", "-p", task],
      };
    },
  },
  {
    // A custom provider through @ai-sdk/openai-compatible in the user's opencode.json;
    // `opencode run` is headless.
    name: "opencode",
    pkg: "opencode-ai",
    bin: "opencode",
    protocol: "chat",
    prepare: (model, home, _project, task) => {
      const provider = {
        npm: "@ai-sdk/openai-compatible",
        name: "txbox scripted model",
        options: { baseURL: `${model}/v1`, apiKey: KEY },
        models: { [MODEL]: { name: MODEL, tool_call: true } },
      };
      write(
        join(home, ".config", "opencode", "opencode.json"),
        JSON.stringify({
          provider: { scripted: provider },
          model: `scripted/${MODEL}`,
          autoupdate: false,
          share: "disabled",
        }),
      );
      return {
        env: {
          XDG_CONFIG_HOME: join(home, ".config"),
          XDG_DATA_HOME: join(home, ".local", "share"),
          XDG_CACHE_HOME: join(home, ".cache"),
          XDG_STATE_HOME: join(home, ".local", "state"),
          ...QUIET.opencode,
        },
        before: [],
        args: ["run", task],
      };
    },
  },
];

/** The agent's executable, as the bootstrap installed it. */
export function agentBin(agent: CodingAgent, env: NodeJS.ProcessEnv = process.env): string {
  return join(agentsDir(env), "node_modules", ".bin", agent.bin);
}

/** The agent installed at its pinned version, or what is missing and how to get it. */
export function installedAgent(agent: CodingAgent, env = process.env): Requirement {
  const how = "(TXBOX_AGENTS=1 scripts/bootstrap, or scripts/bootstrap-agents)";
  const want = pinnedAgents().get(agent.pkg);
  try {
    accessSync(agentBin(agent, env), constants.X_OK);
    const pkg = join(agentsDir(env), "node_modules", agent.pkg, "package.json");
    const { version } = JSON.parse(readFileSync(pkg, "utf8")) as { version: string };
    if (version !== want) return { missing: `${agent.pkg}@${want} (found ${version}) ${how}` };
    return { missing: undefined };
  } catch {
    return { missing: `${agent.pkg}@${want} in ${agentsDir(env)} ${how}` };
  }
}
