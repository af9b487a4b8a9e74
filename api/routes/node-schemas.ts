import { z } from 'zod';
import { isUuidLike, INTERFACE_FIELDS } from '../../services/nodes/index.js';
import { apiBoolean, jsonObject } from '../validation.js';

const uuid = z.string().refine(isUuidLike, 'Expected a UUID.');
const shortText = (max: number) => z.string().max(max, `Must be at most ${max} characters.`);
const iface = shortText(255).nullable();

const interfaceShape = Object.fromEntries(INTERFACE_FIELDS.map((f) => [f, iface.optional()])) as Record<
  (typeof INTERFACE_FIELDS)[number],
  z.ZodOptional<typeof iface>
>;

/** Writable node attributes and their types; shared by POST and by the result of a PATCH. */
const writable = {
  name: shortText(255).nullable().optional(),
  driver_info: jsonObject.optional(),
  instance_info: jsonObject.optional(),
  properties: jsonObject.optional(),
  extra: jsonObject.optional(),
  network_data: jsonObject.optional(),
  resource_class: shortText(80).nullable().optional(),
  conductor_group: shortText(255)
    .regex(/^[a-zA-Z0-9_.:-]*$/, 'A conductor group may hold only letters, digits, _ . : and -.')
    .optional(),
  automated_clean: apiBoolean.nullable().optional(),
  chassis_uuid: uuid.nullable().optional(),
  description: shortText(4096).nullable().optional(),
  instance_name: shortText(255).min(1, 'Must be at least 1 character.').nullable().optional(),
  owner: shortText(255).nullable().optional(),
  lessee: shortText(255).nullable().optional(),
  shard: shortText(255).nullable().optional(),
  parent_node: shortText(255).nullable().optional(),
  disable_power_off: apiBoolean.optional(),
  retired: apiBoolean.optional(),
  retired_reason: shortText(255).nullable().optional(),
  maintenance: apiBoolean.optional(),
  maintenance_reason: shortText(255).nullable().optional(),
  ...interfaceShape,
};

export const nodeCreateSchema = z
  .object({ uuid: uuid.optional(), driver: shortText(255).min(1, 'A driver is required.'), ...writable })
  .strict();

/** A node is made protected once deployed, so only a PATCH sets these (Ironic's create schema lacks them). */
export const nodeUpdateSchema = z
  .object({
    driver: shortText(255).min(1),
    instance_uuid: uuid.nullable().optional(),
    protected: apiBoolean.optional(),
    protected_reason: shortText(255).nullable().optional(),
    ...writable,
  })
  .strict();

const configdriveDict = z
  .object({
    meta_data: jsonObject.optional(),
    network_data: jsonObject.optional(),
    user_data: z.union([z.string(), jsonObject, z.array(z.unknown())]).optional(),
    vendor_data: jsonObject.optional(),
  })
  .strict();

const step = jsonObject.refine(
  (s) => typeof s.interface === 'string' && typeof s.step === 'string',
  'Each step needs an "interface" and a "step" string.',
);

export const provisionSchema = z
  .object({
    target: z.string(),
    configdrive: z.union([z.string(), configdriveDict]).optional(),
    clean_steps: z.array(step).optional(),
    deploy_steps: z.array(step).optional(),
    service_steps: z.array(step).optional(),
    rescue_password: z.string().optional(),
    disable_ramdisk: apiBoolean.optional(),
  })
  .strict();

export const powerSchema = z
  .object({
    target: z.string(),
    timeout: z.number().int('The timeout must be an integer number of seconds.').optional(),
  })
  .strict();

export const maintenanceSchema = z.object({ reason: shortText(255).nullable().optional() }).strict();

export const traitsSchema = z.object({ traits: z.array(z.string()) }).strict();

export const consoleSchema = z.object({ enabled: apiBoolean }).strict();
