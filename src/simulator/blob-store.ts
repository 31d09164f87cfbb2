/**
 * What the blob data plane holds: per account and container, each blob's base blob, its versions and what soft
 * delete keeps, with the rules Azure documents (Microsoft Learn: "Soft delete for blobs", "Blob versioning",
 * "Delete Blob", "Undelete Blob"), driven by the account's blobService settings (the ones Resource Manager serves):
 * - versioning off, soft delete off: a delete is final;
 * - versioning off, soft delete on (N days): a deleted base blob is kept, soft-deleted, N days; Undelete restores it;
 * - versioning on: every Put makes a version; deleting the base blob leaves its versions (no current version) and
 *   Undelete does not bring the base back (promote a version by re-putting it); deleting a version soft-deletes it
 *   with soft delete on (Undelete restores it) and removes it otherwise.
 * Soft-deleted data expires N days (simulator clock) after its deletion, checked at each request. Not modelled:
 * snapshots (so an overwrite with soft delete on and versioning off keeps no soft-deleted snapshot, as Azure would),
 * leases, metadata, tiers, conditional headers, and the lifecycle policy (served by Resource Manager, never run).
 */
import { createHash } from 'node:crypto';
import { BlobHttpError, blobNotFound } from './blob-http.js';
import type { ScenarioStorageAccount } from './scenario.js';

const DAY = 86_400_000;

/** One state of a blob's content and system properties. */
export interface BlobContent {
  content: Buffer;
  contentType: string;
  contentMd5: Buffer;
  etag: string;
  created: Date;
  lastModified: Date;
}

export interface StoredVersion extends BlobContent {
  versionId: string;
  /** Soft-deleted at; the version is gone `retentionDays` later. */
  deletedAt?: Date;
  retentionDays?: number;
}

interface BlobEntry {
  /** The base blob; versionId: the version it is (versioning on). Absent: deleted, or only versions remain. */
  base?: BlobContent & { versionId?: string };
  /** The soft-deleted base blob (versioning off, soft delete on). */
  deletedBase?: BlobContent & { deletedAt: Date; retentionDays: number };
  /** Oldest first. */
  versions: StoredVersion[];
}

/** One `<Blob>` of List Blobs. */
export interface ListedBlob {
  name: string;
  blob: BlobContent;
  deleted: boolean;
  versionId?: string;
  isCurrentVersion?: boolean;
  hasVersionsOnly?: boolean;
  deletedAt?: Date;
  remainingRetentionDays?: number;
}

export interface ListOptions {
  prefix: string;
  deleted: boolean;
  versions: boolean;
  deletedWithVersions: boolean;
}

/** The settings that decide what a delete does. */
interface Policy {
  versioning: boolean;
  /** Soft-delete retention in days; 0: soft delete off. */
  retentionDays: number;
  allowPermanentDelete: boolean;
  purgeDeleted: boolean;
}

function policyOf(account: ScenarioStorageAccount): Policy {
  const retention = account.blobService.deleteRetentionPolicy;
  return {
    versioning: account.blobService.isVersioningEnabled === true,
    // Azure requires days with enabled: true; 7 is the portal's default when a scenario leaves it out.
    retentionDays: retention?.enabled ? (retention.days ?? 7) : 0,
    allowPermanentDelete: retention?.allowPermanentDelete === true,
    purgeDeleted: account.purgeDeleted === true,
  };
}

const md5 = (data: Buffer) => createHash('md5').update(data).digest();

export class BlobStore {
  /** account (lower case) → container (lower case) → blob name (case-sensitive, as in Azure) → entry. */
  private readonly accounts = new Map<string, Map<string, Map<string, BlobEntry>>>();
  /** 100 ns ticks of the last version id or ETag given, so that both strictly increase even on a frozen clock. */
  private lastTicks = 0n;

  constructor(private readonly now: () => Date) {}

  /** Ticks (100 ns since the epoch) of now, or one more than the last ones given. */
  private ticks(): bigint {
    const now = BigInt(this.now().getTime()) * 10_000n;
    this.lastTicks = now > this.lastTicks ? now : this.lastTicks + 1n;
    return this.lastTicks;
  }

  /** A version id as Azure writes them: the version's time with seven fractional digits (`2026-03-01T12:00:00.1234567Z`). */
  private versionId(ticks: bigint): string {
    const ms = Number(ticks / 10_000n);
    const extra = String(ticks % 10_000n).padStart(4, '0');
    return new Date(ms).toISOString().replace(/Z$/, `${extra}Z`);
  }

