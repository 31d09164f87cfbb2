import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redactor, maskUrl } from '../../src/secrets/redact.js';

describe('redaction', () => {
  it('masks registered secrets, raw and percent-encoded', () => {
    const r = new Redactor();
    r.add('p@ss/word');
    assert.equal(r.redact('a p@ss/word b p%40ss%2Fword c'), 'a *** b *** c');
  });

  it('masks secret shapes it was never told about', () => {
    const r = new Redactor();
    const text = [
      'postgres://app:hunter22@db:5432/x',
      'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc123==;EndpointSuffix=core',
      'https://a.blob.core.windows.net/c/b?sv=2024&sig=AbC%2Bdef&se=1',
      'Authorization: Bearer eyJhbGciOi.payload.sig',
      'client_secret=zzz',
    ].join('\n');
    const out = r.redact(text);
    for (const secret of ['hunter22', 'abc123==', 'AbC%2Bdef', 'eyJhbGciOi', 'zzz']) assert.ok(!out.includes(secret), `${secret} leaked: ${out}`);
    assert.match(out, /postgres:\/\/app:\*\*\*@db:5432\/x/);
  });

  it('masks a JWT wherever it appears (an Entra token used as a PostgreSQL password, echoed by a library)', () => {
    const jwt = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL29zc3JkYm1zLWFhZCJ9.c2lnbmF0dXJl-_x';
    const out = new Redactor().redact(`connect failed (password "${jwt}") for user ci`);
    assert.equal(out, 'connect failed (password "***") for user ci');
    // Not every dotted word is a token.
    assert.equal(new Redactor().redact('eyJ.eyJ.x and v1.2.3'), 'eyJ.eyJ.x and v1.2.3');
  });

  it('maskUrl keeps everything but the password', () => {
    assert.equal(maskUrl('postgres://app:secret@db.example:5432/app?sslmode=verify-full'), 'postgres://app:***@db.example:5432/app?sslmode=verify-full');
  });
});
