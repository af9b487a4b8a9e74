import { describe, expect, it } from 'vitest';
import { deployPlan, DeployPlanError, deployStepsProblem } from '../../../../services/steps/index.js';
import type { Node } from '../../../../services/nodes/index.js';
import { nodeFixture } from '../../../support/node-fixture.js';

function node(deployInterface: string): Node {
  return {
    ...nodeFixture({ driver: 'redfish', bios_interface: 'redfish', deploy_interface: deployInterface }),
    id: 1,
  };
}

const AGENT = [{ interface: 'deploy', step: 'install_os', priority: 0 }];

describe('the steps a deploy runs', () => {
  it('runs write_image for direct, and the named steps by priority, highest first', () => {
    const plan = deployPlan(
      node('direct'),
      [
        { interface: 'deploy', step: 'hold', priority: 90, args: {} },
        { interface: 'bios', step: 'apply_configuration', priority: 70, args: { settings: [] } },
      ],
      [],
    );
    expect(plan.map((s) => `${String(s.step)}:${String(s.priority)}`)).toEqual([
      'hold:90',
      'write_image:80',
      'apply_configuration:70',
      'prepare_instance_boot:60',
      'tear_down_agent:40',
      'boot_instance:20',
    ]);
  });

  it("puts a user's step among the conductor's core steps by priority, even after the instance boots", () => {
    const plan = deployPlan(
      node('direct'),
      [
        { interface: 'bios', step: 'apply_configuration', priority: 10, args: { settings: [] } },
        { interface: 'deploy', step: 'power_off', priority: 50, args: {} },
      ],
      [],
    );
    expect(plan.map((s) => `${String(s.step)}:${String(s.priority)}`)).toEqual([
      'write_image:80',
      'prepare_instance_boot:60',
      'power_off:50',
      'tear_down_agent:40',
      'boot_instance:20',
      'apply_configuration:10',
    ]);
  });

  it('refuses an in-band step planned after the agent is torn down, before anything runs', () => {
    expect(() =>
      deployPlan(node('custom-agent'), [{ interface: 'deploy', step: 'install_os', priority: 30, args: {} }], AGENT),
    ).toThrow(
      "deploy step {'interface': 'deploy', 'step': 'install_os', 'priority': 30, 'args': {}} runs in the agent after deploy.tear_down_agent (priority 40) has stopped it",
    );
  });

  it('lets a user step disable write_image (priority 0) or move it; custom-agent runs only what is named', () => {
    const names = (plan: Record<string, unknown>[]) => plan.map((s) => `${String(s.step)}:${String(s.priority)}`);
    const conductors = ['prepare_instance_boot:60', 'tear_down_agent:40', 'boot_instance:20'];
    expect(
      names(deployPlan(node('direct'), [{ interface: 'deploy', step: 'write_image', priority: 0, args: {} }], [])),
    ).toEqual(conductors);
    const moved = deployPlan(
      node('direct'),
      [{ interface: 'deploy', step: 'write_image', priority: 95, args: {} }],
      [],
    );
    expect(names(moved)).toEqual(['write_image:95', ...conductors]);
    const install = { interface: 'deploy', step: 'install_os', priority: 80, args: {} };
    expect(names(deployPlan(node('custom-agent'), [install], AGENT))).toEqual(['install_os:80', ...conductors]);
  });

  it("refuses an in-band step the agent does not offer, in Ironic's words", () => {
    expect(() =>
      deployPlan(node('custom-agent'), [{ interface: 'deploy', step: 'install_nothing', priority: 80 }], AGENT),
    ).toThrow(
      new DeployPlanError(
        "node does not support this deploy step: {'interface': 'deploy', 'step': 'install_nothing', 'priority': 80}",
      ),
    );
  });

  it('checks priorities and out-of-band steps before the agent is booted, leaving in-band ones to it', () => {
    expect(deployStepsProblem(node('direct'), [{ interface: 'deploy', step: 'install_os', priority: 80 }])).toBeNull();
    expect(deployStepsProblem(node('direct'), [{ interface: 'deploy', step: 'x' }])).toContain('needs a priority');
    expect(deployStepsProblem(node('direct'), [{ interface: 'power', step: 'nothing', priority: 10 }])).toContain(
      'node does not support this deploy step',
    );
  });

  it('refuses at request time an in-band step that would run after the agent is torn down, unless tear_down_agent moves', () => {
    const late = { interface: 'deploy', step: 'install_os', priority: 30, args: {} };
    expect(deployStepsProblem(node('custom-agent'), [late])).toContain(
      'runs in the agent after deploy.tear_down_agent (priority 40) has stopped it',
    );
    expect(
      deployStepsProblem(node('custom-agent'), [late, { interface: 'deploy', step: 'tear_down_agent', priority: 25 }]),
    ).toBeNull();
  });
});
