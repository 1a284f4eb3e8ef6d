import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { recoveredAppendTimes, type AppendTimes } from './append-times';
import { writeCheckpoint } from './checkpoint';
import {
  FILE_SPOOL_DEFAULTS,
  type FileSpoolOptions,
  type FileSpoolStats,
  type SpoolBatch,
  type SpoolCursor,
  type SpoolFullPolicy,
} from './file-spool.options';
import { encodeRecords, FRAME_HEADER_BYTES } from './record-frame';
import { removeFile, segmentFileName, syncDirectory, writeFully } from './segment-files';
import { walkSegment } from './segment-walk';
import { Serial } from './serial';
import { SpaceQueue } from './space-queue';
import { SpoolClosedError, SpoolFullError, SpoolWriteError } from './spool.errors';
import { acquireSpoolLock } from './spool-lock';
import { recoverSpool, type Segment, type SpoolPosition } from './spool-recovery';

/** Default limits of {@link FileSpool.readBatch}. */
export const READ_BATCH_DEFAULTS = { maxRecords: 500, maxBytes: 512 * 1024 } as const;

interface PendingAppend {
  readonly buffer: Buffer;
  readonly count: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * A durable local queue of JSON records in append-only segment files (see record-frame.ts for
 * the framing). `append` resolves only after the records are fsynced; concurrent appends are
 * grouped into one write and one fsync (group commit). `readBatch` returns the oldest
 * unacknowledged records, `ack` persists the read position in a checkpoint file and deletes
 * segments that are fully acknowledged. Reopening the directory after a crash recovers every
 * append that resolved, in order; a torn tail is cut off.
 *
 * One reader at a time: `readBatch` always starts at the acknowledged position.
 */
export class FileSpool<T = unknown> {
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly policy: SpoolFullPolicy;
  private readonly blockTimeoutMs: number;
  /** Checkpoint changes, deletions and reads: they must not see each other half done. */
  private readonly meta = new Serial();
  private readonly space: SpaceQueue;
  private pending: PendingAppend[] = [];
  /** Reserved by appends not yet on disk. */
  private pendingBytes = 0;
  /** Sum of the segments' sizes. */
  private storedBytes: number;
  private nextSeq: number;
  private writerActive = false;
  private writerIdle: Promise<void> = Promise.resolve();
  private closing?: Promise<void>;
  private broken?: unknown;
  private full = false;
  private appended = 0;
  private syncs = 0;
  private dropped = 0;
  private corrupted = 0;

  private constructor(
    private readonly dir: string,
    options: FileSpoolOptions,
    private readonly segments: Segment[],
    private head: SpoolPosition,
    private writer: FileHandle,
    private readonly tornBytes: number,
    private readonly releaseLock: () => Promise<void>,
    private readonly appendTimes: AppendTimes,
  ) {
    this.maxBytes = options.maxBytes ?? FILE_SPOOL_DEFAULTS.maxBytes;
    this.segmentBytes = options.segmentBytes ?? FILE_SPOOL_DEFAULTS.segmentBytes;
    this.policy = options.fullPolicy ?? FILE_SPOOL_DEFAULTS.fullPolicy;
    this.blockTimeoutMs = options.blockTimeoutMs ?? FILE_SPOOL_DEFAULTS.blockTimeoutMs;
    this.storedBytes = segments.reduce((sum, segment) => sum + segment.size, 0);
    this.nextSeq = segments[segments.length - 1].endSeq;
    this.space = new SpaceQueue(
      (bytes) => this.tryReserve(bytes),
      (bytes, waitedMs) => {
        this.full = true;
        return new SpoolFullError(
          `no room for ${bytes} bytes in the spool after waiting ${waitedMs} ms`,
        );
      },
    );
    // An earlier run may have stopped with everything replayed: delete that segment now.
    if (this.activeDrained()) this.kickWriter();
  }

  /** Opens (creating or recovering) the spool in `options.directory`. */
  static async open<T = unknown>(options: FileSpoolOptions): Promise<FileSpool<T>> {
    assertPositive('maxBytes', options.maxBytes);
    assertPositive('segmentBytes', options.segmentBytes);
    assertPositive('blockTimeoutMs', options.blockTimeoutMs);
    const dir = options.directory;
    await mkdir(dir, { recursive: true });
    const releaseLock = await acquireSpoolLock(dir);
    try {
      const { segments, head, tornBytes } = await recoverSpool(dir);
      const appendTimes = await recoveredAppendTimes(segments);
      const writer = await open(segments[segments.length - 1].path, 'r+');
      return new FileSpool<T>(
        dir,
        options,
        segments,
        head,
        writer,
        tornBytes,
        releaseLock,
        appendTimes,
      );
    } catch (error) {
      await releaseLock();
      throw error;
    }
  }

