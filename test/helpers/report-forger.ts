/**
 * The forgery issue 13 names ("ten lines of Python"): flip the newest report of a directory to pass, re-hash it,
 * rewrite its audit line (hash and outcome) and re-link every line after it. Hashes alone cannot tell; only a key can.
 */
import { execFileSync } from 'node:child_process';

const FORGER = `
import hashlib, json, os, sys
d = sys.argv[1]
log = os.path.join(d, 'audit.log.jsonl')
lines = open(log).read().splitlines()
name = [json.loads(l)['report']['file'] for l in lines if json.loads(l).get('report')][-1]
r = json.load(open(os.path.join(d, name)))
r['outcome'] = 'pass'
for c in r['checks']: c['status'] = 'pass'
r['summary'] = {'pass': len(r['checks']), 'fail': 0, 'warn': 0, 'error': 0, 'skipped': 0}
data = (json.dumps(r, indent=2) + '\\n').encode()
open(os.path.join(d, name), 'wb').write(data)
out, prev = [], None
for line in lines:
    rec = json.loads(line)
    if rec.get('report') and rec['report']['file'] == name:
        rec['report']['sha256'] = hashlib.sha256(data).hexdigest(); rec['outcome'] = 'pass'
    if prev is not None: rec['previousLineSha256'] = hashlib.sha256(prev.encode()).hexdigest()
    line = json.dumps(rec, separators=(',', ':'), ensure_ascii=False); out.append(line); prev = line
open(log, 'w').write('\\n'.join(out) + '\\n')
`;

/** Runs the forger (real python3) on a report directory, in place. */
export function forgeNewestReport(dir: string): void {
  execFileSync('python3', ['-c', FORGER, dir]);
}
