/**
 * What an append does when the spool is at its size cap:
 * - `reject`: throw SpoolFullError at once (ingest answers 503);
 * - `block`: wait (first come, first served) until acknowledgements free room, up to a timeout;
 * - `drop-oldest`: delete the oldest segment(s) and count the records lost (log shipping).
 */
export type SpoolFullPolicy = 'reject' | 'block' | 'drop-oldest';

/** How a {@link FileSpool} is opened. */
export interface FileSpoolOptions {
  /** The spool's own directory (created when missing), e.g. `${DATA_DIR}/spool/ingest`. */
  readonly directory: string;
  /** Cap on unacknowledged bytes (framed). Default 1 GiB. */
  readonly maxBytes?: number;
  /** A segment is closed and a new one started once it would grow past this. Default 8 MiB. */
  readonly segmentBytes?: number;
  /** Default `reject`. */
  readonly fullPolicy?: SpoolFullPolicy;
  /** How long an append waits for room under `block`. Default 5 s. */
  readonly blockTimeoutMs?: number;
}

/** Defaults of {@link FileSpoolOptions}. */
export const FILE_SPOOL_DEFAULTS = {
  maxBytes: 1024 * 1024 * 1024,
  segmentBytes: 8 * 1024 * 1024,
  fullPolicy: 'reject',
  blockTimeoutMs: 5_000,
} as const satisfies Omit<Required<FileSpoolOptions>, 'directory'>;

/**
 * A position in the spool, just after the last record of a batch. Valid only for the spool
 * instance that produced it (`seq` counts records from the moment the spool was opened).
 */
export interface SpoolCursor {
  readonly segment: number;
  readonly offset: number;
  readonly seq: number;
}

/** The oldest unacknowledged records, in append order, and the cursor that acknowledges them. */
export interface SpoolBatch<T> {
  readonly records: T[];
  readonly bytes: number;
  readonly cursor: SpoolCursor;
}

/** Counters and sizes of a spool, for stats and metrics. */
export interface FileSpoolStats {
  /** Unacknowledged records on disk. */
  readonly depth: number;
  /** Unacknowledged bytes on disk plus appends being written. */
  readonly bytes: number;
  readonly maxBytes: number;
  readonly fullPolicy: SpoolFullPolicy;
  /** True while appends are being refused for lack of room (until room is freed). */
  readonly full: boolean;
  readonly segments: number;
  /** Records appended (resolved appends) since open. */
  readonly appended: number;
  /** fsyncs of segment data since open: one per group commit. */
  readonly syncs: number;
  /** Records deleted unacknowledged by `drop-oldest`. */
  readonly dropped: number;
  /** Records found unreadable (checksum) in a sealed segment and skipped. */
  readonly corrupted: number;
  /** Bytes of a torn tail cut off when the spool was opened. */
  readonly tornBytes: number;
  /**
   * Epoch ms when the oldest unacknowledged record was written (for records recovered at open,
   * its segment file's last modification); undefined when the spool is empty.
   */
  readonly oldestAppendedAt?: number;
}
