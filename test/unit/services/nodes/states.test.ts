import { describe, expect, it } from 'vitest';
import {
  ALL_STATES,
  INTERNAL_EVENTS,
  InvalidTransition,
  VERBS,
  isActionable,
  transition,
  type ProvisionEvent,
  type ProvisionState,
} from '../../../../services/nodes/states.js';

// The reference table (ironic-api.md §2), one line per allowed transition,
// written independently of the implementation's data structure.
const EXPECTED = `
enroll | manage | verifying
verifying | done | manageable
verifying | fail | enroll
manageable | provide | cleaning
manageable | clean | cleaning
manageable | inspect | inspecting
manageable | adopt | adopting
inspecting | done | manageable
inspecting | wait | inspect wait
inspecting | fail | inspect failed
inspect wait | done | manageable
inspect wait | resume | inspecting
inspect wait | fail | inspect failed
inspect wait | abort | inspect failed
inspect failed | manage | manageable
inspect failed | inspect | inspecting
cleaning | done | available
cleaning | manage | manageable
cleaning | wait | clean wait
cleaning | hold | clean hold
cleaning | fail | clean failed
clean wait | resume | cleaning
clean wait | hold | clean hold
clean wait | fail | clean failed
clean wait | abort | clean failed
clean hold | unhold | clean wait
clean hold | abort | clean failed
clean failed | manage | manageable
available | deploy | deploying
available | manage | manageable
deploying | wait | wait call-back
deploying | hold | deploy hold
deploying | done | active
deploying | fail | deploy failed
wait call-back | resume | deploying
wait call-back | hold | deploy hold
wait call-back | fail | deploy failed
wait call-back | abort | deploy failed
wait call-back | delete | deleting
deploy hold | unhold | wait call-back
deploy hold | abort | deploy failed
deploy failed | deploy | deploying
deploy failed | rebuild | deploying
deploy failed | delete | deleting
active | rebuild | deploying
active | delete | deleting
active | rescue | rescuing
active | service | servicing
deleting | clean | cleaning
deleting | fail | error
error | rebuild | deploying
error | delete | deleting
adopting | done | active
adopting | fail | adopt failed
adopt failed | adopt | adopting
adopt failed | manage | manageable
rescuing | done | rescue
rescuing | wait | rescue wait
rescuing | fail | rescue failed
rescue wait | resume | rescuing
rescue wait | fail | rescue failed
rescue wait | abort | rescue failed
rescue wait | delete | deleting
rescue | rescue | rescuing
rescue | unrescue | unrescuing
rescue | delete | deleting
rescue failed | rescue | rescuing
rescue failed | unrescue | unrescuing
rescue failed | delete | deleting
unrescue failed | rescue | rescuing
unrescue failed | unrescue | unrescuing
unrescue failed | delete | deleting
unrescuing | done | active
unrescuing | fail | unrescue failed
servicing | done | active
servicing | wait | service wait
servicing | hold | service hold
servicing | fail | service failed
service wait | resume | servicing
service wait | hold | service hold
service wait | fail | service failed
service wait | abort | service failed
service wait | delete | deleting
service hold | service | servicing
service hold | unhold | service wait
service hold | fail | service failed
service hold | abort | service failed
service failed | service | servicing
service failed | rescue | rescuing
service failed | wait | service wait
service failed | hold | service hold
service failed | delete | deleting
service failed | abort | active
`;

const expected = new Map<string, string>();
for (const line of EXPECTED.trim().split('\n')) {
  const [from, event, to] = line.split('|').map((s) => s.trim());
  expected.set(`${from}|${event}`, to!);
}
const EVENTS: ProvisionEvent[] = [...VERBS, ...INTERNAL_EVENTS];

describe('provision state machine', () => {
  it('names every state of the reference table', () => {
    const mentioned = new Set([...expected.entries()].flatMap(([k, to]) => [k.split('|')[0]!, to]));
    expect([...mentioned].sort()).toEqual([...ALL_STATES].sort());
  });

  for (const state of ALL_STATES) {
    for (const event of EVENTS) {
      const to = expected.get(`${state}|${event}`);
      if (to) {
        it(`${state} --${event}--> ${to}`, () => {
          expect(isActionable(state, event)).toBe(true);
          expect(transition(state, event, null).state).toBe(to);
        });
      } else {
        it(`refuses ${event} in ${state}`, () => {
          expect(isActionable(state, event)).toBe(false);
          expect(() => transition(state, event, null)).toThrow(InvalidTransition);
        });
      }
    }
  }

  it('sets the verb target while work runs and clears it in a stable state', () => {
    expect(transition('available', 'deploy', null)).toEqual({ state: 'deploying', target: 'active' });
    expect(transition('deploying', 'wait', 'active')).toEqual({ state: 'wait call-back', target: 'active' });
    expect(transition('wait call-back', 'resume', 'active')).toEqual({ state: 'deploying', target: 'active' });
    expect(transition('deploying', 'done', 'active')).toEqual({ state: 'active', target: null });
    expect(transition('deploying', 'fail', 'active')).toEqual({ state: 'deploy failed', target: null });
    expect(transition('manageable', 'clean', null)).toEqual({ state: 'cleaning', target: 'manageable' });
    expect(transition('manageable', 'provide', null)).toEqual({ state: 'cleaning', target: 'available' });
    expect(transition('enroll', 'manage', null)).toEqual({ state: 'verifying', target: 'manageable' });
  });

  it('keeps an undeploy aimed at available through its cleaning', () => {
    const deleting = transition('active', 'delete', null);
    expect(deleting).toEqual({ state: 'deleting', target: 'available' });
    expect(transition(deleting.state, 'clean', deleting.target)).toEqual({ state: 'cleaning', target: 'available' });
  });

  it('keeps the clean target through wait and hold', () => {
    const states: [ProvisionState, ProvisionEvent][] = [
      ['cleaning', 'wait'],
      ['clean wait', 'hold'],
      ['clean hold', 'unhold'],
      ['clean wait', 'resume'],
    ];
    for (const [from, event] of states) {
      expect(transition(from, event, 'manageable').target).toBe('manageable');
    }
  });
});