  /**
   * Stores the records durably and in order; resolves after they are fsynced. Throws
   * SpoolFullError when there is no room (at once under `reject`, after the timeout under
   * `block`; under `drop-oldest` only for a batch larger than the whole cap).
   */
  append(records: readonly T[]): Promise<void> {
    try {
      this.assertWritable();
      if (records.length === 0) return Promise.resolve();
      const { buffer, count } = encodeRecords(records);
      const waiting = this.reserve(buffer.length);
      // Synchronous up to the queue when there is room, so an append made before close() is kept.
      if (!waiting) return this.enqueue(buffer, count);
      return waiting.then(() => {
        if (!this.closing) return this.enqueue(buffer, count);
        this.pendingBytes -= buffer.length;
        throw new SpoolClosedError();
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private enqueue(buffer: Buffer, count: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ buffer, count, resolve, reject });
      this.kickWriter();
    });
  }

  /**
   * The oldest unacknowledged records, in append order: at most `maxRecords`, and at most
   * `maxBytes` of frames (but always at least one record when any is stored).
   */
  readBatch(
    maxRecords: number = READ_BATCH_DEFAULTS.maxRecords,
    maxBytes: number = READ_BATCH_DEFAULTS.maxBytes,
  ): Promise<SpoolBatch<T>> {
    this.assertOpen();
    return this.meta.run(() => this.readFromHead(Math.max(1, maxRecords), maxBytes));
  }

  /**
   * Marks everything up to `cursor` as done: persists the position atomically and deletes the
   * segments before it. An older cursor than the current position is ignored.
   */
  ack(cursor: SpoolCursor): Promise<void> {
    this.assertOpen();
    return this.meta.run(async () => {
      if (cursor.seq <= this.head.seq) return;
      const segment = this.segments.find((s) => s.id === cursor.segment);
      if (!segment || cursor.seq > this.nextSeq || cursor.offset > segment.size) {
        throw new RangeError(`cursor ${JSON.stringify(cursor)} does not belong to this spool`);
      }
      await this.advanceHead({ segment: cursor.segment, offset: cursor.offset, seq: cursor.seq });
      if (this.activeDrained()) this.kickWriter();
    });
  }

  /** Unacknowledged records on disk. */
  depth(): number {
    return this.nextSeq - this.head.seq;
  }

  /** Unacknowledged bytes on disk plus appends being written: what the cap applies to. */
  bytes(): number {
    return this.storedBytes - this.head.offset + this.pendingBytes;
  }

  /** True while appends are refused for lack of room, or the cap is reached. */
  isFull(): boolean {
    return this.full || this.bytes() >= this.maxBytes;
  }

  /** Sizes and counters since open. */
  stats(): FileSpoolStats {
    return {
      depth: this.depth(),
      bytes: this.bytes(),
      maxBytes: this.maxBytes,
      fullPolicy: this.policy,
      full: this.isFull(),
      segments: this.segments.length,
      appended: this.appended,
      syncs: this.syncs,
      dropped: this.dropped,
      corrupted: this.corrupted,
      tornBytes: this.tornBytes,
      oldestAppendedAt: this.appendTimes.oldest(this.head.seq),
    };
  }

