import type { PolicyContext } from "./types.js";

/** Project trees assumed when neither the config nor the caller names any. */
export const DEFAULT_PROJECT_PATHS: readonly string[] = [
  "/workspace",
  "/root/project",
  "/home/agent",
];
/** Home directory assumed when the caller does not name one. */
export const DEFAULT_HOME = "/root";

/** Fill a partial context with defaults: headless, default project paths, cwd = first project. */
export function resolveContext(
  partial: Partial<PolicyContext> | undefined,
  defaults: Partial<PolicyContext> = {},
): Required<PolicyContext> {
  const projectPaths = partial?.projectPaths ?? defaults.projectPaths ?? [...DEFAULT_PROJECT_PATHS];
  return {
    projectPaths,
    protectedPaths: partial?.protectedPaths ?? defaults.protectedPaths ?? [],
    headless: partial?.headless ?? defaults.headless ?? true,
    home: partial?.home ?? defaults.home ?? DEFAULT_HOME,
    cwd: partial?.cwd ?? defaults.cwd ?? projectPaths[0] ?? "/",
  };
}
