import {
  denseSketchBytes,
  EXACT_LIMIT,
  exactCount,
  exactSketchBytes,
  FORMAT_DENSE,
  FORMAT_EXACT,
  HEADER,
  readExactHashes,
  sketchFormat,
  SPARSE_LIMIT,
  sparseEntryAt,
  sparseSketchBytes,
} from './sketch-format';
import { HLL_REGISTERS, Q, registerUpdate, visitorUpdate } from './visitor-hashes';

/**
 * A sketch of one page-day's unique visitors: exact while small, a HyperLogLog beyond
 * (precision 14: 16 384 registers, ~0.81 % standard error, so 1 M visitors are estimated within
 * 2 % with high probability).
 *
 * Exact: up to EXACT_LIMIT (1,000) distinct visitors it holds their 64-bit hashes and counts them
 * (exact but for two visitors sharing a hash, about 3·10^-14 among 1,000). Most pages are small,
 * and a HyperLogLog of a few hundred visitors is off by a few. One visitor more and it becomes the
 * registers of all the hashes it held, so the registers are always those of every visitor ever
 * added, however the visitors were split and merged: merging stays a union (exact ∪ exact the
 * set union, exact into registers each hash raised, registers ∪ registers the register-wise max).
 *
 * Written here rather than taken from npm because the JS HyperLogLogs on the registry did not fit. `hyperloglog-lite` needs the native `murmurhash-native` addon (a
 * prebuilt-binary download at install time); `bloom-filters` (its HyperLogLog among many other
 * structures) serialises to JSON only, hashes with the pure-JS `xxhashjs` (slow per event), pulls
 * in lodash/seedrandom/reflect-metadata 0.1, and has no register-level access for merging stored
 * bytes; the small `hll`/`cardinality` packages are unmaintained. What the counter needs is small:
 * add, merge, a stable byte format for PostgreSQL and a good estimate. The hash is the maintained
 * `@node-rs/xxhash` (XXH3-64, native, prebuilt per platform on npm); node:crypto would be a
 * cryptographic hash per event, several times slower for nothing.
 *
 * Estimator: Otmar Ertl's "improved raw estimator" (New cardinality estimation algorithms for
 * HyperLogLog sketches, 2017), which is unbiased over the whole range without HLL++'s empirical
 * bias tables and without the linear-counting switch-over.
 *
 * Registers live sparse (a Map) while few are set and dense (Uint8Array) beyond that; the byte
 * format follows the same split (see sketch-format.ts).
 */
export class HyperLogLog {
  /** The distinct hashes while exact; undefined once the sketch holds registers. */
  private exact: Set<bigint> | undefined = new Set();
  private sparse: Map<number, number> | undefined;
  private dense: Uint8Array | undefined;

  /** Adds one visitor id. Returns whether the sketch changed. */
  add(visitorId: string): boolean {
    return this.apply(visitorUpdate(visitorId));
  }

  /** Adds a visitor by its hash from {@link visitorUpdate}. Returns whether the sketch changed. */
  apply(hash: bigint): boolean {
    const exact = this.exact;
    if (exact === undefined) return this.raise(registerUpdate(hash));
    if (exact.has(hash)) return false;
    exact.add(hash);
    if (exact.size > EXACT_LIMIT) this.toRegisters();
    return true;
  }

  /** The union with `other`'s visitors. Returns whether this changed. */
  merge(other: HyperLogLog): boolean {
    let changed = false;
    if (other.exact !== undefined) {
      for (const hash of other.exact) if (this.apply(hash)) changed = true;
      return changed;
    }
    if (this.exact !== undefined) {
      this.toRegisters();
      changed = true;
    }
    other.forEachRegister((index, rank) => {
      if (this.raise(index * 64 + rank)) changed = true;
    });
    return changed;
  }

  /** A new sketch of the union of both; neither is changed. */
  static union(a: HyperLogLog, b: HyperLogLog): HyperLogLog {
    const out = a.clone();
    out.merge(b);
    return out;
  }

  clone(): HyperLogLog {
    const copy = new HyperLogLog();
    copy.exact = this.exact && new Set(this.exact);
    copy.sparse = this.sparse && new Map(this.sparse);
    copy.dense = this.dense?.slice();
    return copy;
  }