  /** Finishes the appends in progress, refuses new ones and releases the directory; idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.space.rejectAll(new SpoolClosedError());
    while (this.writerActive) await this.writerIdle;
    await this.meta.run(async () => undefined);
    await this.writer.close();
    await this.releaseLock();
  }

  private assertOpen(): void {
    if (this.closing) throw new SpoolClosedError();
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.broken) {
      throw new SpoolWriteError('the spool could not recover from a failed write', {
        cause: this.broken,
      });
    }
  }

  private reserve(bytes: number): Promise<void> | void {
    if (bytes > this.maxBytes) {
      throw new SpoolFullError(
        `a batch of ${bytes} bytes is larger than the spool's cap of ${this.maxBytes}`,
      );
    }
    if (this.policy === 'drop-oldest') {
      // Room is made by the writer, just before the batch is written.
      this.pendingBytes += bytes;
      return;
    }
    if (this.space.length === 0 && this.tryReserve(bytes)) return;
    if (this.policy === 'reject') {
      this.full = true;
      throw new SpoolFullError(`the spool is full (${this.bytes()} of ${this.maxBytes} bytes)`);
    }
    return this.space.wait(bytes, this.blockTimeoutMs);
  }

  private tryReserve(bytes: number): boolean {
    if (this.bytes() + bytes > this.maxBytes) return false;
    this.pendingBytes += bytes;
    return true;
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  private kickWriter(): void {
    if (this.writerActive) return;
    this.writerActive = true;
    this.writerIdle = this.writeLoop();
  }

  /**
   * Writes pending appends group by group: whatever queued up during one fsync shares the next.
   * Retires the segment being written once everything in it is acknowledged, here because only
   * the writer may switch segments.
   */
  private async writeLoop(): Promise<void> {
    try {
      for (;;) {
        if (this.activeDrained()) await this.retireActive();
        if (this.pending.length === 0) break;
        await this.writeGroup(this.takeGroup());
      }
    } finally {
      this.writerActive = false;
    }
  }

  /** True when the segment being written holds records and every one of them is acknowledged. */
  private activeDrained(): boolean {
    const active = this.active;
    return (
      !this.broken &&
      active.size > 0 &&
      this.head.segment === active.id &&
      this.head.offset === active.size
    );
  }

  /**
   * Starts a new segment and moves the acknowledged position to its start, which deletes the old
   * one: a replayed segment must not stay on disk until the next append happens to fill it. The
   * checkpoint is written before the delete, so a crash in between leaves a file that reopening
   * removes. A failure leaves the file for the next acknowledgement to retry.
   */
  private async retireActive(): Promise<void> {
    try {
      const drained = this.active;
      await this.roll();
      await this.meta.run(async () => {
        if (this.head.segment !== drained.id || this.head.offset !== drained.size) return;
        await this.advanceHead({ segment: this.active.id, offset: 0, seq: this.head.seq });
      });
    } catch {
      // Nothing is lost: the old segment stays acknowledged on disk until a later ack deletes it.
    }
  }

  private takeGroup(): PendingAppend[] {
    const limit = Math.min(this.segmentBytes, this.maxBytes);
    let bytes = this.pending[0].buffer.length;
    let count = 1;
    while (count < this.pending.length && bytes + this.pending[count].buffer.length <= limit) {
      bytes += this.pending[count].buffer.length;
      count++;
    }
    return this.pending.splice(0, count);
  }

  private async writeGroup(group: PendingAppend[]): Promise<void> {
    const bytes = group.reduce((sum, append) => sum + append.buffer.length, 0);
    const count = group.reduce((sum, append) => sum + append.count, 0);
    const writtenAt = Date.now();
    try {
      if (
        this.policy === 'drop-oldest' &&
        this.storedBytes - this.head.offset + bytes > this.maxBytes
      ) {
        await this.meta.run(() => this.dropUntilFits(bytes));
      }
      if (this.active.size > 0 && this.active.size + bytes > this.segmentBytes) await this.roll();
      const segment = this.active;
      await writeFully(
        this.writer,
        group.map((append) => append.buffer),
        segment.size,
      );
      // fdatasync: the data and the file size, which is all a reader after a crash needs.
      await this.writer.datasync();
      this.syncs++;
      segment.size += bytes;
      this.storedBytes += bytes;
      this.pendingBytes -= bytes;
      this.nextSeq += count;
      segment.endSeq = this.nextSeq;
      this.appendTimes.add(this.nextSeq, writtenAt);
      this.appended += count;
      for (const append of group) append.resolve();
    } catch (error) {
      this.pendingBytes -= bytes;
      const diskFull = (error as NodeJS.ErrnoException).code === 'ENOSPC';
      if (diskFull) this.full = true;
      const failure = diskFull
        ? new SpoolFullError('the disk under the spool is full', { cause: error })
        : new SpoolWriteError(`writing to the spool failed: ${String(error)}`, { cause: error });
      await this.recoverWriter(error);
      for (const append of group) append.reject(failure);
      this.space.release();
    }
  }

