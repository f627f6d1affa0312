import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { createMcpServer } from "../src/mcp.js";
import { InMemoryTxboxPort } from "./in-memory-port.js";

const rules = [
  {
    match: /rm\s+-rf\s+\/$/,
    outcome: {
      outcome: "denied" as const,
      rules: ["fs.rm-root"],
      reason: "deletes the root filesystem",
      alternative: "rm -rf ./build",
    },
  },
  { match: /^touch/, outcome: { outcome: "committed" as const } },
];

type TextContent = { type: string; text: string }[];

async function connect(port: InMemoryTxboxPort): Promise<Client> {
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const server = createMcpServer(port, { stubbornThreshold: 2, progressIntervalMs: 20 });
  await server.connect(serverTransport);
  const client = new Client({ name: "test-client", version: "1.0.0" });
  await client.connect(clientTransport);
  return client;
}

describe("createMcpServer over an in-memory transport", () => {
  test("lists the three tools with their input schemas", async () => {
    const client = await connect(new InMemoryTxboxPort());
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      "list_transactions",
      "rollback",
      "run_command",
    ]);
    const run = tools.find((t) => t.name === "run_command")!;
    expect(run.inputSchema).toMatchObject({
      type: "object",
      properties: { command: { type: "string" }, cwd: { type: "string" } },
      required: ["command"],
    });
    await client.close();
  });

  test("run_command returns the outcome as text and structured content", async () => {
    const port = new InMemoryTxboxPort(rules);
    const client = await connect(port);
    const ok = await client.callTool({
      name: "run_command",
      arguments: { command: "touch a", cwd: "/root/project", verify: ["test -f a"] },
    });
    expect(ok.isError).toBe(false);
    expect((ok.content as TextContent)[0]!.text).toMatch(/^outcome: committed \(transaction tx1\)/);
    expect(ok.structuredContent).toMatchObject({
      outcome: "committed",
      decision: "transact",
      txid: "tx1",
    });
    expect(port.calls).toEqual([
      { command: "touch a", opts: { cwd: "/root/project", verify: ["test -f a"] } },
    ]);

    const denied = await client.callTool({
      name: "run_command",
      arguments: { command: "rm -rf /" },
    });
    expect(denied.isError).toBe(true);
    const text = (denied.content as TextContent)[0]!.text;
    expect(text).toMatch(/DENIED by policy rule fs\.rm-root/);
    expect(text).toMatch(/instead: rm -rf \.\/build/);
    expect(text).not.toMatch(/Stop trying/);
    const again = await client.callTool({
      name: "run_command",
      arguments: { command: "sudo rm  -rf /" },
    });
    expect((again.content as TextContent)[0]!.text).toMatch(/Stop trying this command/);
    await client.close();
  });

  test("list_transactions and rollback go to the port", async () => {
    const port = new InMemoryTxboxPort(rules);
    const client = await connect(port);
    await client.callTool({ name: "run_command", arguments: { command: "touch a" } });
    await client.callTool({ name: "run_command", arguments: { command: "touch b" } });
    const list = await client.callTool({ name: "list_transactions", arguments: { limit: 1 } });
    expect(list.structuredContent).toEqual({ transactions: [{ txid: "tx2" }] });
    const rb = await client.callTool({ name: "rollback", arguments: { txid: "tx1" } });
    expect(rb.isError).toBeFalsy();
    expect(port.rolledBack).toEqual(["tx1"]);
    const bad = await client.callTool({ name: "rollback", arguments: { txid: "nope" } });
    expect(bad.isError).toBe(true);
    expect((bad.content as TextContent)[0]!.text).toMatch(/no transaction nope/);
    await client.close();
  });

  test("every tool carries annotations and an output schema", async () => {
    const client = await connect(new InMemoryTxboxPort());
    const { tools } = await client.listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(byName.run_command!.annotations).toEqual({
      title: "Run a shell command through txbox",
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: false,
      openWorldHint: true,
    });
    expect(byName.list_transactions!.annotations).toMatchObject({
      readOnlyHint: true,
      destructiveHint: false,
    });
    expect(byName.rollback!.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
    });
    expect(byName.run_command!.description).toMatch(/allow — .*transact — .*deny — /);
    expect(byName.run_command!.outputSchema).toMatchObject({
      type: "object",
      required: expect.arrayContaining(["decision", "outcome", "exitCode", "stdout", "stderr"]),
    });
    for (const t of tools) expect(t.outputSchema?.type).toBe("object");
    await client.close();
  });

  test("run_command's structured result carries decision, outcome, exit code, output and txid", async () => {
    const client = await connect(new InMemoryTxboxPort(rules));
    await client.listTools(); // the client now checks structuredContent against outputSchema
    const ok = await client.callTool({ name: "run_command", arguments: { command: "touch a" } });
    expect(ok.structuredContent).toEqual({
      command: "touch a",
      guest: "test-guest",
      decision: "transact",
      outcome: "committed",
      exitCode: 0,
      stdout: "ran: touch a\n",
      stderr: "",
      txid: "tx1",
      rules: [],
      reason: "",
      stopRetrying: false,
      timings: { policyMs: 1, snapshotMs: 0, execMs: 2, verifyMs: 0, totalMs: 3 },
    });
    const denied = await client.callTool({
      name: "run_command",
      arguments: { command: "rm -rf /" },
    });
    expect(denied.structuredContent).toMatchObject({
      decision: "deny",
      outcome: "denied",
      exitCode: null,
      rules: ["fs.rm-root"],
      alternative: "rm -rf ./build",
    });
    await client.close();
  });

  test("a long command reports progress to a client that asked for it", async () => {
    const client = await connect(new InMemoryTxboxPort(rules, 150));
    const seen: { progress: number; message?: string }[] = [];
    await client.callTool({ name: "run_command", arguments: { command: "sleep 1" } }, undefined, {
      onprogress: (p) => seen.push(p),
    });
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.map((p) => p.progress)).toEqual(seen.map((_, i) => i + 1));
    expect(seen[0]!.message).toMatch(/^running `sleep 1`: \d+ s$/);
    await client.close();
  });

  test("an error reaches the client without this machine's paths, and passes its output-schema check", async () => {
    const client = await connect(new InMemoryTxboxPort());
    await client.listTools(); // the client now validates structuredContent against outputSchema
    const r = await client.callTool({ name: "run_command", arguments: { command: "explode" } });
    expect(r.isError).toBe(true);
    expect((r.content as TextContent)[0]!.text).toBe(
      "error [E_INTERNAL]: cannot open …/journal.sqlite: permission denied",
    );
    expect(r.structuredContent).toBeUndefined();
    const bad = await client.callTool({ name: "rollback", arguments: { txid: "nope" } });
    expect(bad.isError).toBe(true);
    await client.close();
  });

  test("invalid arguments are rejected by the schema", async () => {
    const port = new InMemoryTxboxPort();
    const client = await connect(port);
    const result = await client.callTool({ name: "run_command", arguments: { cwd: "/" } });
    expect(result.isError).toBe(true);
    expect(port.calls).toHaveLength(0);
    await client.close();
  });
});

describe("serveStdio in a child process", () => {
  test("a client drives it over stdin/stdout", async () => {
    // The child imports the built package, as the CLI does; build it first (tsc -b packages/agent).
    const script = new URL("./fixtures/stdio-server.mjs", import.meta.url).pathname;
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [script],
      stderr: "pipe",
    });
    const client = new Client({ name: "stdio-test", version: "1.0.0" });
    await client.connect(transport);
    const result = await client.callTool({
      name: "run_command",
      arguments: { command: "echo hi" },
    });
    expect((result.content as TextContent)[0]!.text).toMatch(
      /^outcome: executed, exit code 0\nstdout:\nhi/,
    );
    await client.close();
  });
});
