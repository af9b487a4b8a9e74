import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_BOOT_FILES } from '../../pxe/dhcp/index.js';
import { ROLES } from '../auth/index.js';
import { InWords, Setting, type ConfigOf } from './setting.js';

const port = z.coerce.number().int().min(0).max(65535);
const seconds = (max: number) => z.coerce.number().positive().max(max);
/** An interval where 0 turns the periodic pass off. */
const interval = z.coerce.number().min(0).max(86_400);
const count = (max: number) => z.coerce.number().int().min(1).max(max);
const directory = z
  .string()
  .min(1)
  .transform((dir) => path.resolve(dir));
const booleanSetting = z.union([z.boolean(), z.stringbool()], { error: 'must be true or false' });
/** `alice=admin,bmo=operator` from the environment, or a mapping in YAML. */
const roleMap = z
  .union([
    z
      .string()
      .regex(/^\s*([^=,\s]+=\w+\s*(,\s*|$))*$/, 'must be user=role pairs separated by commas')
      .transform((text) =>
        Object.fromEntries(
          text
            .split(',')
            .map((pair) => pair.trim())
            .filter(Boolean)
            .map((pair): [string, string] => {
              const [user = '', role = ''] = pair.split('=').map((part) => part.trim());
              return [user, role];
            }),
        ),
      ),
    z.record(z.string(), z.string()),
  ])
  .pipe(z.record(z.string().min(1), z.enum(ROLES, { error: () => `roles are ${ROLES.join(', ')}` })));

/** A boot loader as DHCP names it and TFTP serves it: a path under the TFTP root. */
const tftpFileName = z
  .string()
  .regex(/^\S+$/, 'must be a file name under the TFTP root, without spaces')
  .refine((name) => !name.split(/[/\\]+/).includes('..'), 'must stay inside the TFTP root (no `..`)');
/** An agent kernel or ramdisk, in the forms driver_info takes: an http(s) URL, or a path under the boot files directory. */
const agentImage = z
  .string()
  .min(1)
  .refine(
    (ref) => /^https?:\/\//.test(ref) || !/^[a-z][a-z0-9+.-]*:/i.test(ref),
    'must be an http(s) URL or a path under the boot files directory',
  );
const ARCH = /^\w[\w.-]*$/;
/** `aarch64:URL, x86_64:path`: the value is what follows the first colon, so URLs keep theirs. Null if malformed. */
function archPairs(text: string): [string, string][] | null {
  const pairs = text
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair): [string, string] => {
      const colon = pair.indexOf(':');
      return colon < 0 ? ['', ''] : [pair.slice(0, colon).trim(), pair.slice(colon + 1).trim()];
    });
  return pairs.every(([arch, value]) => arch !== '' && value !== '') ? pairs : null;
}
/**
 * Agent images per CPU architecture (a node's `properties.cpu_arch`):
 * `aarch64:URL,x86_64:path` from the environment, as Ironic's DictOpt reads
 * it, or a mapping in YAML.
 */
const agentImageByArch = z
  .union([z.string(), z.record(z.string(), z.string())], {
    error: 'must be arch:image pairs separated by commas (a mapping in YAML)',
  })
  .transform((value, ctx) => {
    const pairs = typeof value === 'string' ? archPairs(value) : Object.entries(value);
    if (pairs === null) {
      ctx.addIssue({ code: 'custom', message: 'must be arch:image pairs separated by commas' });
      return z.NEVER;
    }
    const odd = pairs.find(([arch]) => !ARCH.test(arch));
    if (odd !== undefined) {
      ctx.addIssue({ code: 'custom', message: `architectures are words such as aarch64 or x86_64, not "${odd[0]}"` });
      return z.NEVER;
    }
    return Object.fromEntries(pairs);
  })
  .pipe(z.record(z.string(), agentImage));

