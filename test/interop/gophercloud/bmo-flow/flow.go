package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud"
	"github.com/gophercloud/gophercloud/openstack/baremetal/v1/drivers"
	"github.com/gophercloud/gophercloud/openstack/baremetal/v1/nodes"
	"github.com/gophercloud/gophercloud/openstack/baremetal/v1/ports"
)

const (
	pollInterval = 100 * time.Millisecond
	// Bounds every wait loop: 300 polls, 30 s.
	maxPolls = 300
	// BMO retries a 409 (node locked) after a delay; these bound the retries.
	conflictRetries = 20
	conflictDelay   = 200 * time.Millisecond
)

func runFlow(client *gophercloud.ServiceClient, o options) {
	discovery(client)
	if o.auth == "basic" {
		refusesWrongPassword(o)
	}

	driverList, err := drivers.ListDrivers(client, drivers.ListDriversOpts{}).AllPages()
	must("drivers", err)
	ds, err := drivers.ExtractDrivers(driverList)
	must("drivers", err)
	if len(ds) == 0 {
		fail("drivers", errors.New("GET /v1/drivers listed no driver; BMO waits until one is listed"))
	}
	names := make([]string, 0, len(ds))
	for _, d := range ds {
		names = append(names, d.Name)
	}
	sort.Strings(names)
	report("drivers", map[string]interface{}{"drivers": names})

	// BMO's findExistingHost: by name first, then by the boot MAC's port.
	_, err = getNode(client, o.name)
	var notFound gophercloud.ErrDefault404
	if !errors.As(err, &notFound) {
		fail("lookup-unregistered", fmt.Errorf("GET /v1/nodes/%s before enrolment: want 404, got %s", o.name, got(err)))
	}
	byMAC := listPorts("lookup-unregistered", client, ports.ListOpts{Address: o.mac, Fields: []string{"node_uuid"}})
	report("lookup-unregistered", map[string]interface{}{"node_status": 404, "ports": len(byMAC)})

	uuid := enroll(client, o)

	pxe := true
	port, err := ports.Create(client, ports.CreateOpts{NodeUUID: uuid, Address: o.mac, PXEEnabled: &pxe}).Extract()
	must("port-create", err)
	report("port-create", map[string]interface{}{
		"uuid": port.UUID, "node_uuid": port.NodeUUID, "address": port.Address, "pxe_enabled": port.PXEEnabled,
	})

	n, err := getNode(client, uuid)
	must("get-by-uuid", err)
	report("get-by-uuid", map[string]interface{}{"uuid": n.UUID, "name": n.Name, "provision_state": n.ProvisionState})
	n, err = getNode(client, o.name)
	must("get-by-name", err)
	report("get-by-name", map[string]interface{}{"uuid": n.UUID, "name": n.Name})

	// BMO's listAllPorts and nodeHasAssignedPort: one field asked for.
	byMAC = listPorts("ports-by-address", client, ports.ListOpts{Address: o.mac, Fields: []string{"node_uuid"}})
	report("ports-by-address", portsDetails(byMAC))
	byNode := listPorts("ports-by-node", client, ports.ListOpts{NodeUUID: uuid, Fields: []string{"node_uuid"}})
	report("ports-by-node", portsDetails(byNode))

	capacity(client, uuid)

	provision("manage", client, uuid, nodes.ProvisionStateOpts{Target: nodes.TargetManage}, "manageable")
	provision("inspect", client, uuid, nodes.ProvisionStateOpts{Target: nodes.TargetInspect}, "manageable")

	// BMO writes automated_clean false when the host's automatedCleaningMode is disabled.
	n = update("patch-automated-clean", client, uuid, nodes.UpdateOpts{
		nodes.UpdateOperation{Op: nodes.AddOp, Path: "/automated_clean", Value: false},
	})
	report("patch-automated-clean", map[string]interface{}{"automated_clean": n.AutomatedClean})

	provision("provide", client, uuid, nodes.ProvisionStateOpts{Target: nodes.TargetProvide}, "available")

	instanceUUID := "8d3f6a2e-5b1c-4f7a-9e0d-2c4b6a8e1f30"
	n = update("patch-instance", client, uuid, nodes.UpdateOpts{
		nodes.UpdateOperation{Op: nodes.AddOp, Path: "/instance_info/image_source", Value: "http://images.example/os.qcow2"},
		nodes.UpdateOperation{Op: nodes.AddOp, Path: "/instance_info/image_checksum", Value: "9a3d0b2f6c1e8d7a5b4c3e2f1a0b9c8d"},
		nodes.UpdateOperation{Op: nodes.AddOp, Path: "/instance_uuid", Value: instanceUUID},
	})
	report("patch-instance", map[string]interface{}{"instance_uuid": n.InstanceUUID, "instance_info": n.InstanceInfo})

	// A sha256 checksum: BMO moves to image_os_hash_* and removes the md5 field it set before.
	n = update("patch-checksum", client, uuid, nodes.UpdateOpts{
		nodes.UpdateOperation{Op: nodes.AddOp, Path: "/instance_info/image_os_hash_algo", Value: "sha256"},
		nodes.UpdateOperation{Op: nodes.AddOp, Path: "/instance_info/image_os_hash_value",
			Value: "5f1e3c9a7b2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f"},
		nodes.UpdateOperation{Op: nodes.RemoveOp, Path: "/instance_info/image_checksum"},
	})
	report("patch-checksum", map[string]interface{}{"instance_info": n.InstanceInfo})

	v, err := nodes.Validate(client, uuid).Extract()
	must("validate", err)
	report("validate", map[string]interface{}{
		"boot": v.Boot.Result, "deploy": v.Deploy.Result, "power": v.Power.Result, "management": v.Management.Result,
	})

	// BMO always sends the config drive as a dict (>= 1.56).
	configDrive := nodes.ConfigDrive{
		MetaData: map[string]interface{}{
			"uuid": instanceUUID, "name": o.name, "local-hostname": "host-0",
			"metal3-namespace": "metal3", "metal3-name": "host-0",
		},
		NetworkData: map[string]interface{}{
			"links":    []interface{}{map[string]interface{}{"id": "eth0", "type": "phy", "ethernet_mac_address": o.mac}},
			"networks": []interface{}{map[string]interface{}{"id": "net0", "link": "eth0", "type": "ipv4_dhcp"}},
			"services": []interface{}{},
		},
		UserData: "#cloud-config\nhostname: host-0\n",
	}
	n = provision("deploy", client, uuid, nodes.ProvisionStateOpts{Target: nodes.TargetActive, ConfigDrive: configDrive}, "active")
	// BMO compares an active node's image_source with the host's image.
	report("deployed", map[string]interface{}{"instance_uuid": n.InstanceUUID, "instance_info": n.InstanceInfo})

	// fake-hardware's deploy leaves power alone (Ironic's FakeDeploy does): BMO powers an online host on.
	power("power-on-after-deploy", client, uuid, nodes.PowerOn, "power on")
	power("power-off", client, uuid, nodes.PowerOff, "power off")
	power("power-on", client, uuid, nodes.PowerOn, "power on")

	err = retryConflict(func() error { return setMaintenance(client, uuid, "bmo-flow: host paused") })
	must("maintenance-set", err)
	n, err = getNode(client, uuid)
	must("maintenance-set", err)
	report("maintenance-set", map[string]interface{}{"maintenance": n.Maintenance, "maintenance_reason": n.MaintenanceReason})
	err = retryConflict(func() error { return unsetMaintenance(client, uuid) })
	must("maintenance-unset", err)
	n, err = getNode(client, uuid)
	must("maintenance-unset", err)
	report("maintenance-unset", map[string]interface{}{"maintenance": n.Maintenance, "maintenance_reason": n.MaintenanceReason})

	n = provision("undeploy", client, uuid, nodes.ProvisionStateOpts{Target: nodes.TargetDeleted}, "available")
	report("undeployed", map[string]interface{}{"instance_uuid": n.InstanceUUID, "instance_info": n.InstanceInfo})

	// BMO's Delete of an available node still carrying an instance_uuid removes it first.
	update("patch-stale-instance", client, uuid, nodes.UpdateOpts{
		nodes.UpdateOperation{Op: nodes.AddOp, Path: "/instance_uuid", Value: instanceUUID},
	})
	n = update("patch-stale-instance", client, uuid, nodes.UpdateOpts{
		nodes.UpdateOperation{Op: nodes.RemoveOp, Path: "/instance_uuid"},
		nodes.UpdateOperation{Op: nodes.RemoveOp, Path: "/automated_clean"},
	})
	report("patch-stale-instance", map[string]interface{}{"instance_uuid": n.InstanceUUID, "automated_clean": n.AutomatedClean})

	err = retryConflict(func() error { return nodes.Delete(client, uuid).ExtractErr() })
	must("delete", err)
	_, err = getNode(client, uuid)
	if !errors.As(err, &notFound) {
		fail("delete", fmt.Errorf("GET /v1/nodes/%s after delete: want 404, got %s", uuid, got(err)))
	}
	byMAC = listPorts("delete", client, ports.ListOpts{Address: o.mac, Fields: []string{"node_uuid"}})
	report("delete", map[string]interface{}{"node_status": 404, "ports": len(byMAC)})
}

