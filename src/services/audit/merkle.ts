// The RFC 9162 Merkle tree over a log's records, kept as its compact range (the "frontier"): the
// roots of the perfect subtrees that make up the first `size` leaves, largest first, one per set
// bit of `size`. Appending a leaf and computing the tree head are O(log n), and a frontier written
// into a signed checkpoint lets the tree continue after the leaves it covers are deleted.
//   leaf hash = SHA-256(0x00 ‖ entry), node hash = SHA-256(0x01 ‖ left ‖ right), empty tree = SHA-256("").

export type Sha256 = (data: Uint8Array) => Uint8Array;

export function leafHash(sha256: Sha256, entry: Uint8Array): Uint8Array {
  const input = new Uint8Array(entry.length + 1);
  input.set(entry, 1);
  return sha256(input);
}

export function nodeHash(sha256: Sha256, left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(65);
  input[0] = 1;
  input.set(left, 1);
  input.set(right, 33);
  return sha256(input);
}

/** Number of perfect subtrees in the compact range of a tree of `size` leaves. */
export function frontierLength(size: number): number {
  let n = 0;
  for (let s = size; s > 0; s = Math.floor(s / 2)) n += s % 2;
  return n;
}

export class Frontier {
  readonly #sha256: Sha256;
  #size: number;
  /** Subtree roots, largest (leftmost) first; `#heights[i]` is the height of `#hashes[i]`. */
  #hashes: Uint8Array[];
  #heights: number[];

  /** A tree of `size` leaves given by its compact range (throws if the range has the wrong shape). */
  constructor(sha256: Sha256, size = 0, hashes: readonly Uint8Array[] = []) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`a tree size must be a non-negative integer, got ${size}`);
    if (hashes.length !== frontierLength(size)) throw new RangeError(`a tree of ${size} leaves has ${frontierLength(size)} subtree roots, not ${hashes.length}`);
    if (hashes.some((h) => h.length !== 32)) throw new RangeError('subtree roots are 32-byte hashes');
    this.#sha256 = sha256;
    this.#size = size;
    this.#hashes = hashes.map((h) => h.slice());
    this.#heights = [];
    for (let bit = 52; bit >= 0; bit--) if (Math.floor(size / 2 ** bit) % 2 === 1) this.#heights.push(bit);
  }

  get size(): number {
    return this.#size;
  }

  get hashes(): readonly Uint8Array[] {
    return this.#hashes.map((h) => h.slice());
  }

  /** Adds the leaf whose entry is `entry`. */
  append(entry: Uint8Array): void {
    let hash = leafHash(this.#sha256, entry), height = 0;
    while (this.#heights.length > 0 && this.#heights[this.#heights.length - 1] === height) {
      hash = nodeHash(this.#sha256, this.#hashes.pop()!, hash);
      this.#heights.pop();
      height++;
    }
    this.#hashes.push(hash);
    this.#heights.push(height);
    this.#size++;
  }

  /** The tree head (RFC 9162 MTH) of the leaves so far. */
  root(): Uint8Array {
    if (this.#hashes.length === 0) return this.#sha256(new Uint8Array(0));
    let root = this.#hashes[this.#hashes.length - 1]!;
    for (let i = this.#hashes.length - 2; i >= 0; i--) root = nodeHash(this.#sha256, this.#hashes[i]!, root);
    return root;
  }

  clone(): Frontier {
    return new Frontier(this.#sha256, this.#size, this.#hashes);
  }
}
