import { parse as parseToml } from "smol-toml";
import { planInit, type InitRequest, type PlannedFile } from "../src/index.js";

/** Parsed JSON or TOML, read by key in assertions: a wrong key fails the assertion, so the
 * type checker has nothing to add here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Tree = any;

const base: InitRequest = {
  agent: "claude-code",
  scope: "project",
  dir: "/p",
  home: "/home/u",
  env: {},
  txbox: ["txbox"],
  guest: "101",
  transact: "redirect",
  force: false,
};

/** Plan over an in-memory file tree; returns the plan and the tree after writing it. */
function run(req: Partial<InitRequest>, files: Record<string, string> = {}) {
  const plan = planInit({ ...base, ...req }, (p) => files[p]);
  const after = { ...files };
  for (const f of plan.files) after[f.path] = f.content;
  return { plan, after, file: (p: string) => plan.files.find((f) => f.path === p) as PlannedFile };
}

const json = (text: string | undefined) => JSON.parse(text!) as Tree;

describe.each(["claude-code", "codex", "qwen-code", "opencode"] as const)("%s", (agent) => {
  test("creates its files, then a second run changes nothing (idempotent)", () => {
    const first = run({ agent });
    expect(first.plan.files.length).toBeGreaterThan(0);
    expect(first.plan.files.every((f) => f.action === "create" && f.conflicts.length === 0)).toBe(
      true,
    );
    const second = run({ agent }, first.after);
    expect(second.plan.files.map((f) => f.action)).toEqual(first.plan.files.map(() => "unchanged"));
    expect(second.after).toEqual(first.after);
  });

  test("a new guest replaces txbox's own entries instead of adding a second hook", () => {
    const first = run({ agent });
    const again = run({ agent, guest: "202" }, first.after);
    expect(again.plan.files.every((f) => f.conflicts.length === 0)).toBe(true);
    const text = Object.values(again.after).join("\n");
    expect(text).toContain("202");
    expect(text).not.toMatch(/--guest["', ]+101/);
  });

  test("files go under the project directory, never the home directory", () => {
    for (const f of run({ agent }).plan.files) expect(f.path.startsWith("/p/")).toBe(true);
  });
});

describe("claude-code", () => {
  test("merges into existing settings and keeps the user's own", () => {
    const settings = {
      model: "opus",
      permissions: { allow: ["Read", "mcp__txbox__run_command"], deny: ["WebFetch"] },
      hooks: { PreToolUse: [{ matcher: "Write", hooks: [{ type: "command", command: "lint" }] }] },
    };
    const { after, file } = run(
      { config: "/etc/txbox.yaml", transact: "allow" },
      {
        "/p/.claude/settings.json": JSON.stringify(settings, null, 4),
      },
    );
    const s = json(after["/p/.claude/settings.json"]);
    expect(s.model).toBe("opus");
    expect(s.permissions.deny).toEqual(["WebFetch", "Bash"]);
    expect(s.permissions.allow).toEqual([
      "Read",
      "mcp__txbox__run_command",
      "mcp__txbox__list_transactions",
      "mcp__txbox__rollback",
    ]);
    expect(s.enabledMcpjsonServers).toEqual(["txbox"]);
    expect(s.env).toEqual({ MCP_CONNECTION_NONBLOCKING: "false" });
    expect(s.hooks.PreToolUse).toEqual([
      settings.hooks.PreToolUse[0],
      {
        matcher: "Bash",
        hooks: [
          {
            type: "command",
            command: "txbox hook claude-code --guest 101 --config /etc/txbox.yaml --transact allow",
            timeout: 30,
          },
        ],
      },
    ]);
    // The file's own indentation is kept.
    expect(after["/p/.claude/settings.json"]).toMatch(/^\{\n {4}"model"/);
    expect(file("/p/.claude/settings.json").action).toBe("update");
    expect(json(after["/p/.mcp.json"]).mcpServers.txbox).toEqual({
      type: "stdio",
      command: "txbox",
      args: ["mcp", "--guest", "101", "--config", "/etc/txbox.yaml"],
    });
  });

  test("another server named txbox is a conflict; --force replaces it", () => {
    const mcp = JSON.stringify({
      mcpServers: { txbox: { command: "other", args: ["x"] }, gh: {} },
    });
    const { file } = run({}, { "/p/.mcp.json": mcp });
    expect(file("/p/.mcp.json").conflicts.map((c) => c.key)).toContain("mcpServers.txbox.command");
    const forced = run({ force: true }, { "/p/.mcp.json": mcp });
    const s = json(forced.after["/p/.mcp.json"]);
    expect(s.mcpServers.txbox.command).toBe("txbox");
    expect(s.mcpServers.gh).toEqual({});
  });

  test("global writes ~/.claude/settings.json and ~/.claude.json, honouring CLAUDE_CONFIG_DIR", () => {
    expect(run({ scope: "global" }).plan.files.map((f) => f.path)).toEqual([
      "/home/u/.claude.json",
      "/home/u/.claude/settings.json",
    ]);
    const moved = run({ scope: "global", env: { CLAUDE_CONFIG_DIR: "/c" } });
    expect(moved.plan.files.map((f) => f.path)).toEqual(["/c/.claude.json", "/c/settings.json"]);
    expect(json(moved.after["/c/settings.json"]).enabledMcpjsonServers).toBeUndefined();
  });

  test("a file that is not JSON is refused with E_AGENT_CONFIG, never rewritten", () => {
    expect(() => run({}, { "/p/.mcp.json": "{ // comment\n}" })).toThrow(
      expect.objectContaining({ code: "E_AGENT_CONFIG" }),
    );
  });
});

describe("codex", () => {
  const path = "/p/.codex/config.toml";

  test("turns the shell tool off, registers the server and the hook, keeps the rest", () => {
    const existing =
      'model = "o4"\n\n[features]\nweb_search = true\n\n[mcp_servers.gh]\ncommand = "gh-mcp"\n';
    const { after, plan } = run({ agent: "codex" }, { [path]: existing });
    const t = parseToml(after[path]!) as Tree;
    expect(t.model).toBe("o4");
    expect(t.features).toEqual({ web_search: true, shell_tool: false });
    expect(t.mcp_servers.gh).toEqual({ command: "gh-mcp" });
    expect(t.mcp_servers.txbox).toEqual({
      command: "txbox",
      args: ["mcp", "--guest", "101"],
      tool_timeout_sec: 3600,
      default_tools_approval_mode: "approve",
      required: true,
    });
    expect(t.hooks.PreToolUse).toEqual([
      {
        matcher: "Bash",
        hooks: [{ type: "command", command: "txbox hook codex --guest 101", timeout: 30 }],
      },
    ]);
    expect(plan.notes.join(" ")).toMatch(/codex exec --trust/);
  });

  test("shell_tool = true set by the user, and comments a rewrite would drop, need --force", () => {
    const existing = "# mine\n[features]\nshell_tool = true\n";
    const keys = run({ agent: "codex" }, { [path]: existing })
      .file(path)
      .conflicts.map((c) => c.key);
    expect(keys).toEqual(["features.shell_tool", "(comments)"]);
    const forced = run({ agent: "codex", force: true }, { [path]: existing });
    expect((parseToml(forced.after[path]!) as Tree).features.shell_tool).toBe(false);
  });

  test("global honours CODEX_HOME", () => {
    const paths = run({ agent: "codex", scope: "global", env: { CODEX_HOME: "/ch" } }).plan.files;
    expect(paths.map((f) => f.path)).toEqual(["/ch/config.toml"]);
  });
});

describe("qwen-code", () => {
  test("denies run_shell_command, registers the server and the PreToolUse hook", () => {
    const path = "/p/.qwen/settings.json";
    const { after } = run({ agent: "qwen-code" }, { [path]: '{"ui":{"theme":"dark"}}' });
    const s = json(after[path]);
    expect(s.ui).toEqual({ theme: "dark" });
    expect(s.permissions.deny).toEqual(["run_shell_command"]);
    expect(s.mcpServers.txbox).toMatchObject({
      command: "txbox",
      args: ["mcp", "--guest", "101"],
      timeout: 3_600_000,
    });
    expect(s.hooks.PreToolUse[0]).toMatchObject({
      matcher: "run_shell_command",
      hooks: [{ type: "command", command: "txbox hook qwen-code --guest 101", timeout: 30 }],
    });
  });
});

describe("opencode", () => {
  test("denies bash, allows txbox's tools, registers the server; a bash allow of the user's needs --force", () => {
    const path = "/p/opencode.json";
    const existing = JSON.stringify({ model: "x/y", permission: { bash: "allow", edit: "ask" } });
    const { file } = run({ agent: "opencode" }, { [path]: existing });
    expect(file(path).conflicts.map((c) => c.key)).toEqual(["permission.bash"]);
    const { after } = run({ agent: "opencode", force: true }, { [path]: existing });
    const s = json(after[path]);
    expect(s).toEqual({
      model: "x/y",
      permission: { bash: "deny", edit: "ask", "txbox_*": "allow" },
      mcp: {
        txbox: {
          type: "local",
          command: ["txbox", "mcp", "--guest", "101"],
          enabled: true,
          timeout: 3_600_000,
        },
      },
    });
  });

  test("the plugin file of someone else is not replaced without --force", () => {
    const plugin = "/p/.opencode/plugins/txbox-gate.js";
    const { file } = run({ agent: "opencode" }, { [plugin]: "export const Mine = 1;\n" });
    expect(file(plugin).conflicts).toHaveLength(1);
  });
});