func discovery(client *gophercloud.ServiceClient) {
	requested := client.Microversion
	v, answered, err := discover(client)
	must("discovery", err)
	max, err := minorOf(v.Version)
	must("discovery", err)
	if max < baseline {
		fail("discovery", fmt.Errorf("ironic API 1.%d or newer is required, got %s", baseline, v.Version))
	}
	client.Microversion = chooseMicroversion(max)
	report("discovery", map[string]interface{}{
		"requested": requested, "answered": answered, "min_version": v.MinVersion, "max_version": v.Version,
		"microversion": client.Microversion,
	})
}

// refusesWrongPassword checks that the same call with a wrong password gets 401.
func refusesWrongPassword(o options) {
	wrong, err := newClient(o, o.password+"-wrong")
	must("auth-refused", err)
	_, err = nodes.List(wrong, nodes.ListOpts{}).AllPages()
	var unauthorized gophercloud.ErrDefault401
	if !errors.As(err, &unauthorized) {
		fail("auth-refused", fmt.Errorf("GET /v1/nodes with a wrong password: want 401, got %s", got(err)))
	}
	report("auth-refused", map[string]interface{}{"status": 401})
}

func enroll(client *gophercloud.ServiceClient, o options) string {
	opts := createOpts{
		CreateOpts: nodes.CreateOpts{
			Driver: "fake-hardware",
			Name:   o.name,
			DriverInfo: map[string]interface{}{
				"deploy_kernel":  "http://images.example/ipa.kernel",
				"deploy_ramdisk": "http://images.example/ipa.initramfs",
			},
			BootInterface:       "fake",
			DeployInterface:     "fake",
			InspectInterface:    "fake",
			ManagementInterface: "fake",
			PowerInterface:      "fake",
			RAIDInterface:       "no-raid",
			VendorInterface:     "no-vendor",
			Properties: map[string]interface{}{
				"capabilities": "boot_mode:uefi",
				"cpu_arch":     "x86_64",
			},
		},
		BIOSInterface:     "no-bios",
		FirmwareInterface: "no-firmware",
	}
	if minor, err := minorOf(client.Microversion); err == nil && minor >= 95 {
		off := false
		opts.DisablePowerOff = &off
	}
	var n node
	err := retryConflict(func() error { return nodes.Create(client, opts).ExtractInto(&n) })
	must("create", err)
	report("create", map[string]interface{}{
		"uuid": n.UUID, "name": n.Name, "driver": n.Driver, "provision_state": n.ProvisionState,
		"properties": n.Properties, "driver_info": n.DriverInfo,
		"interfaces": map[string]string{
			"boot": n.BootInterface, "deploy": n.DeployInterface, "inspect": n.InspectInterface,
			"management": n.ManagementInterface, "power": n.PowerInterface, "raid": n.RAIDInterface,
			"vendor": n.VendorInterface, "bios": n.BIOSInterface, "firmware": n.FirmwareInterface,
		},
	})
	return n.UUID
}

