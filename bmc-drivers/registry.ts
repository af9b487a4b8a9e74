// Builds drivers. One registry per process: every driver it builds shares its
// guard, so "one call at a time per BMC" and the global bound hold across
// driver instances (a power sync and a deploy step on the same node).
import { enrollmentFromAddress, parseDriverInfo, type BmcConnection, type BmcCredentials } from './driver-info.js';
import type { BmcDriver } from './driver.js';
import { BmcCallGuard, type BmcCallGuardOptions } from './guard.js';
import { IpmiDriver } from './ipmi/driver.js';
import type { IpmiTiming } from './ipmi/index.js';
import { RedfishDriver } from './redfish/driver.js';

export interface BmcDriverRegistryOptions extends BmcCallGuardOptions {
  /** Deadline of one Redfish HTTP exchange; the guard's attempt deadline when absent. */
  redfishRequestTimeoutMs?: number;
  /** IPMI retransmission timing; the client's deadline is the guard's attempt deadline unless set here. */
  ipmiTiming?: Partial<IpmiTiming>;
}

export class BmcDriverRegistry {
  readonly guard: BmcCallGuard;
  private readonly options: BmcDriverRegistryOptions;

  constructor(options: BmcDriverRegistryOptions = {}) {
    this.guard = new BmcCallGuard(options);
    this.options = options;
  }

  /** A node's `driver` and `driver_info`; throws InvalidDriverInfo naming the key at fault. */
  fromDriverInfo(driver: string, driverInfo: Readonly<Record<string, unknown>>): BmcDriver {
    return this.fromConnection(parseDriverInfo(driver, driverInfo));
  }

  /** A Metal3-style BMC address; throws InvalidBmcAddress. */
  fromAddress(
    address: string,
    credentials: BmcCredentials,
    options: { disableCertificateVerification?: boolean } = {},
  ): BmcDriver {
    const enrollment = enrollmentFromAddress(address, credentials, options);
    return this.fromDriverInfo(enrollment.driver, enrollment.driverInfo);
  }

  fromConnection(connection: BmcConnection): BmcDriver {
    if (connection.protocol === 'ipmi') {
      return new IpmiDriver(
        connection,
        this.guard,
        this.options.ipmiTiming === undefined ? {} : { timing: this.options.ipmiTiming },
      );
    }
    return new RedfishDriver(
      connection,
      this.guard,
      this.options.redfishRequestTimeoutMs === undefined
        ? {}
        : { requestTimeoutMs: this.options.redfishRequestTimeoutMs },
    );
  }
}
