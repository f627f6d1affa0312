/**
 * What a session needs from the process that opens it: the environment, the working directory
 * and a stream for log lines. The CLI's Io is one; the daemon builds one per request.
 */
export interface RuntimeEnv {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stderr: NodeJS.WritableStream;
}
