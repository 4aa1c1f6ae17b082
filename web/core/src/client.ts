/**
 * The device's calls to a Cairn server (sync/client.py's enroll, push and pull, without
 * its storage): each builds the message, sends it with `fetch`, and verifies the answer
 * before returning it. What to store, and when to retry, is the app's: a batch is kept
 * until {@link pushBatch} returned its verified receipt; a pull page is merged only after
 * {@link pullPage} opened and verified it. Nothing here keeps state.
 */
import type { AgeIdentity } from "./age.js";
import { ReceiptError } from "./errors.js";
import type { DeviceKeys, SigningKey } from "./keys.js";
import { openPull } from "./sealed.js";
import { checkReceiptFor, type Receipt, verifyReceipt } from "./receipt.js";
import { decodeEnrollResponse, decodePullPage, encodeEnrollRequest, encodePullRequest, type EnrollResponse, type PullPage } from "./wire.js";
import type { Int } from "./shape.js";

/** The part of the Fetch API used here (globalThis.fetch in browsers and Node ≥ 18). */
export type FetchLike = (
  url: string,
  init: { method: string; body: Uint8Array; headers: { [name: string]: string } },
) => Promise<{ status: number; arrayBuffer(): Promise<ArrayBuffer>; text(): Promise<string>; headers: { get(name: string): string | null } }>;

/** The server answered with an error: `status`, its stable `error` code and its message. */
export class ServerRefused extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.name = "ServerRefused";
  }
}

/** A receipt that verifies but is for another batch, device or sealing (the batch is kept). */
export class WrongReceipt extends ReceiptError {}

export const PULL_LIMIT = 5000;

function defaultFetch(): FetchLike {
  const f = (globalThis as { fetch?: unknown }).fetch;
  if (typeof f !== "function") throw new Error("no fetch here: pass one in the options");
  return f as FetchLike;
}

async function post(base: string, path: string, body: Uint8Array, fetch?: FetchLike): Promise<Uint8Array> {
  const response = await (fetch ?? defaultFetch())(base.replace(/\/+$/, "") + path, {
    method: "POST",
    body,
    headers: { "content-type": "application/msgpack" },
  });
  if (response.status >= 400) {
    const text = await response.text();
    let error = "";
    let message = text.slice(0, 200);
    try {
      const j = JSON.parse(text) as { error?: string; message?: string };
      error = j.error ?? "";
      message = j.message ?? message;
    } catch {
      // not JSON: keep the text
    }
    const retry = Number(response.headers.get("retry-after"));
    throw new ServerRefused(response.status, error, `${message} [${response.status} ${error}]`, Number.isFinite(retry) && retry >= 0 ? retry : null);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** Enroll with a one-time code: sends the public keys, returns the server's answer. */
export async function enroll(
  url: string,
  code: string,
  keys: DeviceKeys,
  opts: { label?: string; fetch?: FetchLike } = {},
): Promise<EnrollResponse> {
  const body = encodeEnrollRequest({
    code,
    signing_public: keys.signing.publicKey,
    encryption_recipient: keys.encryption.recipient,
    label: opts.label ?? "",
  });
  return decodeEnrollResponse(await post(url, "/v1/device/enroll", body, opts.fetch));
}

/**
 * Push one sealed batch; returns its receipt once it verifies with the server's signing
 * key and names this batch, this device and the SHA-256 of these very bytes. Replays get
 * the same receipt, so a batch whose answer was lost is simply pushed again.
 */
export async function pushBatch(
  url: string,
  sealed: Uint8Array,
  o: { batchId: string; deviceId: string; serverPublic: Uint8Array; fetch?: FetchLike },
): Promise<{ receipt: Receipt; bytes: Uint8Array }> {
  const bytes = await post(url, "/v1/device/batches", sealed, o.fetch);
  const receipt = verifyReceipt(bytes, o.serverPublic);
  if (!checkReceiptFor(receipt, o.batchId, o.deviceId, sealed)) {
    throw new WrongReceipt("the server's receipt is for another batch; batch kept, retry later.");
  }
  return { receipt, bytes };
}

/** Pull one page of ops after `cursor`: signed request, sealed answer opened and verified. */
export async function pullPage(
  url: string,
  o: {
    deviceId: string;
    cursor: Int;
    signing: SigningKey;
    identity: AgeIdentity;
    serverPublic: Uint8Array;
    limit?: Int;
    fetch?: FetchLike;
  },
): Promise<PullPage> {
  const request = await encodePullRequest(o.deviceId, o.cursor, o.limit ?? PULL_LIMIT, o.signing);
  const sealed = await post(url, "/v1/device/pull", request, o.fetch);
  const opened = await openPull(sealed, { identities: [o.identity], serverPublic: o.serverPublic, deviceId: o.deviceId });
  return decodePullPage(opened.payload);
}
