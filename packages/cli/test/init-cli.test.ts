import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "./support-io.js";

const fresh = () => mkdtempSync(join(tmpdir(), "txbox-init-"));

describe("txbox init agent", () => {
  test("--dry-run writes nothing; the real run writes; a second run changes nothing", async () => {
    const dir = fresh();
    const dry = await runCli(["init", "agent", "claude-code", "--guest", "101", "--dry-run"], {
      cwd: dir,
    });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/would set up the project/);
    expect(dry.stdout).toMatch(/\+ permissions\.deny \+= "Bash"/);
    expect(existsSync(join(dir, ".claude"))).toBe(false);

    const real = await runCli(["init", "agent", "claude-code", "--guest", "101", "--json"], {
      cwd: dir,
    });
    const plan = JSON.parse(real.stdout) as { files: { path: string; action: string }[] };
    expect(plan.files.map((f) => [f.path, f.action])).toEqual([
      [join(dir, ".mcp.json"), "create"],
      [join(dir, ".claude/settings.json"), "create"],
    ]);
    const settings = JSON.parse(readFileSync(join(dir, ".claude/settings.json"), "utf8"));
    expect(settings.permissions.deny).toEqual(["Bash"]);

    const again = await runCli(["init", "agent", "claude-code", "--guest", "101", "--json"], {
      cwd: dir,
    });
    const second = JSON.parse(again.stdout) as { files: { action: string }[] };
    expect(second.files.map((f) => f.action)).toEqual(["unchanged", "unchanged"]);
  });

  test("a contradicting user setting is refused with E_AGENT_CONFLICT and nothing written; --force overwrites it and keeps a backup", async () => {
    const dir = fresh();
    mkdirSync(join(dir, ".codex"));
    const file = join(dir, ".codex/config.toml");
    writeFileSync(file, "[features]\nshell_tool = true\n");
    const refused = await runCli(["init", "agent", "codex", "--guest", "101", "--json"], {
      cwd: dir,
    });
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ code: "E_AGENT_CONFLICT" });
    expect(readFileSync(file, "utf8")).toBe("[features]\nshell_tool = true\n");
    const forced = await runCli(["init", "agent", "codex", "--guest", "101", "--force"], {
      cwd: dir,
    });
    expect(forced.code).toBe(0);
    expect(readFileSync(file, "utf8")).toMatch(/shell_tool = false/);
    expect(readFileSync(`${file}.txbox-backup`, "utf8")).toBe("[features]\nshell_tool = true\n");
  });

  test("bad input is a usage error", async () => {
    const dir = fresh();
    for (const args of [
      ["init", "agent", "vim", "--guest", "1"],
      ["init", "agent", "codex"],
      ["init", "agent", "codex", "--guest", "1", "--transact", "maybe"],
    ])
      expect((await runCli(args, { cwd: dir })).code).toBe(2);
  });
});
