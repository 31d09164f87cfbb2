import { type Hash, createHash } from 'node:crypto';

/** The facts of a MinIO volume (`objects`, `bytes`, `format`, `entries`), counted one way for the backup and the restore test. */
export const SYSTEM = '.minio.sys';
export const FORMAT_JSON = '.minio.sys/format.json';
/** How much of format.json is kept (it is a few hundred bytes). */
export const MAX_FORMAT_JSON = 64 * 1024;

/**
 * Counts what a MinIO volume holds, entry by entry: the backup as it writes data.tar.gz (minio.ts), the restore test
 * over the extracted folder (minio-restore.ts), so that both count the same way (the facts described in minio.ts).
 */
export class MinioTally {
  xlMeta = 0;
  files = 0;
  bytes = 0;
  entries = 0;
  private formatJson: Buffer[] = [];
  private formatJsonBytes = 0;
  /**
   * The content digest (`content_sha256`): the XOR of SHA-256(path, NUL, SHA-256(content)) over every file. It is
   * bounded (32 bytes for any number of objects, where a hash per object would not fit metadata.json) and does not
   * depend on the order the files are met in, so that the backup's walk and the restore test's agree; one object
   * missing, added, renamed or changed changes it. It detects damage; the archive's signature proves authenticity.
   */
  private readonly digest = Buffer.alloc(32);
  private digestFiles = 0;
  private current: { name: string; hash: Hash } | undefined;

  add(name: string, type: 'file' | 'directory', size: number): void {
    this.closeFile();
    if (type === 'file') this.current = { name, hash: createHash('sha256') };
    this.entries++;
    if (type !== 'file' || name === SYSTEM || name.startsWith(`${SYSTEM}/`)) return;
    this.files++;
    this.bytes += size;
    if (name === 'xl.meta' || name.endsWith('/xl.meta')) this.xlMeta++;
  }

  /** Keeps the first KB of `.minio.sys/format.json` as it passes. */
  see(name: string, chunk: Buffer): void {
    if (this.current?.name === name) this.current.hash.update(chunk);
    if (name !== FORMAT_JSON || this.formatJsonBytes >= MAX_FORMAT_JSON) return;
    this.formatJson.push(chunk);
    this.formatJsonBytes += chunk.length;
  }

  /** Folds the file being read into the content digest (its last chunk has been seen). */
  private closeFile(): void {
    if (!this.current) return;
    const { name, hash } = this.current;
    this.current = undefined;
    const entry = createHash('sha256').update(name).update('\0').update(hash.digest()).digest();
    for (let i = 0; i < 32; i++) this.digest[i]! ^= entry[i]!;
    this.digestFiles++;
  }

  facts() {
    this.closeFile();
    let declared: string | undefined;
    try {
      const parsed = JSON.parse(Buffer.concat(this.formatJson).toString('utf8')) as { format?: unknown };
      if (typeof parsed.format === 'string') declared = parsed.format;
    } catch {
      // no or unreadable format.json: the layout decides
    }
    // xl.meta files make it xl-single whatever format.json says; an empty xl volume is known by its format.json.
    const format: 'xl-single' | 'fs' = this.xlMeta > 0 || declared?.startsWith('xl') ? 'xl-single' : 'fs';
    return {
      objects: format === 'xl-single' ? this.xlMeta : this.files,
      bytes: this.bytes,
      format,
      entries: this.entries,
      content_sha256: this.digest.toString('hex'),
      content_files: this.digestFiles,
    };
  }
}
