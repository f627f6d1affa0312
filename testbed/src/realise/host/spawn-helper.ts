/**
 * The host commands' helper process (see `Helper` in exec.ts): runs each command it is sent and
 * answers with how it ended; ends when its parent goes.
 */
import { execute } from "./exec.js";

interface Request {
  id: number;
  argv: string[];
  input: string;
  timeoutMs: number;
}

process.on("message", (m: Request) => {
  void execute(m.argv, m.input, m.timeoutMs).then((outcome) =>
    process.send?.({ id: m.id, outcome }),
  );
});
process.on("disconnect", () => process.exit(0));
