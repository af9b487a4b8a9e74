import { describe, expect, it } from 'vitest';
import { outlastOutage } from '../../../../services/db/index.js';

describe('outlastOutage', () => {
  it('reads again while the database cannot serve, then answers', async () => {
    let calls = 0;
    const answer = await outlastOutage(async () => {
      if (++calls < 3) throw Object.assign(new Error('terminating connection'), { code: '57P01' });
      return 'host';
    }, 5_000);
    expect(answer).toBe('host');
    expect(calls).toBe(3);
  });

  it('gives up after its time, with the database error', async () => {
    const started = Date.now();
    await expect(
      outlastOutage(async () => {
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      }, 400),
    ).rejects.toThrow('ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('never retries any other error', async () => {
    let calls = 0;
    await expect(
      outlastOutage(async () => {
        calls++;
        throw new TypeError('a bug');
      }, 5_000),
    ).rejects.toThrow('a bug');
    expect(calls).toBe(1);
  });
});
