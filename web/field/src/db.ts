/**
 * The device's store in IndexedDB. Every write is one transaction opened with
 * durability "strict": its promise resolves only once the browser reports the
 * transaction committed to disk, and only then does the app say "saved".
 *
 * Stores: `meta` (key → value: enrollment, keys (src/keystore.ts: non-extractable
 * CryptoKeys where WebCrypto allows), counter, clock, cursor, labels), `ops` (every op
 * this device holds, keyed by dot, as its msgpack bytes: for pulled ops the server's
 * exact bytes), `batches`
 * (sealed batches until their receipt, then the receipt), `drafts` (values not yet
 * saved as ops), `files` (attached photos and files by SHA-256, with their sealed copy while uploading).
 */

export const DB_NAME = "cairn-field";
const VERSION = 1;

export type OpState = "pending" | "sealed" | "delivered" | "refused";

export interface OpRow {
  key: string; // actor \0 counter
  actor: string;
  counter: number;
  record_id: string;
  origin: "local" | "pulled";
  blob: Uint8Array;
  state: OpState;
  batch_id: string | null;
  reason: string;
  code: string;
  excluded: boolean; // refused and not kept by the server: out of this device's view
  suspect?: boolean; // the server flagged its clock as ahead
}

export interface BatchRow {
  batch_id: string;
  seq: number;
  dots: string[];
  sealed: Uint8Array | null; // dropped once a receipt verified
  created_ms: number;
  receipt: Uint8Array | null;
  received_ms: number | null;
  refused: number;
}

export interface DraftRow {
  id: string;
  form: string;
  record_id: string | null;
  values: unknown;
  saved_ms: number;
}

export interface FileRow {
  sha256: string;
  bytes: Uint8Array | null; // null once the server's receipt verified (and not needed to show)
  size: number;
  media_type: string;
  filename: string;
  delivered: boolean;
  receipt: Uint8Array | null;
  // The sealed copy being uploaded (kept so an upload resumes after a restart), its
  // upload id (SHA-256 of its signed head) and the server key it is sealed to.
  sealed?: Uint8Array | null;
  upload_id?: Uint8Array | null;
  sealed_key_id?: string;
}

export type StoreName = "meta" | "ops" | "batches" | "drafts" | "files";

export function opKey(actor: string, counter: number): string {
  return `${actor}\u0000${counter}`;
}

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

export class Db {
  private constructor(readonly idb: IDBDatabase) {}

  static open(name = DB_NAME): Promise<Db> {
    return new Promise((resolve, reject) => {
      const r = indexedDB.open(name, VERSION);
      r.onupgradeneeded = () => {
        const db = r.result;
        db.createObjectStore("meta");
        const ops = db.createObjectStore("ops", { keyPath: "key" });
        ops.createIndex("record", "record_id");
        ops.createIndex("state", "state");
        db.createObjectStore("batches", { keyPath: "batch_id" }).createIndex("seq", "seq", { unique: true });
        db.createObjectStore("drafts", { keyPath: "id" });
        db.createObjectStore("files", { keyPath: "sha256" });
      };
      r.onsuccess = () => resolve(new Db(r.result));
      r.onerror = () => reject(r.error);
      r.onblocked = () => reject(new Error("the store is open in another tab being upgraded; close the other tabs"));
    });
  }

  /** Run `fn` in one read-write transaction; resolves after the commit reached the disk. */
  write<T>(stores: StoreName[], fn: (tx: IDBTransaction) => T | Promise<T>): Promise<T> {
    const tx = this.idb.transaction(stores, "readwrite", { durability: "strict" });
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error("the transaction was aborted"));
    });
    let run: Promise<T>;
    try {
      run = Promise.resolve(fn(tx)); // synchronously: the transaction is active now
    } catch (e) {
      run = Promise.reject(e);
    }
    run = run.catch((e) => {
      try {
        tx.abort();
      } catch {
        /* already finished */
      }
      throw e;
    });
    return Promise.all([run, done]).then(([v]) => v);
  }

  async get<T>(store: StoreName, key: IDBValidKey): Promise<T | undefined> {
    return req(this.idb.transaction(store).objectStore(store).get(key)) as Promise<T | undefined>;
  }

  async all<T>(store: StoreName): Promise<T[]> {
    return req(this.idb.transaction(store).objectStore(store).getAll()) as Promise<T[]>;
  }

  async metaAll(): Promise<Map<string, unknown>> {
    const tx = this.idb.transaction("meta");
    const s = tx.objectStore("meta");
    const [keys, values] = await Promise.all([req(s.getAllKeys()), req(s.getAll())]);
    return new Map(keys.map((k, i) => [String(k), values[i]]));
  }

  static put(tx: IDBTransaction, store: StoreName, value: unknown, key?: IDBValidKey): void {
    if (key === undefined) tx.objectStore(store).put(value);
    else tx.objectStore(store).put(value, key);
  }

  static del(tx: IDBTransaction, store: StoreName, key: IDBValidKey): void {
    tx.objectStore(store).delete(key);
  }

  static get<T>(tx: IDBTransaction, store: StoreName, key: IDBValidKey): Promise<T | undefined> {
    return req(tx.objectStore(store).get(key)) as Promise<T | undefined>;
  }
}
