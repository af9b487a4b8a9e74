import { z } from 'zod';
import type { BiosValue } from '../driver.js';

// The parts of DMTF Redfish resources Anvil reads. Objects are loose: BMCs add
// Oem sections and newer properties, and that must never fail a read. Only
// what we use is checked, so a BMC that omits an optional property still works.

export const odataRef = z.looseObject({ '@odata.id': z.string() });

const optionalString = z.string().nullish();
const optionalNumber = z.number().nullish();

export const collectionSchema = z.looseObject({
  Members: z.array(odataRef),
});

export const serviceRootSchema = z.looseObject({
  Vendor: optionalString,
  Product: optionalString,
  RedfishVersion: optionalString,
  Systems: odataRef.optional(),
  Managers: odataRef.optional(),
  SessionService: odataRef.optional(),
  UpdateService: odataRef.optional(),
  Oem: z.record(z.string(), z.unknown()).nullish(),
  Links: z.looseObject({ Sessions: odataRef.optional() }).optional(),
});
export type ServiceRoot = z.infer<typeof serviceRootSchema>;

const actionSchema = z.looseObject({ target: z.string() });

export const systemSchema = z.looseObject({
  '@odata.id': z.string().optional(),
  Id: z.string(),
  Manufacturer: optionalString,
  Model: optionalString,
  SerialNumber: optionalString,
  UUID: optionalString,
  BiosVersion: optionalString,
  PowerState: optionalString,
  Boot: z
    .looseObject({
      BootSourceOverrideTarget: optionalString,
      BootSourceOverrideEnabled: optionalString,
      BootSourceOverrideMode: optionalString,
      'BootSourceOverrideTarget@Redfish.AllowableValues': z.array(z.string()).optional(),
    })
    .optional(),
  ProcessorSummary: z
    .looseObject({ Count: optionalNumber, CoreCount: optionalNumber, Model: optionalString })
    .nullish(),
  MemorySummary: z.looseObject({ TotalSystemMemoryGiB: optionalNumber }).nullish(),
  Processors: odataRef.optional(),
  EthernetInterfaces: odataRef.optional(),
  Storage: odataRef.optional(),
  SimpleStorage: odataRef.optional(),
  Bios: odataRef.optional(),
  VirtualMedia: odataRef.optional(),
  Links: z.looseObject({ ManagedBy: z.array(odataRef).optional(), Chassis: z.array(odataRef).optional() }).optional(),
  Actions: z
    .looseObject({
      '#ComputerSystem.Reset': actionSchema
        .extend({ 'ResetType@Redfish.AllowableValues': z.array(z.string()).optional() })
        .optional(),
    })
    .optional(),
});
export type ComputerSystem = z.infer<typeof systemSchema>;

/**
 * A system's Status, apart from systemSchema: a Status Anvil cannot read
 * (a number for Health, a string for Status) reads as no verdict, and never
 * fails the power and boot reads of that system.
 */
export const systemStatusSchema = z.looseObject({
  Status: z.looseObject({ Health: z.unknown() }).nullish().catch(null),
});

export const processorSchema = z.looseObject({
  Id: z.string(),
  ProcessorType: optionalString,
  ProcessorArchitecture: optionalString,
  InstructionSet: optionalString,
  Model: optionalString,
  TotalCores: optionalNumber,
  TotalThreads: optionalNumber,
  MaxSpeedMHz: optionalNumber,
});

export const ethernetInterfaceSchema = z.looseObject({
  Id: z.string(),
  MACAddress: optionalString,
  PermanentMACAddress: optionalString,
  LinkStatus: optionalString,
  SpeedMbps: optionalNumber,
});

export const storageSchema = z.looseObject({
  Id: z.string(),
  Drives: z.array(odataRef).optional(),
});

export const driveSchema = z.looseObject({
  Id: z.string(),
  Name: optionalString,
  Model: optionalString,
  SerialNumber: optionalString,
  CapacityBytes: optionalNumber,
  MediaType: optionalString,
});

/** Older BMCs (iLO 4, some Supermicro X10) only offer SimpleStorage. */
export const simpleStorageSchema = z.looseObject({
  Id: z.string(),
  Devices: z
    .array(z.looseObject({ Name: optionalString, Model: optionalString, CapacityBytes: optionalNumber }))
    .optional(),
});

export const chassisSchema = z.looseObject({
  Id: z.string(),
  NetworkAdapters: odataRef.optional(),
});

export const networkAdapterSchema = z.looseObject({
  Id: z.string(),
  SerialNumber: optionalString,
  Controllers: z.array(z.looseObject({ FirmwarePackageVersion: optionalString })).optional(),
});

export const managerSchema = z.looseObject({
  Id: z.string(),
  FirmwareVersion: optionalString,
  VirtualMedia: odataRef.optional(),
});

export const virtualMediaSchema = z.looseObject({
  '@odata.id': z.string().optional(),
  Id: z.string(),
  MediaTypes: z.array(z.string()).optional(),
  Image: optionalString,
  Inserted: z.boolean().nullish(),
  Actions: z
    .looseObject({
      '#VirtualMedia.InsertMedia': actionSchema.optional(),
      '#VirtualMedia.EjectMedia': actionSchema.optional(),
    })
    .optional(),
  Oem: z.record(z.string(), z.unknown()).nullish(),
});
export type VirtualMedia = z.infer<typeof virtualMediaSchema>;

const biosValue = z.union([z.string(), z.number(), z.boolean(), z.null()]) satisfies z.ZodType<BiosValue>;

export const biosSchema = z.looseObject({
  Attributes: z.record(z.string(), biosValue),
  '@Redfish.Settings': z.looseObject({ SettingsObject: odataRef }).optional(),
});

export const biosSettingsSchema = z.looseObject({
  Attributes: z.record(z.string(), biosValue).optional(),
});

export const updateServiceSchema = z.looseObject({
  FirmwareInventory: odataRef.optional(),
  Actions: z.looseObject({ '#UpdateService.SimpleUpdate': actionSchema.optional() }).optional(),
});

export const taskSchema = z.looseObject({
  TaskState: z.string(),
  Messages: z.array(z.looseObject({ Message: optionalString, MessageId: optionalString })).optional(),
});