  private container(account: string, container: string): Map<string, BlobEntry> {
    const key = account.toLowerCase();
    const containers = this.accounts.get(key) ?? new Map<string, Map<string, BlobEntry>>();
    this.accounts.set(key, containers);
    const blobs = containers.get(container.toLowerCase()) ?? new Map<string, BlobEntry>();
    containers.set(container.toLowerCase(), blobs);
    return blobs;
  }

  /** Drops soft-deleted data whose retention has passed (the simulator clock), and entries left empty. */
  private expire(blobs: Map<string, BlobEntry>): void {
    const now = this.now().getTime();
    for (const [name, entry] of blobs) {
      if (entry.deletedBase && entry.deletedBase.deletedAt.getTime() + entry.deletedBase.retentionDays * DAY <= now) entry.deletedBase = undefined;
      entry.versions = entry.versions.filter((v) => !v.deletedAt || v.deletedAt.getTime() + (v.retentionDays ?? 0) * DAY > now);
      if (!entry.base && !entry.deletedBase && entry.versions.length === 0) blobs.delete(name);
    }
  }

  /** The container's blobs, expired data dropped. */
  private blobs(account: string, container: string): Map<string, BlobEntry> {
    const blobs = this.container(account, container);
    this.expire(blobs);
    return blobs;
  }

  /** Put Blob (BlockBlob): a new base blob, and a new version with versioning on. Overwrites. */
  put(account: ScenarioStorageAccount, container: string, name: string, content: Buffer, contentType: string, contentMd5?: Buffer) {
    const policy = policyOf(account);
    const blobs = this.blobs(account.name, container);
    const entry = blobs.get(name) ?? { versions: [] };
    blobs.set(name, entry);
    const ticks = this.ticks();
    const now = this.now();
    const blob: BlobContent = {
      content,
      contentType,
      contentMd5: contentMd5 ?? md5(content),
      etag: `"0x${(ticks + 0x8d000000000000n).toString(16).toUpperCase()}"`,
      // An overwrite keeps the blob's creation time; a blob put again after its deletion is a new blob.
      created: entry.base?.created ?? now,
      lastModified: now,
    };
    // Azure keeps the overwritten or soft-deleted base as a soft-deleted snapshot; snapshots are not modelled, so it goes.
    entry.deletedBase = undefined;
    if (policy.versioning) {
      const versionId = this.versionId(ticks);
      entry.versions.push({ ...blob, versionId });
      entry.base = { ...blob, versionId };
      return { blob, versionId };
    }
    entry.base = blob;
    return { blob, versionId: undefined };
  }

  /** Get Blob: the base blob, or one version (a soft-deleted one is not readable: 404, as for any other soft-deleted object). */
  get(
    account: ScenarioStorageAccount,
    container: string,
    name: string,
    versionId?: string,
  ): { blob: BlobContent; versionId?: string; isCurrentVersion?: boolean } {
    const entry = this.blobs(account.name, container).get(name);
    if (versionId !== undefined) {
      // A version id on an account without versioning: no version has it, so Azure answers as for any missing version.
      const version = entry?.versions.find((v) => v.versionId === versionId && !v.deletedAt);
      if (!version) throw blobNotFound();
      return { blob: version, versionId, isCurrentVersion: entry?.base?.versionId === versionId };
    }
    if (!entry?.base) throw blobNotFound();
    return { blob: entry.base, versionId: entry.base.versionId, isCurrentVersion: entry.base.versionId ? true : undefined };
  }

