// What the IPMI face acts on: a machine with power, a boot override and an
// identity. The shared simulated host (sim/host/) implements this, so IPMI
// and Redfish act on the same machine.

export type IpmiPowerState = 'on' | 'off';

/** Chassis Control actions the face forwards (IPMI v2.0 Table 28-4, without the diagnostic interrupt). */
export type IpmiChassisAction = 'on' | 'off' | 'cycle' | 'reset' | 'diag' | 'soft';

/** Boot device selectors a simulated host understands (Table 28-14, boot flags data 2). */
export type IpmiBootDevice = 'none' | 'pxe' | 'disk' | 'cdrom' | 'bios';

export interface IpmiBootFlags {
  /** The override applies at the next boot. */
  valid: boolean;
  /** All future boots rather than only the next one. */
  persistent: boolean;
  mode: 'legacy' | 'efi';
  device: IpmiBootDevice;
}

/** Get Device ID answers (Table 20-2). */
export interface IpmiDeviceIdentity {
  deviceId: number;
  deviceRevision: number;
  firmwareMajor: number;
  /** 0..99, sent as BCD. */
  firmwareMinor: number;
  /** 20-bit IANA enterprise number. */
  manufacturerId: number;
  productId: number;
}

/**
 * The machine behind one IPMI endpoint. Methods may return promises; throw
 * IpmiTargetRefusal to answer a specific completion code.
 */
export interface IpmiTarget {
  readonly deviceIdentity: IpmiDeviceIdentity;
  getPower(): IpmiPowerState | Promise<IpmiPowerState>;
  chassisControl(action: IpmiChassisAction): void | Promise<void>;
  getBootFlags(): IpmiBootFlags | Promise<IpmiBootFlags>;
  setBootFlags(flags: IpmiBootFlags): void | Promise<void>;
}

/** Thrown by a target to refuse a request with an IPMI completion code (e.g. D5h "not supported in present state"). */
export class IpmiTargetRefusal extends Error {
  constructor(
    readonly completionCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'IpmiTargetRefusal';
  }
}