  /**
   * After a failed write or fsync: cut the segment back to its last synced frame and continue
   * in a new file, because after a failed fsync the page cache may no longer match the disk and a
   * retried fsync could falsely succeed. When even that fails, the spool refuses further appends.
   */
  private async recoverWriter(cause: unknown): Promise<void> {
    try {
      await this.writer.truncate(this.active.size);
      if (this.active.size > 0) await this.roll();
    } catch (error) {
      this.broken = new AggregateError([cause, error], 'spool writer could not recover');
    }
  }

  /** Seals the active segment and starts the next one. */
  private async roll(): Promise<void> {
    const id = this.active.id + 1;
    const path = join(this.dir, segmentFileName(id));
    const handle = await open(path, 'wx');
    try {
      await syncDirectory(this.dir);
    } catch (error) {
      await handle.close();
      await removeFile(path);
      throw error;
    }
    const previous = this.writer;
    this.writer = handle;
    this.segments.push({ id, path, size: 0, endSeq: this.nextSeq });
    await previous.close().catch(() => undefined);
  }

  /** `drop-oldest`: deletes whole segments, oldest first, until `bytes` more fit under the cap. */
  private async dropUntilFits(bytes: number): Promise<void> {
    while (this.storedBytes - this.head.offset + bytes > this.maxBytes && this.depth() > 0) {
      // The oldest segment is the one being written: seal it so that it can go as a whole.
      if (this.segments.length === 1) await this.roll();
      const [oldest, next] = this.segments;
      this.dropped += oldest.endSeq - this.head.seq;
      await this.advanceHead({ segment: next.id, offset: 0, seq: oldest.endSeq });
    }
  }

  /** Persists a new acknowledged position, then forgets and deletes the segments before it. */
  private async advanceHead(position: SpoolPosition): Promise<void> {
    await writeCheckpoint(this.dir, { segment: position.segment, offset: position.offset });
    // Bookkeeping first and in one go, so that concurrent capacity checks see consistent sizes.
    this.head = position;
    const gone: Segment[] = [];
    while (this.segments.length > 1 && this.segments[0].id < position.segment) {
      const segment = this.segments.shift()!;
      this.storedBytes -= segment.size;
      gone.push(segment);
    }
    this.full = false;
    this.space.release();
    // A crash before these deletes is harmless: reopening removes segments before the checkpoint.
    for (const segment of gone) await removeFile(segment.path);
  }

  private async readFromHead(maxRecords: number, maxBytes: number): Promise<SpoolBatch<T>> {
    const records: T[] = [];
    let bytes = 0;
    let position = this.head;
    for (let index = 0; index < this.segments.length; index++) {
      const segment = this.segments[index];
      const start = segment.id === position.segment ? position.offset : 0;
      if (start < segment.size) {
        const handle = await open(segment.path, 'r');
        let stop: string;
        try {
          ({ stop } = await walkSegment(handle, start, segment.size, (payload, frameEnd) => {
            const frameBytes = FRAME_HEADER_BYTES + payload.length;
            if (records.length >= maxRecords) return false;
            if (records.length > 0 && bytes + frameBytes > maxBytes) return false;
            records.push(JSON.parse(payload.toString('utf8')) as T);
            bytes += frameBytes;
            position = { segment: segment.id, offset: frameEnd, seq: position.seq + 1 };
            return true;
          }));
        } finally {
          await handle.close();
        }
        if (stop === 'limit') break;
        if (stop === 'corrupt' || stop === 'torn') {
          // These frames were whole when written or checked at open: the disk damaged them since.
          // Skip the rest of the segment rather than stall the reader forever, and count it.
          this.corrupted += segment.endSeq - position.seq;
          position = { segment: segment.id, offset: segment.size, seq: segment.endSeq };
        }
      }
      const next = this.segments[index + 1];
      if (!next) break;
      // Read to the end of a sealed segment: point into the next, so that acking deletes it.
      position = { segment: next.id, offset: 0, seq: position.seq };
      if (records.length >= maxRecords) break;
    }
    if (records.length === 0 && position.seq > this.head.seq) {
      // Only damaged records were found: move past them so the reader does not see them again.
      await this.advanceHead(position);
      return this.readFromHead(maxRecords, maxBytes);
    }
    return { records, bytes, cursor: position };
  }
}

function assertPositive(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
    throw new RangeError(`FileSpool option ${name} must be a positive integer, got ${value}`);
  }
}