  /**
   * Delete Blob. Returns whether the data is gone for good (x-ms-delete-type-permanent). `permanent`: deletetype=permanent,
   * which Azure allows only on a soft-deleted version or snapshot of an account with allowPermanentDelete (else 409).
   */
  delete(account: ScenarioStorageAccount, container: string, name: string, versionId: string | undefined, permanent: boolean): { permanent: boolean } {
    const policy = policyOf(account);
    const blobs = this.blobs(account.name, container);
    const entry = blobs.get(name);
    const now = this.now();
    const drop = () => {
      if (entry && !entry.base && !entry.deletedBase && entry.versions.length === 0) blobs.delete(name);
    };
    if (permanent) {
      // Delete Blob, "Permanent delete": 409 when the feature is off, when neither versionid nor snapshot is given, or when
      // the version is not soft-deleted. The page names no codes: the last is the one Azure is reported to answer
      // (BlobSnapshotNotSoftDeleted); the first two are this simulator's choice of a self-explaining code.
      if (!policy.allowPermanentDelete) {
        throw new BlobHttpError(
          409,
          'PermanentDeleteNotEnabled',
          'Permanent delete is not enabled for this storage account (deleteRetentionPolicy.allowPermanentDelete).',
        );
      }
      if (versionId === undefined)
        throw new BlobHttpError(409, 'PermanentDeleteNotAllowed', 'Permanent delete applies only to a soft-deleted blob version or snapshot.');
      const version = entry?.versions.find((v) => v.versionId === versionId);
      if (!version) throw blobNotFound();
      if (!version.deletedAt) throw new BlobHttpError(409, 'BlobSnapshotNotSoftDeleted', 'The specified blob version is not soft-deleted.');
      entry!.versions = entry!.versions.filter((v) => v !== version);
      drop();
      return { permanent: true };
    }
    if (versionId !== undefined) {
      const version = entry?.versions.find((v) => v.versionId === versionId && !v.deletedAt);
      if (!version) throw blobNotFound();
      // The current version is the base blob: Azure refuses to delete it by its version id (delete the base blob instead).
      if (entry!.base?.versionId === versionId)
        throw new BlobHttpError(403, 'OperationNotAllowedOnRootBlob', 'This operation is not permitted on a root blob.');
      if (policy.retentionDays > 0 && !policy.purgeDeleted) {
        version.deletedAt = now;
        version.retentionDays = policy.retentionDays;
        return { permanent: false };
      }
      entry!.versions = entry!.versions.filter((v) => v !== version);
      drop();
      // purgeDeleted: soft-deleted by Azure, then purged by someone else at once; Azure's answer still says "soft".
      return { permanent: policy.retentionDays === 0 };
    }
    if (!entry?.base) throw blobNotFound();
    const base = entry.base;
    entry.base = undefined;
    if (policy.versioning) {
      // The current version becomes a previous version: nothing is deleted, so there is nothing for soft delete to keep.
      return { permanent: false };
    }
    if (policy.retentionDays > 0) {
      if (!policy.purgeDeleted) entry.deletedBase = { ...base, deletedAt: now, retentionDays: policy.retentionDays };
      drop();
      return { permanent: false };
    }
    drop();
    return { permanent: true };
  }

  /**
   * Undelete Blob: restores the blob's soft-deleted base blob (versioning off) and its soft-deleted versions. With
   * versioning on it does not make a version current again (Azure: promote one by copying it over the base blob).
   */
  undelete(account: ScenarioStorageAccount, container: string, name: string): void {
    const entry = this.blobs(account.name, container).get(name);
    if (!entry) throw blobNotFound();
    for (const version of entry.versions) {
      version.deletedAt = undefined;
      version.retentionDays = undefined;
    }
    if (entry.deletedBase && !entry.base) {
      const { deletedAt: _at, retentionDays: _days, ...blob } = entry.deletedBase;
      entry.base = blob;
    }
    entry.deletedBase = undefined;
  }

  /** List Blobs, one page, by name then version (oldest first). */
  list(account: ScenarioStorageAccount, container: string, options: ListOptions): ListedBlob[] {
    const blobs = this.blobs(account.name, container);
    const now = this.now().getTime();
    const remaining = (deletedAt: Date, days: number) => Math.max(0, Math.ceil((deletedAt.getTime() + days * DAY - now) / DAY));
    const names = [...blobs.keys()].filter((n) => n.startsWith(options.prefix)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const items: ListedBlob[] = [];
    for (const name of names) {
      const entry = blobs.get(name)!;
      if (options.versions) {
        for (const v of entry.versions) {
          if (v.deletedAt && !options.deleted) continue;
          const current = entry.base?.versionId === v.versionId;
          items.push({
            name,
            blob: v,
            deleted: v.deletedAt !== undefined,
            versionId: v.versionId,
            ...(current ? { isCurrentVersion: true } : {}),
            ...(v.deletedAt ? { deletedAt: v.deletedAt, remainingRetentionDays: remaining(v.deletedAt, v.retentionDays ?? 0) } : {}),
          });
        }
      } else if (entry.base) {
        items.push({ name, blob: entry.base, deleted: false, ...(entry.base.versionId ? { versionId: entry.base.versionId, isCurrentVersion: true } : {}) });
      } else if (options.deletedWithVersions && entry.versions.length > 0) {
        // include=deletedwithversions: a root blob with versions but no current version is listed once, with
        // HasVersionsOnly (as the SDK's tests expect), with its newest version's properties (the docs do not say which).
        items.push({ name, blob: entry.versions[entry.versions.length - 1]!, deleted: true, hasVersionsOnly: true });
      }
      if (options.versions && entry.base && !entry.base.versionId) items.push({ name, blob: entry.base, deleted: false });
      if (entry.deletedBase && options.deleted) {
        const d = entry.deletedBase;
        items.push({ name, blob: d, deleted: true, deletedAt: d.deletedAt, remainingRetentionDays: remaining(d.deletedAt, d.retentionDays) });
      }
    }
    return items;
  }
}
