// A small in-process cache for data that changes only when something is published: pages key
// it by their data version, so a new publication simply makes a new key. Bounded (least
// recently used entries go first); each server process has its own.
const MAX_ENTRIES = 500;
const entries = new Map<string, Promise<unknown>>();

export function memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
  const hit = entries.get(key);
  if (hit) {
    entries.delete(key);
    entries.set(key, hit);
    return hit as Promise<T>;
  }
  const value = compute();
  entries.set(key, value);
  // A failed computation is not kept.
  value.catch(() => entries.delete(key));
  while (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value!);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Shared fresh reads

interface Flight {
  /** The read under way, if any. */
  running: Promise<unknown> | null;
  /** The next read, not started yet: callers join it. */
  queued: Promise<unknown> | null;
}
const flights = new Map<string, Flight>();
const ignore = () => {};

/**
 * `read()` for a caller who must see every change committed before it called (a data-version
 * check), shared among concurrent callers: a caller only ever joins a read that has not started
 * yet. A read starts once the current turn of the event loop is over (setImmediate), or once the
 * read under way ends, and serves every caller that came in the meantime. So requests that arrive
 * together share one read (with an in-process database, whose queries hold the event loop, they
 * arrive together), there is at most one read of a key in flight, and each caller's result was
 * read after the caller arrived — a publication by another process is seen at once.
 */
export function freshRead<T>(key: string, read: () => Promise<T>): Promise<T> {
  let flight = flights.get(key);
  if (!flight) flights.set(key, (flight = { running: null, queued: null }));
  const f = flight;
  if (f.queued) return f.queued as Promise<T>;
  const start = f.running ? f.running.then(ignore, ignore) : new Promise<void>((resolve) => setImmediate(resolve));
  const next = start.then(() => {
    f.queued = null;
    const p = read();
    f.running = p;
    const done = () => {
      if (f.running !== p) return;
      f.running = null;
      if (!f.queued && flights.get(key) === f) flights.delete(key);
    };
    p.then(done, done);
    return p;
  });
  f.queued = next;
  return next;
}

// ---------------------------------------------------------------------------------------------
// Data versions, read only when something was committed

const MAX_VERSIONS = 2000;
const ids = new WeakMap<object, number>();
/** A number per database handle, so that reads of two databases in one process stay apart. */
let nextId = 1;
function idOf(db: object): number {
  let id = ids.get(db);
  if (id === undefined) ids.set(db, (id = nextId++));
  return id;
}
const versions = new Map<string, { snapshot: string; value: unknown }>();

/**
 * A page's data version (`name`, in database `db`), fresh on every call at the cost of one
 * trivial query shared by all concurrent requests: the database snapshot (`snapshot()`, one read
 * for every name) is compared with the one the version was last read in, and only when
 * something was committed since is the version read again (`read()`, which returns the snapshot
 * it was read in, from the same statement). Both reads go through `freshRead`, so what a caller
 * gets was read after it arrived.
 */
export async function freshVersion<T extends { snapshot: string }>(
  db: object,
  name: string,
  snapshot: () => Promise<string>,
  read: () => Promise<T | null>,
): Promise<T | null> {
  const scope = `db${idOf(db)}`;
  const key = `${scope}|${name}`;
  const now = await freshRead(`${scope}|snapshot`, snapshot);
  const known = versions.get(key);
  if (known && known.snapshot === now) return known.value as T;
  const value = await freshRead(key, read);
  versions.delete(key);
  if (value) {
    versions.set(key, { snapshot: value.snapshot, value });
    if (versions.size > MAX_VERSIONS) versions.delete(versions.keys().next().value!);
  }
  return value;
}
