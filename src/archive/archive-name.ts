/**
 * The self-hosted archive naming convention (contract.md, "The self-hosted archive format"):
 * `<name>_<environment>_<YYYYMMDD>_<HHMMSS>.tar.gz`, UTC, with `<file>.sha256` beside it.
 * The environment is the second field from the right of the date, so a name may hold underscores
 * but an environment may not.
 */

export interface ArchiveName {
  /** The file name, e.g. `medicapp_production_20261121_030000.tar.gz`. */
  fileName: string;
  /** The file name without `.tar.gz`: the name of the one top folder inside. */
  stem: string;
  name: string;
  environment: string;
  /** From the file name, UTC. */
  timestamp: Date;
}

export const ARCHIVE_SUFFIX = '.tar.gz';
export const SIDECAR_SUFFIX = '.sha256';

const PATTERN = /^(.+)_([A-Za-z0-9.-]+)_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})\.tar\.gz$/;

/** Parses a file name; undefined when it does not follow the convention or names an impossible date. */
export function parseArchiveName(fileName: string): ArchiveName | undefined {
  const m = PATTERN.exec(fileName);
  if (!m) return undefined;
  const [, name, environment, y, mo, d, h, mi, s] = m as unknown as [string, string, string, string, string, string, string, string, string];
  const timestamp = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  // Date.UTC rolls 20261332 over into the next year: a round trip catches impossible dates.
  const roundTrip = timestamp.toISOString().replace(/[-:]/g, '').slice(0, 15);
  if (roundTrip !== `${y}${mo}${d}T${h}${mi}${s}`) return undefined;
  return { fileName, stem: fileName.slice(0, -ARCHIVE_SUFFIX.length), name, environment, timestamp };
}

/** The stem (top folder name) of any `*.tar.gz` file name, conventional or not. */
export function archiveStem(fileName: string): string {
  return fileName.endsWith(ARCHIVE_SUFFIX) ? fileName.slice(0, -ARCHIVE_SUFFIX.length) : fileName;
}
