import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** What `testbed up` writes to `.txbox/testbed.json`: the default connection for the rest of txbox. */
export interface TestbedConnection {
  url: string;
  host: string;
  port: number;
  fingerprint: string;
  tokenId: string;
  secret: string;
  node: string;
  stateDir: string;
  pid: number;
  logFile: string;
  operatorKey?: string;
}

/** Path of the connection file for a working directory. */
export function connectionFile(cwd = process.cwd()): string {
  return join(resolve(cwd), ".txbox", "testbed.json");
}

/** Read the connection file, or undefined when the testbed was never started here. */
export function readConnection(file = connectionFile()): TestbedConnection | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as TestbedConnection;
  } catch {
    return undefined;
  }
}
