/** How a provision state reads at a glance: failed, busy (a transition under way), settled. */
export function stateTone(state: string): 'bad' | 'busy' | 'good' | 'idle' {
  if (state.endsWith('failed') || state === 'error') return 'bad';
  if (state === 'active') return 'good';
  if (['enroll', 'manageable', 'available', 'rescue', 'clean hold', 'deploy hold', 'service hold'].includes(state))
    return 'idle';
  return 'busy';
}

export function isFailed(state: string): boolean {
  return stateTone(state) === 'bad';
}

export function ProvisionState({ state, target }: { state: string; target?: string | null }) {
  return (
    <span class={`state state-${stateTone(state)}`} data-testid="provision-state">
      {state}
      {target ? <span class="target"> → {target}</span> : null}
    </span>
  );
}

/** `power on` → on; none known → unknown. */
export function powerKey(power: string | null): string {
  return power === null ? 'unknown' : power.replace(/^power /, '');
}

export function testKey(text: string): string {
  return text.replace(/\s+/g, '-');
}