// capacity is BMO's HasCapacity listing: fields sent as one joined value, as gophercloud v2 sends them.
func capacity(client *gophercloud.ServiceClient, uuid string) {
	pages, err := nodes.List(client, nodes.ListOpts{Fields: []string{"uuid,name,provision_state,boot_interface"}}).AllPages()
	must("capacity", err)
	list, err := nodes.ExtractNodes(pages)
	must("capacity", err)
	details := map[string]interface{}{"count": len(list)}
	for _, n := range list {
		if n.UUID == uuid {
			details["provision_state"] = n.ProvisionState
			details["boot_interface"] = n.BootInterface
			details["driver"] = n.Driver
		}
	}
	report("capacity", details)
}

func listPorts(step string, client *gophercloud.ServiceClient, opts ports.ListOpts) []ports.Port {
	pages, err := ports.List(client, opts).AllPages()
	must(step, err)
	list, err := ports.ExtractPorts(pages)
	must(step, err)
	return list
}

func portsDetails(list []ports.Port) map[string]interface{} {
	nodeUUIDs := make([]string, 0, len(list))
	addresses := make([]string, 0, len(list))
	for _, p := range list {
		nodeUUIDs = append(nodeUUIDs, p.NodeUUID)
		addresses = append(addresses, p.Address)
	}
	return map[string]interface{}{"count": len(list), "node_uuids": nodeUUIDs, "addresses": addresses}
}

