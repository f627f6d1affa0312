import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileDescribed, describedEffects, describedIn } from "../src/knowledge/described.js";
import { explain, loadPolicy } from "../src/policy.js";

/**
 * Described effects (issue 10, item 2): generated from the descriptions in completion files and
 * manual pages by lexical rules written once for every program, never edited, and read by the gate
 * only where no hand-written entry for the program speaks.
 */
const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, "../scripts/gen-described-effects.mjs");
const committed = join(here, "../knowledge/described-effects.generated.json");

interface Doc {
  generated_by: string;
  inputs_sha256: string;
  dry_run: Record<string, string[]>;
  plain: Record<string, string[]>;
  inert: Record<string, string[]>;
  programs: Record<
    string,
    { words?: string[]; flags?: string[]; program?: true; after?: string[]; rule: string }[]
  >;
}

/** Run the generator on sources written into a temporary directory. */
function generate(files: Record<string, string>, programs: string[]): Doc {
  const dir = mkdtempSync(join(tmpdir(), "described-"));
  try {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    const tldr = programs.map((page) => JSON.stringify({ section: "common", page })).join("\n");
    writeFileSync(join(dir, "tldr.jsonl"), tldr + "\n");
    const out = join(dir, "out.json");
    const args = ["tldr.jsonl", "fish", "out.json", "zsh", "man"].map((f) => join(dir, f));
    execFileSync(process.execPath, [script, ...args], { stdio: "pipe" });
    return JSON.parse(readFileSync(out, "utf8")) as Doc;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the described-effects generator", () => {
  const doc = generate(
    {
      "fish/demo.fish": [
        "complete -c demo -n __fish_use_subcommand -a upload -d 'Upload a package to the registry'",
        "complete -c demo -n __fish_use_subcommand -a download -d 'Download a package'",
        "complete -c demo -n '__fish_seen_subcommand_from cluster' -a delete -d 'Delete the cluster'",
        "complete -c demo -n '__fish_seen_subcommand_from cluster' -a list -d 'List clusters'",
        "complete -c demo -l no-upload -d 'Do not upload the results'",
        "complete -c demo -n 'string match -q x' -a gone -d 'Delete the cluster'",
        "complete -c demo -s T -d 'Print each token on its own line'",
        "complete -c demo -n '__fish_seen_subcommand_from $x' -l dry-run -d 'Check without uploading'",
      ].join("\n"),
      "zsh/Unix/_demo2": [
        "#compdef demo2",
        "_demo2_commands() {",
        "  local -a cmds=(",
        "    'token:print the auth token'",
        "    'repl:start an interactive repl'",
        "    'fmt:format the sources'",
        "  )",
        "}",
        "_arguments \\",
        "  '(-p --poweroff)'{-p,--poweroff}'[power off the system]' \\",
        "  '-v[be verbose]'",
      ].join("\n"),
      "man/man8/demo3.8": [
        ".TH DEMO3 8",
        ".SH OPTIONS",
        ".TP",
        ".B \\-F, \\-\\-flush",
        "Delete all rules in the chain.",
        ".TP",
        ".B \\-L",
        "List all rules.",
        ".SH COMMANDS",
        ".PP",
        "\\fBshutdown\\fR",
        ".RS 4",
        "Shut down and power-off the system.",
        ".RE",
      ].join("\n"),
    },
    ["demo", "demo2", "demo3"],
  );
  const rules = (p: string) =>
    (doc.programs[p] ?? []).map(
      (e) =>
        `${(e.words ?? e.flags)!.join(",")}${e.after ? `@${e.after.join(",")}` : ""} ${e.rule}`,
    );

  it("reads subcommands and their place from fish conditions, never from an unknown one", () => {
    expect(rules("demo")).toEqual(["delete@cluster remote.destroy", "upload send.upload"]);
  });

  it("names no effect for a negated description or a lexer's token", () => {
    expect(rules("demo").join(" ")).not.toMatch(/no-upload|-T/);
  });

  it("keeps the options described as a dry run, wherever they apply", () => {
    expect(doc.dry_run["demo"]).toEqual(["--dry-run"]);
  });

  it("reads zsh subcommand lists and _arguments specs", () => {
    expect(rules("demo2")).toEqual([
      "--poweroff,-p availability.power",
      "repl exec.shell",
      "token cred.print",
    ]);
  });

  it("reads man(7) tagged paragraphs and docbook command lists", () => {
    expect(rules("demo3")).toEqual(["--flush,-F lockout.flush", "shutdown availability.power"]);
  });

  const fish = "/usr/share/fish/completions";
  const tldr = ["../../../../shared", "../../../../../shared"]
    .map((r) => join(here, r, "corpora/tldr-examples.jsonl"))
    .find((f) => existsSync(f));
  const data = JSON.parse(readFileSync(committed, "utf8")) as Doc;
  it("is what the committed file says it is", () => {
    expect(data.generated_by).toBe("packages/policy/scripts/gen-described-effects.mjs");
    expect(data.programs["asciinema"]).toContainEqual(
      expect.objectContaining({ words: ["upload"], rule: "send.upload" }),
    );
  });
  (tldr !== undefined && existsSync(fish) ? it : it.skip)(
    "regenerates to the committed file when it reads the same sources",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "described-"));
      try {
        const out = join(dir, "d.json");
        execFileSync(process.execPath, [script, tldr!, fish, out], { stdio: "pipe" });
        const again = JSON.parse(readFileSync(out, "utf8")) as Doc;
        // Manual pages differ between machines (installed packages); same inputs, same output.
        if (again.inputs_sha256 === data.inputs_sha256) expect(again).toEqual(data);
        else expect(Object.keys(again.programs).length).toBeGreaterThan(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe("the generator reads local preparation and modifiers as no effect", () => {
  const doc = generate(
    {
      "fish/pub.fish": [
        "complete -c pub -n __fish_use_subcommand -a publish -d 'Publish a project for deployment'",
        "complete -c pub -n __fish_use_subcommand -a push -d 'Push packages to the registry'",
        "complete -c pub -n '__fish_seen_subcommand_from publish' -l self-contained -d 'Publish the runtime with your application'",
        "complete -c pub -s r -l recursive -d 'Upload/download/delete recursively'",
        "complete -c pub -n __fish_use_subcommand -a upload -d 'Upload files into the output directory'",
      ].join("\n"),
    },
    ["pub"],
  );
  const rules = (doc.programs["pub"] ?? []).map((e) => (e.words ?? e.flags)!.join(","));

  it("a subcommand described as preparing its result for deployment or into a directory is plain", () => {
    expect(rules).not.toContain("publish");
    expect(rules).not.toContain("upload");
    expect(doc.plain["pub"]).toEqual(["publish", "upload"]);
  });

  it("an option described with the bare verb or with verb alternatives names no effect", () => {
    expect(rules).not.toContain("--self-contained");
    expect(rules).not.toContain("--recursive,-r");
  });

  it("a description naming the registry still reads as a publication", () => {
    expect(rules).toEqual(["push"]);
  });
});

/** A manual page: its NAME line and options as tagged paragraphs. */
const page = (name: string, purpose: string, options: [string, string][]) =>
  [
    `.TH ${name.toUpperCase()} 8`,
    ".SH NAME",
    `${name} \\- ${purpose}`,
    ".SH OPTIONS",
    ...options.flatMap(([tag, d]) => [".TP", `.B ${tag}`, d]),
  ].join("\n");

describe("the generator reads what a program is for from its manual page's NAME line", () => {
  const doc = generate(
    {
      "man/man8/offx.8": page("offx", "Halt, power\\-off or reboot the machine", [
        ["\\-c", "Cancel a pending shutdown."],
        ["\\-v, \\-\\-verbose", "Print messages about what the program is doing."],
        ["\\-\\-reboot", "Reboot the machine."],
      ]),
      "man/man8/acctx.8": page("acctx", "create a new user or update default user information", []),
      "man/man8/grpx.8": page("grpx", "create a new group", []),
      "man/man8/modx.8": page("modx", "Show the status of modules in the Linux Kernel", []),
      "man/man1/svcx.1": [
        ".TH SVCX 1",
        ".SH NAME",
        "svcx \\- Control the service manager",
        ".SH COMMANDS",
        ...(
          [
            ["enable", "Enable one or more units or unit instances."],
            ["isolate", "Start the unit and its dependencies and stop all others."],
            ["start", "Start (activate) one or more units."],
            ["link", "Link a unit file that is not in the unit file search path."],
            ["mask", "Do not enable one or more units."],
          ] as const
        ).flatMap(([w, d]) => [".PP", `\\fB${w}\\fR`, ".RS 4", d, ".RE"]),
        ".SH OPTIONS",
        ".TP",
        ".B \\-fsplit\\-lto\\-unit",
        "Enable splitting the LTO unit.",
      ].join("\n"),
      "man/man8/fwx.8": page("fwx", "program for managing a netfilter firewall", [
        ["\\fBdisable\\fR", "unloads firewall and disables firewall on boot"],
      ]),
      "man/man8/ifx.8": page("ifx", "configure a network interface", [
        ["down", "This flag causes the driver for this interface to be shut down."],
        ["up", "This flag causes the interface to be activated."],
      ]),
      "man/man1/shx.1": page("shx", "change login shell", [
        ["\\-l, \\-\\-list\\-shells", "Print the list of shells and exit."],
        ["\\-\\-showconfig", "Dump out the effective configuration."],
      ]),
    },
    ["offx", "acctx", "grpx", "modx", "shx", "svcx", "fwx", "ifx"],
  );
  const purpose = (p: string) => doc.programs[p]?.find((e) => e.program === true)?.rule;

  it("names the program's effect when its purpose is one the rules read", () => {
    expect(purpose("offx")).toBe("purpose.power");
    expect(purpose("acctx")).toBe("purpose.account-create");
    expect(purpose("shx")).toBe("purpose.login-shell");
  });

  it("reads units enabled as persistence and a target isolated as the guest's availability", () => {
    const rules = (doc.programs["svcx"] ?? []).map(
      (e) => `${(e.words ?? e.flags)!.join()} ${e.rule}`,
    );
    // a hedge word later in the sentence does not undo a leading verb; "Do not" does
    expect(rules).toEqual([
      "enable persist.unit",
      "isolate availability.stop-all",
      "link persist.unit",
    ]);
  });

  it("reads a word among the options that shuts the interface down as a lockout, where options stand", () => {
    expect(doc.programs["ifx"]).toEqual([
      { words: ["down"], among_options: true, effect: "lockout", rule: "lockout.down" },
    ]);
  });

  it("reads a bare word tagged among the options as a word where options stand", () => {
    expect(doc.programs["fwx"]).toEqual([
      { words: ["disable"], among_options: true, effect: "tamper", rule: "tamper.controls" },
    ]);
  });

  it("names none for a purpose whose effect depends on the operands or only shows", () => {
    expect(purpose("grpx")).toBeUndefined();
    expect(purpose("modx")).toBeUndefined();
  });

  it("keeps the options that only show or cancel, not those that narrate the work", () => {
    // `-l`/`--list` list unless the program documents them as something else
    expect(doc.inert["offx"]).toEqual(["--help", "--list", "--version", "-c", "-l"]);
    expect(doc.inert["shx"]).toEqual([
      "--help",
      "--list",
      "--list-shells",
      "--showconfig",
      "--version",
      "-l",
    ]);
  });
});

describe("the generator reads a completion file's header and the shared helper it calls", () => {
  const doc = generate(
    {
      // no manual page: the header line says what the program is for
      "fish/sniffx.fish":
        "# sniffx - Dump and analyze network traffic\n\n__fish_complete_netx sniffx\n",
      // the helper completes `-c $prog` for every program that calls it
      "functions/__fish_complete_netx.fish": [
        "function __fish_complete_netx",
        "    set -l prog $argv[1]",
        "    complete -c $prog -s i -d 'Set the name of the network interface' -x",
        "    complete -c $prog -s r -l read-file -d 'Read packet data from the given file' -r",
        "    complete -c $prog -s u -d 'Upload file to URL' -r",
        "end",
      ].join("\n"),
      // a header naming another program, or no header, says nothing
      "fish/otherx.fish":
        "# sniffx - Dump and analyze network traffic\ncomplete -c otherx -s v -d 'Verbose'\n",
      "fish/plainx.fish": "complete -c plainx -s v -d 'Verbose'\n",
    },
    ["sniffx", "otherx", "plainx"],
  );
  it("reads the header line as the program's purpose when it names the program", () => {
    expect(doc.programs.sniffx?.find((e) => e.program === true)?.rule).toBe("purpose.capture");
    expect(doc.programs.otherx).toBeUndefined();
    expect(doc.programs.plainx).toBeUndefined();
  });
  it("reads the helper's lines as the program's: its inert options and described effects", () => {
    expect(doc.inert.sniffx).toEqual(expect.arrayContaining(["-r", "--read-file"]));
    expect(doc.inert.sniffx).not.toContain("-i");
    expect(doc.programs.sniffx).toContainEqual({
      flags: ["-u"],
      effect: "send",
      rule: "send.upload",
    });
  });
});

describe("the generator reads a capture tool by its option that keeps interfaces out of promiscuous mode", () => {
  const doc = generate(
    {
      "man/man8/netgrepx.8": page("netgrepx", "network grep", [
        ["-p", "Don't put the interface into promiscuous mode."],
        ["-I pcap_dump", "Read packet stream from pcap format file pcap_dump."],
        ["-d dev", "Use this option to force netgrepx to listen on interface dev."],
      ]),
      "man/man8/greppx.8": page("greppx", "print lines that match patterns", [
        ["-i", "Ignore case distinctions in patterns and input data."],
      ]),
    },
    ["netgrepx", "greppx"],
  );
  it("names the capture purpose, inert with the option that reads a saved capture", () => {
    expect(doc.programs.netgrepx).toEqual([
      { program: true, effect: "read-secret", rule: "purpose.capture" },
    ]);
    expect(doc.inert.netgrepx).toContain("-I");
    expect(doc.inert.netgrepx).not.toContain("-d");
    expect(doc.programs.greppx).toBeUndefined();
  });
});

describe("the generator reads asciidoctor pages and a runner given away by its command option", () => {
  // asciidoctor's man output (util-linux): `.sp` / tag line / `.RS 4` / description / `.RE`
  const adoc = (name: string, purpose: string, options: [string, string][]) =>
    [
      `.TH ${name.toUpperCase()} 1`,
      ".SH NAME",
      `${name} \\- ${purpose}`,
      ".SH OPTIONS",
      ...options.flatMap(([tag, d]) => [".sp", tag, ".RS 4", d, ".RE"]),
    ].join("\n");
  const doc = generate(
    {
      "man/man1/typescx.1": adoc("typescx", "make typescript of terminal session", [
        [
          "\\fB\\-c\\fP, \\fB\\-\\-command\\fP \\fIcommand\\fP",
          "Run the command rather than an interactive shell.",
        ],
        ["\\fB\\-V\\fP, \\fB\\-\\-version\\fP", "Print version and exit."],
      ]),
      "man/man1/asx.1": adoc("asx", "run a command with substitute user and group ID", [
        ["\\fB\\-l\\fP, \\fB\\-\\-login\\fP", "Start the shell as a login shell."],
      ]),
    },
    ["typescx", "asx"],
  );
  it("reads the tagged options of an asciidoctor page", () => {
    expect(doc.inert.typescx).toContain("-V");
  });
  it("names a runner whose command option runs a command rather than a shell", () => {
    expect(doc.programs.typescx).toEqual([
      { program: true, runner: true, effect: "exec-untrusted", rule: "purpose.shell-runner" },
    ]);
  });
  it("leaves a runner's login-shell option to the runner's own test (a command given runs no shell)", () => {
    expect(doc.programs.asx).toEqual([
      { program: true, runner: true, effect: "exec-untrusted", rule: "purpose.shell-runner" },
    ]);
  });
});

describe("program-independent verbs leave a program's plain word to its documentation", () => {
  const policy = loadPolicy({});
  const data = JSON.parse(readFileSync(committed, "utf8")) as Doc;
  it("every plain word of the committed file is read as no verb", () => {
    const pairs = Object.entries(data.plain).flatMap(([p, ws]) => ws.map((w) => `${p} ${w}`));
    expect(pairs.length).toBeGreaterThan(0);
    for (const cmd of pairs)
      expect([cmd, explain(policy, cmd).effects.filter((f) => f.id.startsWith("verb."))]).toEqual([
        cmd,
        [],
      ]);
  });
});

describe("the gate reads described effects below hand-written knowledge", () => {
  const policy = loadPolicy({});
  const ex = (cmd: string) => explain(policy, cmd, { headless: true });

  it("denies what a program's description says leaves the guest", () => {
    const e = ex("asciinema upload demo.cast");
    expect(e.decision.decision).toBe("deny");
    expect(e.effects.map((f) => f.id)).toContain("described.send.upload");
    expect(ex("asciinema play demo.cast").decision.decision).not.toBe("deny");
  });

  it("places a nested subcommand after the word it follows", () => {
    expect(ex("bosh delete-deployment -d web").decision.decision).toBe("deny");
    expect(ex("machinectl poweroff").effects.map((f) => f.id)).toContain(
      "described.availability.power",
    );
    expect(ex("machinectl list").decision.decision).not.toBe("deny");
  });

  it("reads no described effect with an option described as a dry run", () => {
    // cargo.fish: `publish` "Upload a package to the registry"; `--dry-run` "… without uploading"
    const facts = (cmd: string) => ex(cmd).facts.commands[0]!;
    expect(describedEffects(facts("cargo publish")).map((d) => d.rule)).toEqual(["send.upload"]);
    expect(describedEffects(facts("cargo publish --dry-run"))).toEqual([]);
  });

  it("reads a program's purpose for every run of it, unless an inert option is given", () => {
    const facts = (cmd: string) => ex(cmd).facts.commands[0]!;
    const entries = compileDescribed(
      [{ program: true, effect: "lockout", rule: "purpose.login-shell" }],
      [],
      ["-l", "--help"],
    );
    expect(describedIn(entries, facts("shx -s /bin/zsh bob"))).toEqual([
      { effect: "lockout", rule: "purpose.login-shell", what: "shx" },
    ]);
    expect(describedIn(entries, facts("shx"))).toHaveLength(1);
    expect(describedIn(entries, facts("shx -l"))).toEqual([]);
    expect(describedIn(entries, facts("shx --help"))).toEqual([]);
  });

  it("reads a bare purpose only for a run with nothing to run", () => {
    const facts = (cmd: string) => ex(cmd).facts.commands.at(-1)!;
    const entries = compileDescribed(
      [{ program: true, bare: true, effect: "exec-untrusted", rule: "purpose.shell" }],
      [],
      ["-V"],
    );
    const n = (cmd: string) => describedIn(entries, facts(cmd)).length;
    expect([n("muxx"), n("muxx -u"), n("muxx new -s x"), n("muxx < f.txt"), n("muxx -V")]).toEqual([
      1, 1, 0, 0, 0,
    ]);
    // an option's value is no operand where the program's grammar says the option takes one
    // (tmux's generated grammar: `-S socket-path`); with no grammar the word may be an operand
    expect([
      n("tmux -S /tmp/sock"),
      n("tmux -S /tmp/sock attach"),
      n("muxx -S /tmp/sock"),
      n("muxx -- x"),
    ]).toEqual([1, 0, 0, 0]);
  });

  it("reads a word documented among the options among the first words, a subcommand only first", () => {
    const facts = (cmd: string) => ex(cmd).facts.commands.at(-1)!;
    const rule = { effect: "lockout", rule: "lockout.down" } as const;
    const among = compileDescribed([{ words: ["down"], among_options: true, ...rule }], [], []);
    const sub = compileDescribed([{ words: ["down"], ...rule }], [], []);
    const n = (e: typeof among, cmd: string) => describedIn(e, facts(cmd)).length;
    expect([n(among, "ifx eth0 down"), n(among, "ifx down"), n(among, "ifx eth0 up")]).toEqual([
      1, 1, 0,
    ]);
    expect([n(sub, "ifx eth0 down"), n(sub, "ifx down")]).toEqual([0, 1]);
  });

  it("reads a runner's purpose only for a run given no command", () => {
    const facts = (cmd: string) => ex(cmd).facts.commands.at(-1)!;
    const entries = compileDescribed(
      [{ program: true, runner: true, effect: "exec-untrusted", rule: "purpose.shell-runner" }],
      [],
      [],
    );
    const n = (cmd: string) => describedIn(entries, facts(cmd)).length;
    expect([
      n("runx"),
      n("runx grp"),
      n("runx grp -c ls"),
      n("runx grp cmd"),
      n("runx -- x"),
    ]).toEqual([1, 1, 0, 0, 0]);
  });

  it("lets a hand-written entry for the program speak instead", () => {
    // k3d.fish: `cluster delete` "Delete cluster(s)"; the hand-written entry knows k3d is local
    const e = ex("k3d cluster delete dev");
    expect(e.effects.map((f) => f.id)).not.toContain("described.remote.destroy");
    expect(e.decision.decision).toBe("transact");
  });
});

describe("the generator reads a shell by its -c and -i options, a device's signatures erased", () => {
  const doc = generate(
    {
      // a shell: -c runs commands, -i makes it interactive (rc.fish, xonsh.fish, nu.fish)
      "fish/shx.fish": [
        "complete -c shx -s c -d 'Commands to execute'",
        "complete -c shx -s i -d 'Use interactive mode'",
      ].join("\n"),
      "fish/shy.fish": [
        "complete -c shy -s c -l commands -d 'Run commands and exit'",
        "complete -c shy -s i -l interactive -d 'Use interactive mode'",
      ].join("\n"),
      // a calculator's interactive option alone is no shell (bc)
      "fish/calcx.fish": "complete -c calcx -s i -l interactive -d 'Force interactive mode'\n",
      // -c that is not commands (elvish: compile only), -i under a subcommand (git add -i)
      "fish/compx.fish": [
        "complete -c compx -s c -d 'Compile'",
        "complete -c compx -s i -d 'Use interactive mode'",
      ].join("\n"),
      "fish/vcsx.fish": [
        "complete -c vcsx -s c -d 'Commands to execute'",
        "complete -c vcsx -n '__fish_seen_subcommand_from add' -s i -d 'Interactive mode'",
      ].join("\n"),
      // wipefs(8): -a erases the signatures on the device; -n does everything but the write
      "fish/wipex.fish": [
        "complete -c wipex -s a -l all -d 'Erase all available signatures'",
        "complete -c wipex -s n -l no-act -d 'Causes everything to be done except for the write() call'",
      ].join("\n"),
      // a key's signatures deleted is no device erased
      "fish/keyx.fish": "complete -c keyx -l delete-sigs -d 'Delete signatures from a key'\n",
    },
    ["shx", "shy", "calcx", "compx", "vcsx", "wipex", "keyx"],
  );
  it("erasing signatures is the disk effect; the no-act option is its dry run", () => {
    expect(doc.programs.wipex).toEqual([
      { flags: ["--all", "-a"], effect: "disk", rule: "disk.format" },
    ]);
    expect(doc.dry_run.wipex).toEqual(["--no-act", "-n"]);
    expect(doc.programs.keyx).toBeUndefined();
  });
  it("a program with both is a shell, interactive when run with nothing to run", () => {
    for (const p of ["shx", "shy"])
      expect(doc.programs[p]?.find((e) => e.program === true)).toEqual({
        program: true,
        bare: true,
        effect: "exec-untrusted",
        rule: "purpose.shell",
      });
  });
  it("either alone, or under a subcommand, says nothing", () => {
    for (const p of ["calcx", "compx", "vcsx"]) expect(doc.programs[p]).toBeUndefined();
  });
});
