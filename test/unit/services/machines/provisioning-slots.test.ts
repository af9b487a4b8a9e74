import { describe, expect, it } from 'vitest';
import { ProvisioningSlots } from '../../../../services/machines/provisioning-slots.js';

/** Slots over a counter the started work raises, and a clock the test moves. */
function rig(limit: number) {
  const state = { atWork: 0, counts: 0, now: 0 };
  const slots = new ProvisioningSlots(
    limit,
    async () => {
      state.counts += 1;
      return state.atWork;
    },
    () => state.now,
  );
  const start = () => async () => {
    // A request that takes a moment before the host shows as at work.
    await new Promise((resolve) => setTimeout(resolve, 5));
    state.atWork += 1;
  };
  return { slots, state, start };
}

describe('ProvisioningSlots', () => {
  it('starts at most `limit` at once, even when every take is asked together', async () => {
    const { slots, state, start } = rig(3);
    const started = await Promise.all(Array.from({ length: 10 }, () => slots.take(start())));
    expect(started.filter(Boolean)).toHaveLength(3);
    expect(state.atWork).toBe(3);
  });

  it('believes a full count for a second without asking again, then counts afresh', async () => {
    const { slots, state } = rig(1);
    state.atWork = 1;
    expect(await slots.mayBeFree()).toBe(false);
    const counted = state.counts;
    state.atWork = 0;
    state.now = 999;
    expect(await slots.mayBeFree()).toBe(false);
    expect(state.counts).toBe(counted);
    state.now = 1000;
    expect(await slots.mayBeFree()).toBe(true);
    expect(state.counts).toBe(counted + 1);
  });

  it('keeps going after a start that threw', async () => {
    const { slots, state, start } = rig(2);
    await expect(slots.take(async () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(await slots.take(start())).toBe(true);
    expect(state.atWork).toBe(1);
  });
});
