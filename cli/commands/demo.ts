import os from 'node:os';
import { Command } from 'commander';
import { runDemo } from '../demo/index.js';
import { withExamples } from '../help-text.js';
import { parsePort, parsePositiveInt } from '../option-parsers.js';

interface DemoFlags {
  hosts: number;
  dir: string;
  apiPort: number;
  bootHttpPort: number;
  tftpPort: number;
  redfishPort: number;
  ipmiBasePort: number;
  exitWhenDone?: boolean;
}

export function demoCommand(): Command {
  const command = new Command('demo')
    .description(
      'watch simulated hosts get provisioned: Anvil and a sim fleet on high ports and a temporary directory, every host taken to active; Ctrl-C stops and removes it all',
    )
    .option('--hosts <n>', 'how many hosts (Redfish and IPMI, alternating)', parsePositiveInt, 8)
    .option('--dir <directory>', "where to make the demo's temporary directory", os.tmpdir())
    .option('--api-port <port>', "Anvil's API and dashboard", parsePort, 6385)
    .option('--boot-http-port <port>', "Anvil's HTTP boot server", parsePort, 8080)
    .option('--tftp-port <port>', "Anvil's TFTP server (UDP)", parsePort, 6969)
    .option('--redfish-port <port>', "the sim's Redfish endpoint", parsePort, 8000)
    .option('--ipmi-base-port <port>', 'host i answers IPMI on this port + i (UDP)', parsePort, 6230)
    .option('--exit-when-done', 'stop once every host is active instead of running on until Ctrl-C')
    .action(async (flags: DemoFlags) => {
      process.exitCode = await runDemo({
        hosts: flags.hosts,
        parent: flags.dir,
        ports: {
          api: flags.apiPort,
          bootHttp: flags.bootHttpPort,
          tftp: flags.tftpPort,
          redfish: flags.redfishPort,
          ipmiBase: flags.ipmiBasePort,
        },
        exitWhenDone: flags.exitWhenDone === true,
      });
    });
  return withExamples(command, 'anvil demo', 'anvil demo --hosts 20 --api-port 16385');
}
