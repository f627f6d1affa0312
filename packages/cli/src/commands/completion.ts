import { UsageError } from "@txbox/core";
import { completionScript, SHELLS, type Shell } from "../completion.js";
import type { Register } from "../main.js";
import { printJson } from "../output.js";

export const registerCompletion: Register = (program, io, outcome) => {
  program
    .command("completion")
    .description(
      'print a shell completion script: eval "$(txbox completion bash)" in ~/.bashrc, ' +
        'eval "$(txbox completion zsh)" in ~/.zshrc, or ' +
        "txbox completion fish > ~/.config/fish/completions/txbox.fish",
    )
    .argument("<shell>", SHELLS.join(" | "))
    .option("--json", "the script as a JSON string: {shell, script}")
    .action((shell: string, opts: { json?: boolean }) => {
      if (!(SHELLS as readonly string[]).includes(shell))
        throw new UsageError(`completion: unknown shell ${shell} (known: ${SHELLS.join(", ")})`);
      const script = completionScript(program, shell as Shell);
      if (opts.json) printJson(io, { shell, script });
      else io.stdout.write(script);
      outcome.code = 0;
    });
};
