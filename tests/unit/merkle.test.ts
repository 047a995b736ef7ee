import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  nodeHash,
  rootFromLeafHashes,
  rootOfRange,
  verifyConsistency,
  verifyInclusion,
} from '../../db/merkle.ts';

const hex = (value: string) => Buffer.from(value, 'hex');
const hexes = (...values: string[]) => values.map(hex);
const toHex = (buffers: Buffer[]) => buffers.map((b) => b.toString('hex'));

// Known answers. Every hash below is copied from one of these public sources:
//   [CT]  google/certificate-transparency cpp/merkletree/merkle_tree_test.cc
//         (kInputs, kSHA256EmptyTreeHash, kSHA256Roots, kSHA256Paths, kSHA256Proofs;
//         its leaf numbers are 1-based, so leaf 6 there is index 5 here)
//   [TD]  transparency-dev/merkle proof/verify_test.go (the same vectors as inclusionProofs,
//         consistencyProofs and roots, plus the consistency proof 6 → 7)
//   [TDH] transparency-dev/merkle rfc6962/rfc6962_test.go (TestRFC6962Hasher)

// [CT] kInputs, [TD] leaves
const INPUTS = hexes('', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f');
const LEAVES = INPUTS.map((input) => leafHash(input));

// [CT] kSHA256EmptyTreeHash, [TDH] "RFC6962 Empty"
const EMPTY_TREE_HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

// [CT] kSHA256Roots, [TD] roots: the root of the first 1..8 inputs
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const rootOfFirst = (size: number) => hex(ROOTS[size - 1] as string);

// [CT] kSHA256Paths, [TD] inclusionProofs (index converted to 0-based)
const INCLUSION_VECTORS: { index: number; size: number; path: string[] }[] = [
  { index: 0, size: 1, path: [] },
  {
    index: 0,
    size: 8,
    path: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    path: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, path: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    path: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

// [CT] kSHA256Proofs, [TD] consistencyProofs (6 → 7 is in [TD] only)
const CONSISTENCY_VECTORS: { oldSize: number; newSize: number; proof: string[] }[] = [
  { oldSize: 1, newSize: 1, proof: [] },
  {
    oldSize: 1,
    newSize: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    oldSize: 6,
    newSize: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    oldSize: 2,
    newSize: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    oldSize: 6,
    newSize: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

// Reference implementations transcribed literally from the recursive definitions of
// RFC 6962 §2.1, §2.1.1 and §2.1.2, to cross-check the iterative ones on many sizes.
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
function referenceRoot(d: Buffer[]): Buffer {
  if (d.length === 0) return EMPTY_ROOT;
  if (d.length === 1) return d[0] as Buffer;
  const k = largestPowerOfTwoBelow(d.length);
  return nodeHash(referenceRoot(d.slice(0, k)), referenceRoot(d.slice(k)));
}
function referencePath(m: number, d: Buffer[]): Buffer[] {
  if (d.length === 1) return [];
  const k = largestPowerOfTwoBelow(d.length);
  return m < k
    ? [...referencePath(m, d.slice(0, k)), referenceRoot(d.slice(k))]
    : [...referencePath(m - k, d.slice(k)), referenceRoot(d.slice(0, k))];
}
function referenceSubproof(m: number, d: Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [referenceRoot(d)];
  const k = largestPowerOfTwoBelow(d.length);
  return m <= k
    ? [...referenceSubproof(m, d.slice(0, k), b), referenceRoot(d.slice(k))]
    : [...referenceSubproof(m - k, d.slice(k), false), referenceRoot(d.slice(0, k))];
}

const makeLeaves = (n: number) => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));
const flipBit = (hash: Buffer, bit: number) => {
  const copy = Buffer.from(hash);
  copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
  return copy;
};
const replaceAt = (proof: Buffer[], i: number, value: Buffer) => proof.map((p, j) => (j === i ? value : p));
const SOME_HASH = hex('abacaba000000000000000000000000000000000000000000060061e00123456');
const BITS_TO_FLIP = [0, 3, 100, 255];

/** Every way of tampering with a valid inclusion proof that must make verification fail. */
function inclusionTamperings(leaf: Buffer, index: number, size: number, proof: Buffer[], root: Buffer) {
  const cases: [string, Parameters<typeof verifyInclusion>][] = [
    ['index - 1', [leaf, index - 1, size, proof, root]],
    ['index + 1', [leaf, index + 1, size, proof, root]],
    ['index ^ 2', [leaf, index ^ 2, size, proof, root]],
    ['size * 2', [leaf, index, size * 2, proof, root]],
    ['size / 2', [leaf, index, Math.floor(size / 2), proof, root]],
    ['wrong leaf', [leafHash(Buffer.from('WrongLeaf')), index, size, proof, root]],
    ['empty root', [leaf, index, size, proof, EMPTY_ROOT]],
    ['other root', [leaf, index, size, proof, SOME_HASH]],
    ['flipped root', [leaf, index, size, proof, flipBit(root, 7)]],
    ['trailing root', [leaf, index, size, [...proof, root], root]],
    ['trailing hash', [leaf, index, size, [...proof, SOME_HASH], root]],
    ['preceding root', [leaf, index, size, [root, ...proof], root]],
    ['preceding empty buffer', [leaf, index, size, [Buffer.alloc(0), ...proof], root]],
  ];
  if (proof.length > 0) {
    cases.push(['truncated', [leaf, index, size, proof.slice(0, -1), root]]);
    cases.push(['first element dropped', [leaf, index, size, proof.slice(1), root]]);
  }
  if (proof.length > 1) cases.push(['inserted element', [leaf, index, size, [proof[0] as Buffer, SOME_HASH, ...proof.slice(1)], root]]);
  proof.forEach((element, i) => {
    for (const bit of BITS_TO_FLIP) cases.push([`proof[${i}] bit ${bit}`, [leaf, index, size, replaceAt(proof, i, flipBit(element, bit)), root]]);
  });
  return cases;
}

/** Every way of tampering with a valid, non-empty consistency proof that must make verification fail. */
function consistencyTamperings(oldSize: number, newSize: number, oldRoot: Buffer, newRoot: Buffer, proof: Buffer[]) {
  const cases: [string, Parameters<typeof verifyConsistency>][] = [
    ['oldSize - 1', [oldSize - 1, newSize, oldRoot, newRoot, proof]],
    ['oldSize + 1', [oldSize + 1, newSize, oldRoot, newRoot, proof]],
    ['oldSize ^ 2', [oldSize ^ 2, newSize, oldRoot, newRoot, proof]],
    ['newSize * 2', [oldSize, newSize * 2, oldRoot, newRoot, proof]],
    ['newSize / 2', [oldSize, Math.floor(newSize / 2), oldRoot, newRoot, proof]],
    ['wrong old root', [oldSize, newSize, SOME_HASH, newRoot, proof]],
    ['wrong new root', [oldSize, newSize, oldRoot, SOME_HASH, proof]],
    ['flipped old root', [oldSize, newSize, flipBit(oldRoot, 200), newRoot, proof]],
    ['flipped new root', [oldSize, newSize, oldRoot, flipBit(newRoot, 200), proof]],
    ['swapped roots', [oldSize, newSize, newRoot, oldRoot, proof]],
    ['empty proof', [oldSize, newSize, oldRoot, newRoot, []]],
    ['truncated', [oldSize, newSize, oldRoot, newRoot, proof.slice(0, -1)]],
    ['first element dropped', [oldSize, newSize, oldRoot, newRoot, proof.slice(1)]],
    ['trailing old root', [oldSize, newSize, oldRoot, newRoot, [...proof, oldRoot]]],
    ['trailing new root', [oldSize, newSize, oldRoot, newRoot, [...proof, newRoot]]],
    ['trailing empty buffer', [oldSize, newSize, oldRoot, newRoot, [...proof, Buffer.alloc(0)]]],
    ['preceding old root', [oldSize, newSize, oldRoot, newRoot, [oldRoot, ...proof]]],
    ['preceding new root', [oldSize, newSize, oldRoot, newRoot, [newRoot, ...proof]]],
    ['preceding proof[0]', [oldSize, newSize, oldRoot, newRoot, [proof[0] as Buffer, ...proof]]],
  ];
  proof.forEach((element, i) => {
    for (const bit of BITS_TO_FLIP) {
      cases.push([`proof[${i}] bit ${bit}`, [oldSize, newSize, oldRoot, newRoot, replaceAt(proof, i, flipBit(element, bit))]]);
    }
  });
  return cases;
}

const acceptedInclusionTamperings = (...args: Parameters<typeof inclusionTamperings>) =>
  inclusionTamperings(...args)
    .filter(([, call]) => verifyInclusion(...call))
    .map(([name]) => name);
const acceptedConsistencyTamperings = (...args: Parameters<typeof consistencyTamperings>) =>
  consistencyTamperings(...args)
    .filter(([, call]) => verifyConsistency(...call))
    .map(([name]) => name);

describe('hashing (RFC 6962 §2.1)', () => {
  it('the empty tree root is SHA-256 of the empty string', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe(EMPTY_TREE_HASH);
    expect(rootFromLeafHashes([]).equals(EMPTY_ROOT)).toBe(true);
  });

  it('matches the leaf and node hash vectors of transparency-dev/merkle', () => {
    // [TDH] "RFC6962 Empty Leaf", "RFC6962 Leaf", "RFC6962 Node"
    expect(leafHash(new Uint8Array()).toString('hex')).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    expect(leafHash(Buffer.from('L123456')).toString('hex')).toBe(
      '395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56',
    );
    expect(nodeHash(Buffer.from('N123'), Buffer.from('N456')).toString('hex')).toBe(
      'aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb',
    );
  });

  it('separates leaves from nodes, and the empty leaf from the empty tree', () => {
    const left = leafHash(Buffer.from('Hello'));
    const right = leafHash(Buffer.from('World'));
    const node = nodeHash(left, right);
    expect(leafHash(Buffer.concat([left, right])).equals(node)).toBe(false);
    expect(nodeHash(right, left).equals(node)).toBe(false);
    expect(leafHash(new Uint8Array()).equals(EMPTY_ROOT)).toBe(false);
  });
});

describe('known answers from the RFC 6962 reference tree', () => {
  it.each(ROOTS.map((root, i) => [i + 1, root] as const))('root of the first %i leaves is %s', (size, root) => {
    expect(rootFromLeafHashes(LEAVES.slice(0, size)).toString('hex')).toBe(root);
    expect(rootOfRange(LEAVES, 0, size).toString('hex')).toBe(root);
  });

  it.each(INCLUSION_VECTORS)('inclusion proof for leaf $index in a tree of $size', ({ index, size, path }) => {
    const leaves = LEAVES.slice(0, size);
    expect(toHex(inclusionProof(leaves, index))).toEqual(path);
    const proof = hexes(...path);
    const leaf = LEAVES[index] as Buffer;
    expect(verifyInclusion(leaf, index, size, proof, rootOfFirst(size))).toBe(true);
    expect(acceptedInclusionTamperings(leaf, index, size, proof, rootOfFirst(size))).toEqual([]);
  });

  it.each(CONSISTENCY_VECTORS)('consistency proof from $oldSize to $newSize', ({ oldSize, newSize, proof: expected }) => {
    expect(toHex(consistencyProof(LEAVES.slice(0, newSize), oldSize))).toEqual(expected);
    const proof = hexes(...expected);
    expect(verifyConsistency(oldSize, newSize, rootOfFirst(oldSize), rootOfFirst(newSize), proof)).toBe(true);
    if (proof.length > 0) {
      expect(acceptedConsistencyTamperings(oldSize, newSize, rootOfFirst(oldSize), rootOfFirst(newSize), proof)).toEqual([]);
    }
  });

  it('rejects every single-bit change of a known proof', () => {
    const inclusion = hexes(...(INCLUSION_VECTORS[2] as { path: string[] }).path); // leaf 5 of 8
    const consistency = hexes(...(CONSISTENCY_VECTORS[2] as { proof: string[] }).proof); // 6 → 8
    for (let i = 0; i < 3; i++) {
      for (let bit = 0; bit < 256; bit++) {
        const badInclusion = replaceAt(inclusion, i, flipBit(inclusion[i] as Buffer, bit));
        expect(verifyInclusion(LEAVES[5] as Buffer, 5, 8, badInclusion, rootOfFirst(8))).toBe(false);
        const badConsistency = replaceAt(consistency, i, flipBit(consistency[i] as Buffer, bit));
        expect(verifyConsistency(6, 8, rootOfFirst(6), rootOfFirst(8), badConsistency)).toBe(false);
      }
    }
  });
});

describe('every tree of 1..64 leaves', () => {
  const all = makeLeaves(64);
  const roots = Array.from({ length: 65 }, (_, n) => referenceRoot(all.slice(0, n)));

  it('roots equal the recursive definition of MTH', () => {
    for (let n = 0; n <= 64; n++) expect(rootFromLeafHashes(all.slice(0, n)).equals(roots[n] as Buffer)).toBe(true);
    for (let start = 0; start <= 64; start += 7) {
      for (let end = start; end <= 64; end += 5) {
        expect(rootOfRange(all, start, end).equals(referenceRoot(all.slice(start, end)))).toBe(true);
      }
    }
  });

  it('every inclusion proof equals PATH, verifies, and fails when tampered with', () => {
    for (let n = 1; n <= 64; n++) {
      const leaves = all.slice(0, n);
      const root = roots[n] as Buffer;
      for (let index = 0; index < n; index++) {
        const proof = inclusionProof(leaves, index);
        expect(toHex(proof)).toEqual(toHex(referencePath(index, leaves)));
        expect(verifyInclusion(leaves[index] as Buffer, index, n, proof, root)).toBe(true);
        expect(acceptedInclusionTamperings(leaves[index] as Buffer, index, n, proof, root), `leaf ${index} of ${n}`).toEqual([]);
      }
    }
  });

  it('every consistency proof equals PROOF, verifies, and fails when tampered with', () => {
    for (let n = 1; n <= 64; n++) {
      const leaves = all.slice(0, n);
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProof(leaves, m);
        expect(toHex(proof)).toEqual(toHex(referenceSubproof(m, leaves, true)));
        const [oldRoot, newRoot] = [roots[m] as Buffer, roots[n] as Buffer];
        expect(verifyConsistency(m, n, oldRoot, newRoot, proof)).toBe(true);
        if (m === n) {
          expect(proof).toEqual([]);
          expect(verifyConsistency(m, n, oldRoot, newRoot, [oldRoot])).toBe(false);
          if (m > 1) expect(verifyConsistency(m, n, roots[m - 1] as Buffer, newRoot, [])).toBe(false);
        } else {
          expect(acceptedConsistencyTamperings(m, n, oldRoot, newRoot, proof), `${m} → ${n}`).toEqual([]);
        }
      }
    }
  });
});

describe('larger trees', () => {
  it('1000 leaves: sampled inclusion and consistency proofs verify and resist tampering', () => {
    const leaves = makeLeaves(1000);
    const root = rootFromLeafHashes(leaves);
    expect(root.equals(referenceRoot(leaves))).toBe(true);
    for (const index of [0, 1, 2, 255, 256, 499, 511, 512, 513, 767, 992, 998, 999]) {
      const proof = inclusionProof(leaves, index);
      expect(toHex(proof)).toEqual(toHex(referencePath(index, leaves)));
      expect(verifyInclusion(leaves[index] as Buffer, index, 1000, proof, root)).toBe(true);
      expect(acceptedInclusionTamperings(leaves[index] as Buffer, index, 1000, proof, root), `leaf ${index}`).toEqual([]);
    }
    for (const oldSize of [1, 2, 3, 7, 64, 255, 500, 511, 512, 513, 768, 999]) {
      const proof = consistencyProof(leaves, oldSize);
      const oldRoot = rootFromLeafHashes(leaves.slice(0, oldSize));
      expect(toHex(proof)).toEqual(toHex(referenceSubproof(oldSize, leaves, true)));
      expect(verifyConsistency(oldSize, 1000, oldRoot, root, proof)).toBe(true);
      expect(acceptedConsistencyTamperings(oldSize, 1000, oldRoot, root, proof), `${oldSize} → 1000`).toEqual([]);
    }
  });

  it('100,000 leaves: root, proofs and verification stay linear and do not overflow the stack', () => {
    const leaves = makeLeaves(100_000);
    const root = rootFromLeafHashes(leaves);
    expect(root.equals(referenceRoot(leaves))).toBe(true);
    const index = 77_777;
    expect(verifyInclusion(leaves[index] as Buffer, index, 100_000, inclusionProof(leaves, index), root)).toBe(true);
    const oldSize = 65_537;
    const oldRoot = rootOfRange(leaves, 0, oldSize);
    expect(verifyConsistency(oldSize, 100_000, oldRoot, root, consistencyProof(leaves, oldSize))).toBe(true);
  });
});

describe('malformed input', () => {
  const leaves = LEAVES;
  const root = rootOfFirst(8);
  const leaf = LEAVES[5] as Buffer;
  const proof = inclusionProof(leaves, 5);

  it('proof generation refuses out-of-range indexes and sizes with a RangeError', () => {
    for (const index of [-1, 8, 1.5, Number.NaN]) expect(() => inclusionProof(leaves, index)).toThrow(RangeError);
    expect(() => inclusionProof([], 0)).toThrow(RangeError);
    for (const oldSize of [0, 9, -1, 2.5, Number.NaN]) expect(() => consistencyProof(leaves, oldSize)).toThrow(RangeError);
    expect(() => rootOfRange(leaves, 3, 2)).toThrow(RangeError);
    expect(() => rootOfRange(leaves, 0, 9)).toThrow(RangeError);
  });

  it('inclusion verification returns false, never throws', () => {
    const bad: Parameters<typeof verifyInclusion>[] = [
      [leaf, 5, 8, proof, root.subarray(1)],
      [leaf.subarray(0, 31), 5, 8, proof, root],
      [leaf, 5, 8, [...proof.slice(0, 2), Buffer.alloc(33)], root],
      [leaf, 5, 8, [proof[0] as Buffer, undefined as unknown as Buffer, proof[2] as Buffer], root],
      [leaf, 5, 8, null as unknown as Buffer[], root],
      [leaf, 5, 8, proof, undefined as unknown as Buffer],
      [leaf, -1, 8, proof, root],
      [leaf, 5.5, 8, proof, root],
      [leaf, Number.NaN, 8, proof, root],
      [leaf, 5, Number.POSITIVE_INFINITY, proof, root],
      [leaf, 8, 8, proof, root],
      [leaf, 0, 0, [], EMPTY_ROOT],
      [leaf, 5, 2 ** 53, proof, root],
    ];
    for (const call of bad) expect(verifyInclusion(...call)).toBe(false);
  });

  it('consistency verification returns false, never throws', () => {
    const proof68 = consistencyProof(leaves, 6);
    const root6 = rootOfFirst(6);
    const bad: Parameters<typeof verifyConsistency>[] = [
      [8, 6, root, root6, proof68],
      [6, 8, root6.subarray(1), root, proof68],
      [6, 8, root6, root, [...proof68.slice(0, 2), Buffer.alloc(31)]],
      [6, 8, root6, root, null as unknown as Buffer[]],
      [6, 8, root6, undefined as unknown as Buffer, proof68],
      [-1, 8, root6, root, proof68],
      [6.5, 8, root6, root, proof68],
      [6, Number.NaN, root6, root, proof68],
      [6, 2 ** 53, root6, root, proof68],
      // RFC 9162 defines no proof from the empty tree.
      [0, 8, EMPTY_ROOT, root, []],
      [0, 8, EMPTY_ROOT, root, proof68],
      // equal sizes need equal roots and an empty proof
      [8, 8, root, rootOfFirst(7), []],
      [8, 8, root, root, [root]],
    ];
    for (const call of bad) expect(verifyConsistency(...call)).toBe(false);
    expect(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])).toBe(true);
  });
});
