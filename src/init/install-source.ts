/**
 * Where the CI files `init` writes install restorecheck from (`init --install-from SOURCE`), and the exact version:
 * the one running init. Three kinds of source:
 *   npm                                    the npm registry, `restorecheck@<version>`
 *   git+https://host/owner/repo.git#vX.Y.Z a git repository at the version's tag (npm builds it through `prepare`)
 *   https://…/restorecheck-X.Y.Z.tgz       a release tarball (`npm pack`), by URL or by a path in the repository
 * Pure: nothing is contacted. Whatever the source, the install step then checks `restorecheck --version`.
 */
import { TOOL_VERSION } from '../version.js';

/**
 * Whether this version is on the npm registry. False until a release publishes it (the release flips it): while false,
 * `npm` is not offered as the default, because `npm install --global restorecheck@<version>` would 404 and the first
 * scheduled run would fail a month after init (CONTRIBUTING.md, "Releasing").
 */
export const ON_NPM_REGISTRY = false;

export type InstallKind = 'npm' | 'git' | 'tarball';

export interface InstallSource {
  kind: InstallKind;
  /** What npm installs, with this version written in (e.g. `restorecheck@0.1.0`, `git+https://…#v0.1.0`). */
  spec: string;
}

/** The help's and the question's one-line summary of what `--install-from` takes. */
export const INSTALL_FROM_FORMS = `npm, git+https://…/restorecheck.git#v${TOOL_VERSION}, or a restorecheck-${TOOL_VERSION}.tgz URL or repository path`;

const GIT_URL = /^git\+(https|ssh):\/\/[^\s#]+$/;

/**
 * SOURCE → the install spec, or the problem in one sentence. A git URL without `#ref` gets `#v<version>`; one with
 * another ref is refused (the workflow must install the version that wrote it, and a branch moves).
 */
export function parseInstallSource(text: string, version: string = TOOL_VERSION): { ok: true; source: InstallSource } | { ok: false; problem: string } {
  const value = text.trim();
  const tag = `v${version}`;
  if (value === 'npm') return { ok: true, source: { kind: 'npm', spec: `restorecheck@${version}` } };
  if (value.startsWith('git+')) {
    const [url, ref, ...more] = value.split('#');
    if (more.length > 0 || !GIT_URL.test(url!))
      return { ok: false, problem: `not a git URL npm can install: use git+https://HOST/OWNER/REPO.git#${tag} (or git+ssh://)` };
    if (ref === undefined || ref === '') return { ok: true, source: { kind: 'git', spec: `${url}#${tag}` } };
    if (ref !== tag)
      return {
        ok: false,
        problem: `the git ref must be the tag ${tag}, the version running init (not "${ref}": a branch or another tag installs another version)`,
      };
    return { ok: true, source: { kind: 'git', spec: value } };
  }
  if (/\.(tgz|tar\.gz)$/.test(value)) {
    const name = value.split(/[/\\]/).pop() ?? '';
    if (!name.includes(version))
      return { ok: false, problem: `the tarball's name must carry the version running init, ${version} (npm pack names it restorecheck-${version}.tgz)` };
    if (/^https:\/\/[^\s]+$/.test(value)) return { ok: true, source: { kind: 'tarball', spec: value } };
    if (/^[a-z][a-z0-9+.-]*:/i.test(value)) return { ok: false, problem: 'a tarball URL must be https://' };
    // A path: the runner checks out the repository, so it must be inside it, relative to its root.
    if (value.startsWith('/') || value.startsWith('~') || /^[A-Za-z]:[\\/]/.test(value) || value.split(/[/\\]/).includes('..'))
      return { ok: false, problem: `a tarball path must be relative to the repository root (the CI runner has only the checkout), e.g. vendor/${name}` };
    return { ok: true, source: { kind: 'tarball', spec: value.startsWith('./') ? value : `./${value}` } };
  }
  return { ok: false, problem: `must be ${INSTALL_FROM_FORMS}` };
}

/**
 * The install step's script, given how the pipeline spells the version variable (`$NAME` in bash, `$(NAME)` in Azure
 * DevOps): the version in the spec is that variable, so changing the variable upgrades (a tarball's name then has to
 * follow). Then it refuses to go on unless the installed binary is that version (a tarball renamed by hand, a moved tag).
 */
export function installScript(source: InstallSource, versionVariable: string, version: string = TOOL_VERSION): string {
  const spec = source.spec.split(version).join(versionVariable);
  return [
    `npm install --global "${spec}"`,
    `installed="$(restorecheck --version)"`,
    `if [ "$installed" != "${versionVariable}" ]; then echo "restorecheck $installed was installed, not ${versionVariable}" >&2; exit 2; fi`,
    '',
  ].join('\n');
}
