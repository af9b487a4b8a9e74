import { z } from 'zod';
import { LABEL_KEY, LABEL_KEY_RULE, SELECTOR_OPERATORS, expressionProblem } from '../labels/index.js';
import { CHECKSUM_TYPES, CLEANING_MODES, type MachineSpec } from './model.js';

/**
 * A machine's name is its host's hostname too (`meta_data.hostname`), so it
 * is a DNS name as a CAPI Machine's is: lower-case letters, digits, `-` and
 * `.`, starting and ending with a letter or digit.
 */
const MACHINE_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
const TRAIT = /^(CUSTOM_[A-Z0-9_]+|[A-Z][A-Z0-9_]*)$/;

const labelKey = z.string().regex(LABEL_KEY, LABEL_KEY_RULE);
const text = (max: number) => z.string().min(1).max(max);

const expression = z
  .object({
    key: labelKey,
    operator: z.string().refine((op) => (SELECTOR_OPERATORS as readonly string[]).includes(op), {
      error: (issue) =>
        `Unknown selector operator ${JSON.stringify(issue.input)}: expected one of ${SELECTOR_OPERATORS.join(', ')}`,
    }),
    values: z.array(z.string().max(255)).max(64).default([]),
  })
  .strict()
  .transform((e, ctx) => {
    const parsed = { ...e, operator: e.operator as (typeof SELECTOR_OPERATORS)[number] };
    const problem = expressionProblem(parsed);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
    return parsed;
  });

const hostSelector = z
  .object({
    match_labels: z
      .record(z.string(), z.string().max(255))
      .superRefine((labels, ctx) => {
        // Checked here rather than as the record's key schema, whose refusal says only "Invalid key in record".
        for (const key of Object.keys(labels)) {
          if (!LABEL_KEY.test(key)) ctx.addIssue({ code: 'custom', message: LABEL_KEY_RULE, path: [key] });
        }
      })
      .default({}),
    match_expressions: z.array(expression).max(32).default([]),
    traits: z.array(z.string().regex(TRAIT, 'A trait is upper case: CUSTOM_GPU, HW_CPU_X86_VMX')).max(50).default([]),
    resource_class: text(80).nullable().default(null),
  })
  .strict();

const image = z
  .object({
    url: z.url({ protocol: /^(https?|file)$/, error: 'The image url must be an http(s) or file URL' }),
    checksum: text(1024).optional(),
    checksum_type: z.enum(CHECKSUM_TYPES).nullable().default(null),
    disk_format: z.enum(['raw', 'qcow2', 'live-iso']).nullable().default(null),
  })
  .strict()
  .transform((i, ctx) => {
    // Without one, the agent cannot tell a corrupt download from the image.
    if (i.checksum === undefined) ctx.addIssue({ code: 'custom', message: 'An image needs a checksum', path: [] });
    return { ...i, checksum: i.checksum ?? '' };
  });

const dataTemplate = z
  .object({
    networks: z
      .array(z.object({ pool: text(255) }).strict())
      .max(16)
      .default([]),
    meta_data: z.record(z.string().min(1).max(255), z.string().max(4096)).default({}),
  })
  .strict();

/** What a provider asks for; a PATCH may change `paused` only. */
export const machineSpecSchema = z
  .object({
    cluster: text(255),
    consumer: z.record(z.string(), z.unknown()).nullable().default(null),
    role: text(63).nullable().default(null),
    host_selector: hostSelector.default({ match_labels: {}, match_expressions: [], traits: [], resource_class: null }),
    failure_domain: text(255).nullable().default(null),
    image: image.nullable().default(null),
    custom_deploy: z
      .object({ method: text(255), args: z.record(z.string(), z.unknown()).default({}) })
      .strict()
      .nullable()
      .default(null),
    user_data: z
      .string()
      .max(1024 * 1024)
      .nullable()
      .default(null),
    data_template: dataTemplate.nullable().default(null),
    automated_cleaning_mode: z.enum(CLEANING_MODES).default('metadata'),
    node_reuse: z.boolean().default(false),
    paused: z.boolean().default(false),
  })
  .strict()
  .superRefine((m, ctx) => {
    if ((m.image === null) === (m.custom_deploy === null))
      ctx.addIssue({
        code: 'custom',
        message: 'A machine needs an image or a custom_deploy, not both',
        path: ['image'],
      });
  });

/** A create body: the machine's name (idempotent by it) and its spec, as a Kubernetes object. */
export const machineCreateSchema = z
  .object({
    name: z
      .string()
      .regex(MACHINE_NAME, 'A machine name is a DNS name: lower-case letters, digits, "-" and ".", at most 253'),
    spec: machineSpecSchema,
  })
  .strict();

export type MachineCreate = z.output<typeof machineCreateSchema>;

/**
 * Whether two specs ask for the same machine (a repeated create), whatever
 * their key order. `paused` is left out: a provider that paused a machine
 * and creates it again (a move) asks for the same machine.
 */
export function sameSpec(a: MachineSpec, b: MachineSpec): boolean {
  return canonical({ ...a, paused: false }) === canonical({ ...b, paused: false });
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y)))
      : v,
  );
}

/** A remediation request: power-cycle the host up to `retry_limit` times, waiting `timeout` seconds for each. */
export const remediateSchema = z
  .object({
    strategy: z.literal('reboot', { error: 'The only remediation strategy is reboot' }),
    retry_limit: z.number().int().min(1).max(10).default(1),
    timeout: z.number().int().min(1).max(86_400).default(300),
  })
  .strict();

export type RemediationRequest = z.output<typeof remediateSchema>;