func update(step string, client *gophercloud.ServiceClient, uuid string, ops nodes.UpdateOpts) *node {
	var n node
	err := retryConflict(func() error { return nodes.Update(client, uuid, ops).ExtractInto(&n) })
	must(step, err)
	return &n
}

// provision asks for a provision verb and polls until the node settles in
// `want`, as BMO's reconcile loop does, and reports the settled node.
func provision(step string, client *gophercloud.ServiceClient, uuid string, opts nodes.ProvisionStateOpts, want string) *node {
	err := retryConflict(func() error { return nodes.ChangeProvisionState(client, uuid, opts).ExtractErr() })
	must(step, err)
	n, polls := waitFor(step, client, uuid, func(n *node) (bool, error) {
		if n.ProvisionState == want && n.TargetProvisionState == "" {
			return true, nil
		}
		if n.ProvisionState == "error" || strings.HasSuffix(n.ProvisionState, " failed") {
			return false, fmt.Errorf("node went to %q: %s", n.ProvisionState, n.LastError)
		}
		return false, nil
	})
	report(step, map[string]interface{}{
		"provision_state": n.ProvisionState, "power_state": n.PowerState, "last_error": n.LastError, "polls": polls,
	})
	return n
}

// power changes the power state and waits, as BMO does, for target_power_state to clear.
func power(step string, client *gophercloud.ServiceClient, uuid string, target nodes.TargetPowerState, want string) {
	err := retryConflict(func() error {
		return nodes.ChangePowerState(client, uuid, nodes.PowerStateOpts{Target: target}).ExtractErr()
	})
	must(step, err)
	n, polls := waitFor(step, client, uuid, func(n *node) (bool, error) {
		return n.PowerState == want && n.TargetPowerState == "", nil
	})
	report(step, map[string]interface{}{"power_state": n.PowerState, "provision_state": n.ProvisionState, "polls": polls})
}

func waitFor(step string, client *gophercloud.ServiceClient, uuid string, done func(*node) (bool, error)) (*node, int) {
	var last *node
	for poll := 1; poll <= maxPolls; poll++ {
		n, err := getNode(client, uuid)
		must(step, err)
		ok, err := done(n)
		must(step, err)
		if ok {
			return n, poll
		}
		last = n
		time.Sleep(pollInterval)
	}
	fail(step, fmt.Errorf("node did not settle within %d polls: provision_state %q target %q power_state %q target %q",
		maxPolls, last.ProvisionState, last.TargetProvisionState, last.PowerState, last.TargetPowerState))
	return nil, 0
}

// retryConflict retries a call answered 409 (node locked), as BMO requeues it.
func retryConflict(call func() error) error {
	var err error
	for attempt := 0; attempt < conflictRetries; attempt++ {
		err = call()
		var conflict gophercloud.ErrDefault409
		if !errors.As(err, &conflict) {
			return err
		}
		time.Sleep(conflictDelay)
	}
	return err
}

// got says what a call that should have failed answered instead.
func got(err error) string {
	if err == nil {
		return "success"
	}
	return reason(err)
}

func must(step string, err error) {
	if err != nil {
		fail(step, err)
	}
}