  /** Whether the sketch still counts exactly (holds the hashes, not registers). */
  isExact(): boolean {
    return this.exact !== undefined;
  }

  /** The number of distinct ids added: exact while exact, estimated after (0 for an empty sketch). */
  estimate(): number {
    if (this.exact !== undefined) return this.exact.size;
    const counts = new Array<number>(Q + 2).fill(0);
    let set = 0;
    this.forEachRegister((_, rank) => {
      counts[rank]++;
      set++;
    });
    if (set === 0) return 0;
    counts[0] = HLL_REGISTERS - set;
    const m = HLL_REGISTERS;
    let z = m * tau(1 - counts[Q + 1] / m);
    for (let k = Q; k >= 1; k--) z = 0.5 * (z + counts[k]);
    z += m * sigma(counts[0] / m);
    return Math.round((m * m * (0.5 / Math.LN2)) / z);
  }

  /** The count of stored sketch bytes without building the sketch when they are exact. */
  static estimateOf(bytes: Uint8Array): number {
    if (sketchFormat(bytes) === FORMAT_EXACT) return exactCount(bytes);
    return HyperLogLog.fromBytes(bytes).estimate();
  }

  /** The stable byte form stored in `page_visitors_daily.hll` (see sketch-format.ts). */
  toBytes(): Buffer {
    if (this.exact !== undefined) return exactSketchBytes(BigUint64Array.from(this.exact).sort());
    if (this.dense) return denseSketchBytes(this.dense);
    const entries: number[] = [];
    for (const [index, rank] of this.sparse!) entries.push(index * 64 + rank);
    return sparseSketchBytes(entries.sort((a, b) => a - b));
  }

  /** Reads {@link toBytes}' form; throws on anything else (a corrupt row must not be overwritten). */
  static fromBytes(bytes: Uint8Array): HyperLogLog {
    const sketch = new HyperLogLog();
    const format = sketchFormat(bytes);
    if (format === FORMAT_EXACT) {
      const hashes = new BigUint64Array(exactCount(bytes));
      readExactHashes(bytes, hashes);
      sketch.exact = new Set(hashes);
      return sketch;
    }
    sketch.exact = undefined;
    if (format === FORMAT_DENSE) {
      sketch.dense = Uint8Array.from(bytes.subarray(HEADER));
      return sketch;
    }
    sketch.sparse = new Map();
    for (let at = HEADER; at < bytes.length; at += 3) sketch.raise(sparseEntryAt(bytes, at));
    return sketch;
  }

  /** Raises a register by a packed update (`index * 64 + rank`). */
  private raise(update: number): boolean {
    const index = update >>> 6;
    const rank = update & 63;
    if (this.dense) {
      if (this.dense[index] >= rank) return false;
      this.dense[index] = rank;
      return true;
    }
    const sparse = this.sparse!;
    const current = sparse.get(index) ?? 0;
    if (current >= rank) return false;
    sparse.set(index, rank);
    if (sparse.size > SPARSE_LIMIT) this.toDense();
    return true;
  }

  /** Turns the exact hashes into the registers they raise. */
  private toRegisters(): void {
    const hashes = this.exact!;
    this.exact = undefined;
    this.sparse = new Map();
    for (const hash of hashes) this.raise(registerUpdate(hash));
  }

  private toDense(): void {
    const dense = new Uint8Array(HLL_REGISTERS);
    for (const [index, rank] of this.sparse!) dense[index] = rank;
    this.dense = dense;
    this.sparse = undefined;
  }

  private forEachRegister(visit: (index: number, rank: number) => void): void {
    if (this.dense) {
      const dense = this.dense;
      for (let i = 0; i < dense.length; i++) if (dense[i] !== 0) visit(i, dense[i]);
    } else for (const [index, rank] of this.sparse!) visit(index, rank);
  }
}

/** Ertl's σ(x) = x + Σ x^(2^k) 2^(k-1). */
function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const previous = z;
    z += x * y;
    y += y;
    if (z === previous) return z;
  }
}

/** Ertl's τ(x) = (1 − x − Σ (1 − x^(2^-k))² 2^-k) / 3. */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const previous = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
    if (z === previous) return z / 3;
  }
}
