/**
 * Validates JUnit XML with Debian's xmllint (libxml2-utils) against the Ant JUnit XSD copied into
 * test/fixtures/junit (see its README for where it comes from).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const JUNIT_XSD = join(import.meta.dirname, '../fixtures/junit/JUnit.xsd');

/** xmllint's verdict on a file: `ok` and its stderr (which names the line of any problem). */
export function xmllintFile(path: string): { ok: boolean; stderr: string } {
  const run = spawnSync('xmllint', ['--noout', '--nonet', '--schema', JUNIT_XSD, path], { encoding: 'utf8' });
  if (run.error) throw new Error(`xmllint could not run (${run.error.message}): install libxml2-utils`);
  return { ok: run.status === 0, stderr: run.stderr };
}

export function xmllintText(xml: string): { ok: boolean; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'restorecheck-junit-'));
  try {
    const path = join(dir, 'report.xml');
    writeFileSync(path, xml);
    return xmllintFile(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
