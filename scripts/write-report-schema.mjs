// Writes schemas/report.schema.json (shipped in the package) from the zod schema in src/report/report-schema.ts,
// so the published JSON Schema is generated from the same definition the tool parses reports with.
import { mkdirSync, writeFileSync } from 'node:fs';
import { reportJsonSchema } from '../dist/report/report-schema.js';

const target = new URL('../schemas/report.schema.json', import.meta.url);
mkdirSync(new URL('.', target), { recursive: true });
writeFileSync(target, `${JSON.stringify(reportJsonSchema(), null, 2)}\n`);