/** The two databases Anvil runs on; the value is never shown in the error, as it may hold a password. */
const databaseUrl = z
  .string()
  .min(1)
  .refine(
    (url) => /^sqlite:./.test(url) || (/^postgres(ql)?:\/\//.test(url) && URL.canParse(url)),
    'must be sqlite:<file> or postgres://user@host:5432/db',
  );

// Settings other defaults are derived from.
const apiHost = new Setting({
  env: 'ANVIL_API_HOST',
  yaml: 'api.host',
  schema: z.string().min(1),
  default: '127.0.0.1',
  help: 'API listen address; without authentication only loopback is allowed',
});
const conductorRpcHost = new Setting({
  env: 'ANVIL_CONDUCTOR_RPC_HOST',
  yaml: 'conductor.rpc_host',
  schema: z.string().min(1),
  default: '127.0.0.1',
  help: "Listen address of the conductor's RPC server; API processes on other hosts need it reachable (calls are signed with a secret derived from the shared secret key)",
});
const dataDir = new Setting({
  env: 'ANVIL_DATA_DIR',
  yaml: 'data_dir',
  schema: directory,
  default: './var',
  help: 'Data directory: database, secret key, boot files, images',
});

/**
 * Every setting, grouped as the configuration object is: the object's type,
 * the loader, its error messages and the README's table all come from here.
 * Names are part of the public contract (DESIGN.md §6).
 */
export const settings = {
  api: {
    host: apiHost,
    port: new Setting({
      env: 'ANVIL_API_PORT',
      yaml: 'api.port',
      schema: port,
      default: 6385,
      help: "API port (Ironic's); 0 picks a free port",
    }),
    maxLimit: new Setting({
      env: 'ANVIL_API_MAX_LIMIT',
      yaml: 'api.max_limit',
      schema: count(100_000),
      default: 1000,
      help: 'Largest page a list answers',
    }),
    uiDir: new Setting({
      env: 'ANVIL_UI_DIR',
      yaml: 'api.ui_dir',
      schema: z.string().min(1).nullable(),
      default: new InWords('`dist/ui` in the install', () => null),
      help: 'Folder of the built web dashboard served at `/ui/` (`npm run build` writes it)',
    }),
  },
  database: {
    url: new Setting({
      env: 'ANVIL_DATABASE_URL',
      yaml: 'database_url',
      schema: databaseUrl,
      default: new InWords(
        '`sqlite:$ANVIL_DATA_DIR/anvil.db`',
        (get) => `sqlite:${path.join(get(dataDir), 'anvil.db')}`,
      ),
      help: 'Database; `postgres://user@host:5432/db` for many conductors',
    }),
  },
  dataDir,
  auth: new Setting({
    env: 'ANVIL_AUTH',
    yaml: 'auth',
    schema: z.enum(['none', 'basic', 'token'], { error: () => 'must be "none", "basic" or "token"' }),
    default: 'none',
    help: '`basic` (htpasswd), `token` (bearer tokens) or `none`, which is refused unless the API listens on loopback',
  }),
  access: {
    htpasswd: new Setting({
      env: 'ANVIL_HTPASSWD',
      yaml: 'htpasswd',
      schema: z.string().min(1).nullable(),
      default: null,
      help: 'htpasswd file of bcrypt hashes (`htpasswd -B`) for `basic`; re-read when it changes',
    }),
    roles: new Setting({
      env: 'ANVIL_AUTH_ROLES',
      yaml: 'auth_roles',
      schema: roleMap,
      default: {},
      help: 'Roles of basic-auth users, `user=role,...` (a mapping in YAML); roles: `admin`, `operator`, `reader`',
    }),
    defaultRole: new Setting({
      env: 'ANVIL_AUTH_DEFAULT_ROLE',
      yaml: 'auth_default_role',
      schema: z.enum(ROLES),
      default: 'operator',
      help: 'Role of a basic-auth user `ANVIL_AUTH_ROLES` does not name',
    }),
    metricsPublic: new Setting({
      env: 'ANVIL_METRICS_PUBLIC',
      yaml: 'metrics_public',
      schema: booleanSetting,
      default: true,
      help: '`/metrics` without authentication (it holds no secrets); `false`: readers and up',
    }),
  },
  tls: {
    cert: new Setting({
      env: 'ANVIL_TLS_CERT',
      yaml: 'tls.cert',
      schema: z.string().min(1).nullable(),
      default: null,
      help: 'PEM certificate (chain allowed) for HTTPS on the API; reloaded on SIGHUP or when it changes',
    }),
    key: new Setting({
      env: 'ANVIL_TLS_KEY',
      yaml: 'tls.key',
      schema: z.string().min(1).nullable(),
      default: null,
      help: 'PEM private key of `ANVIL_TLS_CERT`',
    }),
  },
  secretKey: new Setting({
    env: 'ANVIL_SECRET_KEY',
    yaml: 'secret_key',
    schema: z.string().min(1).nullable(),
    default: new InWords('a key file `secret.key` (mode 0600) created in the data directory', () => null),
    help: 'Base64 or hex AES-256 key for BMC passwords and agent tokens at rest',
  }),
  logLevel: new Setting({
    env: 'ANVIL_LOG_LEVEL',
    yaml: 'log_level',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    help: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`',
  }),
  bmc: {
    attemptTimeoutSeconds: new Setting({
      env: 'ANVIL_BMC_TIMEOUT',
      yaml: 'bmc.timeout',
      schema: seconds(3600),
      default: 60,
      help: 'Seconds one attempt of a BMC call may take',
    }),
    attempts: new Setting({
      env: 'ANVIL_BMC_ATTEMPTS',
      yaml: 'bmc.attempts',
      schema: count(10),
      default: 3,
      help: 'Attempts of a BMC call before it fails',
    }),
    retryDelaySeconds: new Setting({
      env: 'ANVIL_BMC_RETRY_DELAY',
      yaml: 'bmc.retry_delay',
      schema: z.coerce.number().min(0).max(600),
      default: 1,
      help: 'Seconds before the first retry of a BMC call (jittered backoff)',
    }),
    maxConcurrent: new Setting({
      env: 'ANVIL_BMC_MAX_CONCURRENT',
      yaml: 'bmc.max_concurrent',
      schema: count(10_000),
      default: 64,
      help: 'BMC calls in flight at once, over all BMCs',
    }),
  },
  conductor: {
    name: new Setting({
      env: 'ANVIL_CONDUCTOR_NAME',
      yaml: 'conductor.name',
      schema: z.string().min(1).max(255),
      default: new InWords('the host name', () => os.hostname()),
      help: "This conductor's name in the conductors table and in node locks",
    }),
    group: new Setting({
      env: 'ANVIL_CONDUCTOR_GROUP',
      yaml: 'conductor.group',
      schema: z
        .string()
        .max(255)
        .regex(/^[a-zA-Z0-9_.:-]*$/, 'may hold only letters, digits, _ . : and -')
        .transform((group) => group.toLowerCase()),
      default: '',
      help: 'Conductor group, lowercased: this conductor takes the nodes whose `conductor_group` matches',
    }),
    rpcHost: conductorRpcHost,
    rpcPort: new Setting({
      env: 'ANVIL_CONDUCTOR_RPC_PORT',
      yaml: 'conductor.rpc_port',
      schema: port,
      default: 0,
      help: "Port of the conductor's RPC server, where API processes send hardware calls (boot device, BIOS, virtual media); 0 picks a free port (the conductors table records it)",
    }),
    rpcAdvertiseHost: new Setting({
      env: 'ANVIL_CONDUCTOR_RPC_ADVERTISE_HOST',
      yaml: 'conductor.rpc_advertise_host',
      schema: z.string().min(1),
      default: new InWords('the RPC host, or the host name when that is a wildcard address', (get) => {
        const host = get(conductorRpcHost);
        return host === '0.0.0.0' || host === '::' ? os.hostname() : host;
      }),
      help: 'The host API processes use to reach this conductor RPC',
    }),
    workers: new Setting({
      env: 'ANVIL_CONDUCTOR_WORKERS',
      yaml: 'conductor.workers',
      schema: count(10_000),
      default: 100,
      help: 'Steps run at once; over this, state changes get 503',
    }),
    heartbeatIntervalSeconds: new Setting({
      env: 'ANVIL_CONDUCTOR_HEARTBEAT_INTERVAL',
      yaml: 'conductor.heartbeat_interval',
      schema: seconds(3600),
      default: 10,
      help: 'Seconds between heartbeats of this conductor',
    }),
    heartbeatTimeoutSeconds: new Setting({
      env: 'ANVIL_CONDUCTOR_HEARTBEAT_TIMEOUT',
      yaml: 'conductor.heartbeat_timeout',
      schema: seconds(86_400),
      default: 60,
      help: 'Seconds of silence after which a conductor is dead: its locks are freed and its nodes taken over; more than the interval',
    }),
    sweepIntervalSeconds: new Setting({
      env: 'ANVIL_CONDUCTOR_SWEEP_INTERVAL',
      yaml: 'conductor.sweep_interval',
      schema: seconds(3600),
      default: 2,
      help: 'Seconds between looks for work handed to this conductor',
    }),
    powerTimeoutSeconds: new Setting({
      env: 'ANVIL_POWER_STATE_CHANGE_TIMEOUT',
      yaml: 'conductor.power_timeout',
      schema: seconds(3600),
      default: 60,
      help: "Seconds a power change may take to show on the BMC (Ironic's power_state_change_timeout)",
    }),
    biosApplyTimeoutSeconds: new Setting({
      env: 'ANVIL_BIOS_APPLY_TIMEOUT',
      yaml: 'conductor.bios_apply_timeout',
      schema: seconds(7200),
      default: 900,
      help: 'Seconds BIOS settings staged by a step may take to show as current after the reboot that applies them (POST)',
    }),
    automatedClean: new Setting({
      env: 'ANVIL_AUTOMATED_CLEAN',
      yaml: 'conductor.automated_clean',
      schema: booleanSetting,
      default: true,
      help: 'Automated cleaning for nodes whose `automated_clean` is unset',
    }),
    inspectAddPorts: new Setting({
      env: 'ANVIL_INSPECT_ADD_PORTS',
      yaml: 'conductor.inspect_add_ports',
      schema: z.enum(['all', 'none']),
      default: 'all',
      help: '`all`: create ports for the NICs out-of-band inspection finds; `none`',
    }),
    powerSyncIntervalSeconds: new Setting({
      env: 'ANVIL_POWER_SYNC_INTERVAL',
      yaml: 'conductor.power_sync_interval',
      schema: interval,
      default: 120,
      help: 'Seconds between power sync passes (0: off)',
    }),
    powerSyncWorkers: new Setting({
      env: 'ANVIL_POWER_SYNC_WORKERS',
      yaml: 'conductor.power_sync_workers',
      schema: count(1000),
      default: 8,
      help: 'Nodes a power sync pass checks in parallel',
    }),
    powerSyncMaxRetries: new Setting({
      env: 'ANVIL_POWER_SYNC_MAX_RETRIES',
      yaml: 'conductor.power_sync_max_retries',
      schema: count(100),
      default: 3,
      help: 'Failed power syncs in a row before a node goes to maintenance with `fault: "power failure"`',
    }),
    forcePowerStateDuringSync: new Setting({
      env: 'ANVIL_FORCE_POWER_STATE_DURING_SYNC',
      yaml: 'conductor.force_power_state_during_sync',
      schema: booleanSetting,
      default: true,
      help: 'Power sync puts a node back in the power state Anvil recorded, rather than recording what the BMC says',
    }),
    enableHealthMonitoring: new Setting({
      env: 'ANVIL_ENABLE_HEALTH_MONITORING',
      yaml: 'conductor.enable_health_monitoring',
      schema: booleanSetting,
      default: true,
      help: "Power sync also keeps the hardware health the BMC reports (Redfish) in the node's `health`, from the same read of the System as the power state",
    }),
    powerFailureRecoveryIntervalSeconds: new Setting({
      env: 'ANVIL_POWER_FAILURE_RECOVERY_INTERVAL',
      yaml: 'conductor.power_failure_recovery_interval',
      schema: interval,
      default: 300,
      help: 'Seconds between checks whether BMCs of nodes in power failure answer again (0: off)',
    }),
    checkProvisionStateIntervalSeconds: new Setting({
      env: 'ANVIL_CHECK_PROVISION_STATE_INTERVAL',
      yaml: 'conductor.check_provision_state_interval',
      schema: interval,
      default: 60,
      help: 'Seconds between checks for nodes that waited too long for their agent (0: off)',
    }),
    deployCallbackTimeoutSeconds: new Setting({
      env: 'ANVIL_DEPLOY_CALLBACK_TIMEOUT',
      yaml: 'conductor.deploy_callback_timeout',
      schema: seconds(604_800),
      default: 1800,
      help: 'Seconds a deploy (or service) waits for the agent before it fails',
    }),
    inspectWaitTimeoutSeconds: new Setting({
      env: 'ANVIL_INSPECT_WAIT_TIMEOUT',
      yaml: 'conductor.inspect_wait_timeout',
      schema: seconds(604_800),
      default: 1800,
      help: 'Seconds an inspection waits for the agent before it fails',
    }),
    cleanCallbackTimeoutSeconds: new Setting({
      env: 'ANVIL_CLEAN_CALLBACK_TIMEOUT',
      yaml: 'conductor.clean_callback_timeout',
      schema: seconds(604_800),
      default: 1800,
      help: 'Seconds a cleaning waits for the agent before it fails',
    }),
    rescueCallbackTimeoutSeconds: new Setting({
      env: 'ANVIL_RESCUE_CALLBACK_TIMEOUT',
      yaml: 'conductor.rescue_callback_timeout',
      schema: seconds(604_800),
      default: 1800,
      help: 'Seconds a rescue waits for the agent before it fails',
    }),
  },
  boot: {
    httpHost: new Setting({
      env: 'ANVIL_HTTP_HOST',
      yaml: 'boot.http_host',
      schema: z.string().min(1),
      default: new InWords('the API host', (get) => get(apiHost)),
      help: 'Listen address of the HTTP boot server (iPXE scripts, `/images`, `/boot-files`) and of TFTP',
    }),
    httpPort: new Setting({
      env: 'ANVIL_HTTP_PORT',
      yaml: 'boot.http_port',
      schema: port,
      default: 8080,
      help: 'HTTP boot server port; 0 picks a free port',
    }),
    publicUrl: new Setting({
      env: 'ANVIL_PUBLIC_URL',
      yaml: 'boot.public_url',
      schema: z.url().nullable(),
      default: new InWords('derived from the HTTP host and port', () => null),
      help: 'How hosts reach the HTTP boot server',
    }),
    apiPublicUrl: new Setting({
      env: 'ANVIL_API_PUBLIC_URL',
      yaml: 'boot.api_public_url',
      schema: z.url().nullable(),
      default: new InWords("derived from the API's host and port", () => null),
      help: 'How the ramdisk agent reaches the API',
    }),
    imagesDir: new Setting({
      env: 'ANVIL_IMAGES_DIR',
      yaml: 'boot.images_dir',
      schema: directory,
      default: new InWords('`$ANVIL_DATA_DIR/images`', (get) => path.join(get(dataDir), 'images')),
      help: 'Images the HTTP boot server serves under `/images`',
    }),
    bootFilesDir: new Setting({
      env: 'ANVIL_BOOT_FILES_DIR',
      yaml: 'boot.boot_files_dir',
      schema: directory,
      default: new InWords('`$ANVIL_DATA_DIR/boot`', (get) => path.join(get(dataDir), 'boot')),
      help: 'Kernels, ramdisks and ISOs the HTTP boot server serves under `/boot-files`',
    }),
    tftpPort: new Setting({
      env: 'ANVIL_TFTP_PORT',
      yaml: 'boot.tftp_port',
      schema: z.union([z.literal('off').transform(() => null), port]),
      default: 69,
      help: 'TFTP port; `off`: no TFTP server; 0 picks a free port',
    }),
    tftpRoot: new Setting({
      env: 'ANVIL_TFTP_ROOT',
      yaml: 'boot.tftp_root',
      schema: z.string().min(1),
      default: '/usr/lib/ipxe',
      help: "What TFTP serves: Debian's `ipxe` package's binaries",
    }),
    tftpMaxTransfersPerClient: new Setting({
      env: 'ANVIL_TFTP_MAX_TRANSFERS_PER_CLIENT',
      yaml: 'boot.tftp_max_transfers_per_client',
      schema: count(1000),
      default: 8,
      help: 'TFTP transfers one client address may run at once (a PXE ROM needs 1 or 2); more are refused, other clients unaffected',
    }),
    tftpFirstAckTimeoutSeconds: new Setting({
      env: 'ANVIL_TFTP_FIRST_ACK_TIMEOUT',
      yaml: 'boot.tftp_first_ack_timeout',
      schema: seconds(255),
      default: 5,
      help: "Seconds a TFTP transfer waits for the client's first ACK before it is dropped (unanswered requests free their slot)",
    }),
    biosBootFile: new Setting({
      env: 'ANVIL_BIOS_BOOT_FILE',
      yaml: 'boot.bios_boot_file',
      schema: tftpFileName,
      default: DEFAULT_BOOT_FILES.biosFile,
      help: "Under the TFTP root, the iPXE DHCP gives BIOS clients (option 93 arch 0; Ironic's ipxe_bootfile_name)",
    }),
    uefiBootFile: new Setting({
      env: 'ANVIL_UEFI_BOOT_FILE',
      yaml: 'boot.uefi_boot_file',
      schema: tftpFileName,
      default: DEFAULT_BOOT_FILES.uefiX64File,
      help: "Under the TFTP root, the iPXE DHCP gives UEFI x86-64 clients (arch 7, 9), e.g. `snponly.efi` (Ironic's uefi_ipxe_bootfile_name)",
    }),
    uefiArm64BootFile: new Setting({
      env: 'ANVIL_UEFI_ARM64_BOOT_FILE',
      yaml: 'boot.uefi_arm64_boot_file',
      schema: tftpFileName,
      default: DEFAULT_BOOT_FILES.uefiArm64File,
      help: "Under the TFTP root, the iPXE DHCP gives UEFI arm64 clients (arch 11; Ironic's ipxe_bootfile_name_by_arch); Debian ships none: build iPXE's `bin-arm64-efi/ipxe.efi` and put it there",
    }),
    dhcpMode: new Setting({
      env: 'ANVIL_DHCP_MODE',
      yaml: 'boot.dhcp_mode',
      schema: z.enum(['off', 'full', 'proxy']),
      default: 'off',
      help: '`full`: static leases from IPAM; `proxy`: boot options beside a site DHCP server',
    }),
    dhcpInterface: new Setting({
      env: 'ANVIL_DHCP_INTERFACE',
      yaml: 'boot.dhcp_interface',
      schema: z.string().min(1).nullable(),
      default: null,
      help: 'The interface DHCP serves, e.g. `eth1`; needed unless ANVIL_DHCP_MODE is `off`',
    }),
  },
  /**
   * Ironic's [conductor] deploy_* and rescue_* images: what a node boots when
   * its driver_info names no agent kernel and ramdisk of its own; first by
   * its cpu_arch, then the default pair.
   */
  agentImages: {
    deployKernel: new Setting({
      env: 'ANVIL_DEPLOY_KERNEL',
      yaml: 'conductor.deploy_kernel',
      schema: agentImage.nullable(),
      default: null,
      help: 'Agent kernel (inspect, clean, deploy, service) of nodes whose driver_info and cpu_arch name none: an http(s) URL or a path under the boot files directory; set with `ANVIL_DEPLOY_RAMDISK`',
    }),
    deployRamdisk: new Setting({
      env: 'ANVIL_DEPLOY_RAMDISK',
      yaml: 'conductor.deploy_ramdisk',
      schema: agentImage.nullable(),
      default: null,
      help: 'Agent ramdisk (inspect, clean, deploy, service) of nodes whose driver_info and cpu_arch name none: an http(s) URL or a path under the boot files directory; set with `ANVIL_DEPLOY_KERNEL`',
    }),
    deployKernelByArch: new Setting({
      env: 'ANVIL_DEPLOY_KERNEL_BY_ARCH',
      yaml: 'conductor.deploy_kernel_by_arch',
      schema: agentImageByArch,
      default: {},
      help: 'Agent kernel by node `properties.cpu_arch`, `aarch64:URL,x86_64:path` (a mapping in YAML), for nodes whose driver_info names none; each arch also in `ANVIL_DEPLOY_RAMDISK_BY_ARCH`',
    }),
    deployRamdiskByArch: new Setting({
      env: 'ANVIL_DEPLOY_RAMDISK_BY_ARCH',
      yaml: 'conductor.deploy_ramdisk_by_arch',
      schema: agentImageByArch,
      default: {},
      help: 'Agent ramdisk by node `properties.cpu_arch`, `aarch64:URL,x86_64:path` (a mapping in YAML), for nodes whose driver_info names none; each arch also in `ANVIL_DEPLOY_KERNEL_BY_ARCH`',
    }),
    rescueKernel: new Setting({
      env: 'ANVIL_RESCUE_KERNEL',
      yaml: 'conductor.rescue_kernel',
      schema: agentImage.nullable(),
      default: null,
      help: 'Rescue kernel of nodes whose driver_info and cpu_arch name none: an http(s) URL or a path under the boot files directory; set with `ANVIL_RESCUE_RAMDISK`',
    }),
    rescueRamdisk: new Setting({
      env: 'ANVIL_RESCUE_RAMDISK',
      yaml: 'conductor.rescue_ramdisk',
      schema: agentImage.nullable(),
      default: null,
      help: 'Rescue ramdisk of nodes whose driver_info and cpu_arch name none: an http(s) URL or a path under the boot files directory; set with `ANVIL_RESCUE_KERNEL`',
    }),
    rescueKernelByArch: new Setting({
      env: 'ANVIL_RESCUE_KERNEL_BY_ARCH',
      yaml: 'conductor.rescue_kernel_by_arch',
      schema: agentImageByArch,
      default: {},
      help: 'Rescue kernel by node `properties.cpu_arch`, `aarch64:URL,x86_64:path` (a mapping in YAML), for nodes whose driver_info names none; each arch also in `ANVIL_RESCUE_RAMDISK_BY_ARCH`',
    }),
    rescueRamdiskByArch: new Setting({
      env: 'ANVIL_RESCUE_RAMDISK_BY_ARCH',
      yaml: 'conductor.rescue_ramdisk_by_arch',
      schema: agentImageByArch,
      default: {},
      help: 'Rescue ramdisk by node `properties.cpu_arch`, `aarch64:URL,x86_64:path` (a mapping in YAML), for nodes whose driver_info names none; each arch also in `ANVIL_RESCUE_KERNEL_BY_ARCH`',
    }),
  },
  machines: {
    failureDomainLabel: new Setting({
      env: 'ANVIL_FAILURE_DOMAIN_LABEL',
      yaml: 'machines.failure_domain_label',
      schema: z.string().min(1).max(255),
      default: 'failure_domain',
      help: "The host label (a string key of the node's `extra`) whose value is the host's failure domain; a Cluster API machine's `failure_domain` must equal it",
    }),
    provisioningLimit: new Setting({
      env: 'ANVIL_MACHINES_PROVISIONING_LIMIT',
      yaml: 'machines.provisioning_limit',
      schema: count(100_000),
      default: 20,
      help: "Machines' hosts deployed or undeployed at once (baremetal-operator's PROVISIONING_LIMIT); the others wait for a slot",
    }),
  },
  agent: {
    heartbeatTimeoutSeconds: new Setting({
      env: 'ANVIL_AGENT_HEARTBEAT_TIMEOUT',
      yaml: 'agent.heartbeat_timeout',
      schema: seconds(86_400),
      default: 300,
      help: "Seconds; what lookup tells the agent, which heartbeats at a fraction of this (IPA's cadence)",
    }),
    commandTimeoutSeconds: new Setting({
      env: 'ANVIL_AGENT_COMMAND_TIMEOUT',
      yaml: 'agent.command_timeout',
      schema: seconds(3600),
      default: 60,
      help: "Seconds a call to the agent's API may take",
    }),
  },
  feed: {
    retentionHours: new Setting({
      env: 'ANVIL_FEED_RETENTION_HOURS',
      yaml: 'feed.retention_hours',
      schema: z.coerce.number().positive().max(87_600),
      default: 24,
      help: 'Hours the change feed keeps a record; a consumer whose cursor is older gets 410 Gone and lists afresh',
    }),
    maxRecords: new Setting({
      env: 'ANVIL_FEED_MAX_RECORDS',
      yaml: 'feed.max_records',
      schema: count(1_000_000_000),
      default: 100_000,
      help: 'Records the change feed keeps at most; the oldest beyond are pruned',
    }),
    pruneIntervalSeconds: new Setting({
      env: 'ANVIL_FEED_PRUNE_INTERVAL',
      yaml: 'feed.prune_interval',
      schema: interval,
      default: 60,
      help: 'Seconds between prunings of the change feed, by one conductor of all (0: off)',
    }),
    maxWaitSeconds: new Setting({
      env: 'ANVIL_FEED_MAX_WAIT',
      yaml: 'feed.max_wait',
      schema: seconds(3600),
      default: 60,
      help: 'Longest `wait` a long poll of `/v1/anvil/events` may ask for; longer ones wait this long',
    }),
    heartbeatSeconds: new Setting({
      env: 'ANVIL_FEED_HEARTBEAT',
      yaml: 'feed.heartbeat',
      schema: seconds(3600),
      default: 15,
      help: 'Seconds of quiet after which an event stream sends a heartbeat comment (keeps proxies from closing it)',
    }),
    pollIntervalSeconds: new Setting({
      env: 'ANVIL_FEED_POLL_INTERVAL',
      yaml: 'feed.poll_interval',
      schema: seconds(60),
      default: 0.5,
      help: "Seconds between looks for other processes' changes while followers wait, on SQLite (PostgreSQL notifies instead)",
    }),
  },
};

/** The configuration object: one value per setting, of the type its schema gives. */
export type AnvilConfig = ConfigOf<typeof settings>;
