// Append-only Merkle tree of RFC 6962 §2.1 (restated in RFC 9162 §2.1) over SHA-256: tree
// heads, inclusion proofs (PATH) and consistency proofs (PROOF), and the verification
// algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2, so anyone holding a published tree head can
// check that an entry is in the log and that the log only ever grew.
//
// Hand-written because no well-kept npm library implements RFC 6962 proofs and their
// verification for Node; it is under 200 lines, depends only on node:crypto, and is covered by
// the known-answer vectors of Google's certificate-transparency implementations
// (tests/unit/merkle.test.ts).
//
// Proof generation takes the whole list of leaf hashes and costs O(n) hashes; sizes and
// indexes are plain numbers and must be safe integers.
import { createHash } from 'node:crypto';

const HASH_SIZE = 32;
const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** SHA-256(0x00 ‖ data): the hash of one log entry. */
export function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

/** SHA-256(0x01 ‖ left ‖ right): the hash of an interior node. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** MTH({}) — the root of the empty tree, SHA-256 of the empty string. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

/** MTH(D[start:end]) for leaf hashes, in O(end - start) hashes and O(log n) memory. */
export function rootOfRange(leaves: readonly Buffer[], start: number, end: number): Buffer {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > leaves.length) {
    throw new RangeError(`invalid leaf range [${start}, ${end}) of ${leaves.length} leaves`);
  }
  if (start === end) return EMPTY_ROOT;
  // A stack of the roots of complete subtrees, largest first (a "compact range"): adding the
  // k-th leaf merges one subtree for every trailing zero bit of k. Folding the stack from the
  // right then gives exactly the RFC 6962 shape, whose left subtree is the largest power of two.
  const stack: Buffer[] = [];
  for (let i = start; i < end; i++) {
    let node = leaves[i] as Buffer;
    for (let count = i - start + 1; count % 2 === 0; count /= 2) {
      node = nodeHash(stack.pop() as Buffer, node);
    }
    stack.push(node);
  }
  let root = stack.pop() as Buffer;
  while (stack.length > 0) root = nodeHash(stack.pop() as Buffer, root);
  return root;
}

/** MTH(D[n]) where `leaves` are already leaf hashes. */
export function rootFromLeafHashes(leaves: readonly Buffer[]): Buffer {
  return rootOfRange(leaves, 0, leaves.length);
}

/** The largest power of two smaller than n (n >= 2): the size of the left subtree. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** PATH(index, D[n]) of RFC 6962 §2.1.1, ordered from the leaf's sibling up to the root's child. */
export function inclusionProof(leaves: readonly Buffer[], index: number): Buffer[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= leaves.length) {
    throw new RangeError(`leaf index ${index} is outside a tree of ${leaves.length} leaves`);
  }
  // Walk down from the root, keeping the subtree that holds the leaf; the siblings are
  // collected top-down and reversed at the end.
  const path: Buffer[] = [];
  let start = 0;
  let end = leaves.length;
  while (end - start > 1) {
    const mid = start + splitPoint(end - start);
    if (index < mid) {
      path.push(rootOfRange(leaves, mid, end));
      end = mid;
    } else {
      path.push(rootOfRange(leaves, start, mid));
      start = mid;
    }
  }
  return path.reverse();
}

/** PROOF(oldSize, D[n]) of RFC 6962 §2.1.2 between the first `oldSize` leaves and all of them. */
export function consistencyProof(leaves: readonly Buffer[], oldSize: number): Buffer[] {
  if (!Number.isSafeInteger(oldSize) || oldSize < 1 || oldSize > leaves.length) {
    throw new RangeError(`no consistency proof from size ${oldSize} to size ${leaves.length}`);
  }
  // SUBPROOF(m, D[start:end], b), unrolled: descend while the old tree is not a whole subtree.
  const proof: Buffer[] = [];
  let start = 0;
  let end = leaves.length;
  let m = oldSize;
  let oldRootIsKnown = true; // the b flag: false once we descend into a right subtree
  while (m !== end - start) {
    const k = splitPoint(end - start);
    if (m <= k) {
      proof.push(rootOfRange(leaves, start + k, end));
      end = start + k;
    } else {
      proof.push(rootOfRange(leaves, start, start + k));
      start += k;
      m -= k;
      oldRootIsKnown = false;
    }
  }
  if (!oldRootIsKnown) proof.push(rootOfRange(leaves, start, end));
  return proof.reverse();
}

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}

function isHashList(value: unknown): value is Uint8Array[] {
  return Array.isArray(value) && value.every(isHash);
}

// Arithmetic, not bitwise operators: those truncate to 32 bits and sizes may be any safe integer.
const isOdd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);

function isPowerOfTwo(n: number): boolean {
  while (n > 1 && !isOdd(n)) n = half(n);
  return n === 1;
}

/** RFC 9162 §2.1.3.2: does `proof` show the leaf at `index` is in the tree of `treeSize` with `root`? */
export function verifyInclusion(
  leafHash: Buffer,
  index: number,
  treeSize: number,
  proof: Buffer[],
  root: Buffer,
): boolean {
  if (!isHash(leafHash) || !isHash(root) || !isHashList(proof)) return false;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r: Buffer = Buffer.from(leafHash);
  for (const p of proof) {
    if (sn === 0) return false; // longer than the path to the root
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      // On the right border a node without a right sibling is promoted unchanged: skip those levels.
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 §2.1.4.2: does `proof` show the tree of `newSize` extends the tree of `oldSize`? */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Buffer,
  newRoot: Buffer,
  proof: Buffer[],
): boolean {
  if (!isHash(oldRoot) || !isHash(newRoot) || !isHashList(proof)) return false;
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) {
    return false;
  }
  if (oldSize === newSize) return proof.length === 0 && Buffer.from(oldRoot).equals(newRoot);
  if (oldSize === 0 || proof.length === 0) return false; // RFC 9162 defines no proof from the empty tree

  // When the old tree is a complete subtree of the new one, its root is the proof's implied first element.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Buffer = Buffer.from(path[0] as Uint8Array);
  let sr: Buffer = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) return false; // longer than the path to the root
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && fr.equals(oldRoot) && sr.equals(newRoot);
}
