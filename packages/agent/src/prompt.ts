import type { ToolSpec } from "./model.js";

/** The system prompt: short, and explicit about the three tiers so the model can plan around them. */
export const SYSTEM_PROMPT = `You are a coding agent working headless inside a Linux guest. Nobody will answer questions; act.
Run shell commands with the run_command tool (or reply with one \`\`\`bash block, or a line "CMD: <command>").
Every command passes the txbox policy gate:
- allow: read-only commands run directly.
- transact: commands that change state run inside a transaction. A non-zero exit code or a failed check rolls the whole guest back: all changes of that command are undone.
- deny: destructive commands (outside the project, history rewrites, privilege changes, remote code) are refused. Do not retry a refused command or a variant of it; follow the suggested alternative or take another approach. Repeating refused commands stops the run.
Prefer small, checkable steps. When the task is complete, call the done tool (or reply "DONE") with a one-line summary.`;

/** The tools offered to a model that supports function calling. */
export const AGENT_TOOLS: ToolSpec[] = [
  {
    name: "run_command",
    description:
      "Run one shell command in the guest through the txbox policy gate and transactions. Returns the outcome (executed, committed, rolled-back, denied or failed), exit code and output.",
    parameters: {
      type: "object",
      properties: {
        command: { type: "string", description: "The shell command line" },
        cwd: { type: "string", description: "Working directory (optional)" },
        verify: {
          type: "array",
          items: { type: "string" },
          description: "Optional checks (commands that must exit 0) before the change is committed",
        },
      },
      required: ["command"],
      additionalProperties: false,
    },
  },
  {
    name: "done",
    description: "Declare the task finished.",
    parameters: {
      type: "object",
      properties: { summary: { type: "string", description: "One line: what was achieved" } },
      additionalProperties: false,
    },
  },
];
