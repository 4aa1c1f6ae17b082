/** Cairn's device core: a second implementation of sync/ and forms/ (see README.md). */
export * from "./msgpack.js";
export * from "./ops.js";
export * as vv from "./vv.js";
export * from "./clock.js";
export * from "./record.js";
export * as register from "./register.js";
export * from "./laws.js";
export * from "./merge.js";
export * from "./conflicts.js";
export * from "./canonical.js";
export * from "./pyrepr.js";
export * from "./forms.js";
// Milestone 3: keys, age, sealed batches, receipts, wire messages, the device's HTTP calls.
export * from "./errors.js";
export * from "./keys.js";
export * from "./age.js";
export * from "./sealed.js";
export * from "./receipt.js";
export * from "./wire.js";
export * from "./client.js";
export * from "./ids.js";
