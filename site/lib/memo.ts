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
