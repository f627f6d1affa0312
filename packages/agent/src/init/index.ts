export { applyInit, previewInit } from "./apply.js";
export { planInit } from "./plan.js";
export { opencodePlugin } from "./opencode.js";
export { SERVER as MCP_SERVER_NAME, TOOL_TIMEOUT_S } from "./common.js";
export type { Change, Conflict } from "./edit.js";
export type { InitPlan, InitRequest, PlannedFile } from "./types.js";
