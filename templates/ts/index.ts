{{ header }}// Everything framework-independent: the kernel, its transports, the types and
// the typed client.

export * from "./kernel.js";
export * from "./transport.js";
export * from "./websocket.js";
export * from "./types.js";
export * from "./client.js";
