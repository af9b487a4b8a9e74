package main

// Calls BMO makes through a newer gophercloud (v2) than Debian's 0.12: each is
// made here with the 0.12 ServiceClient's raw verbs on the same path, with the
// same body and the same accepted status codes.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gophercloud/gophercloud"
	"github.com/gophercloud/gophercloud/openstack/baremetal/v1/nodes"
)

// apiVersion is what gophercloud v2's utils.GetSupportedMicroversions reads
// from the endpoint's own document.
type apiVersion struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	Version    string `json:"version"`
	MaxVersion string `json:"max_version"`
	MinVersion string `json:"min_version"`
}

// discover GETs the endpoint itself (/v1/), accepting 200 and 300, as
// gophercloud v2's utils.GetSupportedMicroversions does for BMO.
func discover(client *gophercloud.ServiceClient) (v apiVersion, usedVersion string, err error) {
	var body struct {
		Version apiVersion `json:"version"`
	}
	resp, err := client.Get(client.Endpoint, &body, &gophercloud.RequestOpts{OkCodes: []int{200, 300}})
	if err != nil {
		return v, "", err
	}
	v = body.Version
	if v.Version == "" {
		v.Version = v.MaxVersion
	}
	if v.ID != "v1" {
		return v, "", fmt.Errorf("version id %q is not v1", v.ID)
	}
	switch v.Status {
	case "CURRENT", "SUPPORTED", "DEPRECATED", "EXPERIMENTAL":
	default:
		return v, "", fmt.Errorf("version status %q is not one gophercloud accepts", v.Status)
	}
	return v, resp.Header.Get("X-OpenStack-Ironic-API-Version"), nil
}

// minorOf parses "1.N" (major 1 only, as BMO requires).
func minorOf(version string) (int, error) {
	parts := strings.Split(version, ".")
	if len(parts) != 2 || parts[0] != "1" {
		return 0, fmt.Errorf("microversion %q is not 1.N", version)
	}
	return strconv.Atoi(parts[1])
}

// chooseMicroversion picks the version BMO's AvailableFeatures does from the
// server's maximum: the newest feature level it knows that the server has.
func chooseMicroversion(max int) string {
	for _, v := range []int{110, 109, 95, 93} {
		if max >= v {
			return fmt.Sprintf("1.%d", v)
		}
	}
	return fmt.Sprintf("1.%d", baseline)
}

// createOpts adds to 0.12's nodes.CreateOpts the fields BMO's enrolment sends
// that 0.12 lacks.
type createOpts struct {
	nodes.CreateOpts
	BIOSInterface     string
	FirmwareInterface string
	// Sent only where the microversion has it (1.95): nil leaves it out.
	DisablePowerOff *bool
}

func (o createOpts) ToNodeCreateMap() (map[string]interface{}, error) {
	body, err := o.CreateOpts.ToNodeCreateMap()
	if err != nil {
		return nil, err
	}
	if o.BIOSInterface != "" {
		body["bios_interface"] = o.BIOSInterface
	}
	if o.FirmwareInterface != "" {
		body["firmware_interface"] = o.FirmwareInterface
	}
	if o.DisablePowerOff != nil {
		body["disable_power_off"] = *o.DisablePowerOff
	}
	return body, nil
}

// node is 0.12's nodes.Node with the fields BMO reads or writes that 0.12 lacks.
type node struct {
	nodes.Node
	AutomatedClean    *bool  `json:"automated_clean"`
	BIOSInterface     string `json:"bios_interface"`
	FirmwareInterface string `json:"firmware_interface"`
}

func getNode(client *gophercloud.ServiceClient, ident string) (*node, error) {
	var n node
	if err := nodes.Get(client, ident).ExtractInto(&n); err != nil {
		return nil, err
	}
	return &n, nil
}

// setMaintenance is gophercloud v2's nodes.SetMaintenance: PUT .../maintenance {"reason"}, 202.
func setMaintenance(client *gophercloud.ServiceClient, uuid, reason string) error {
	_, err := client.Put(client.ServiceURL("nodes", uuid, "maintenance"), map[string]string{"reason": reason}, nil,
		&gophercloud.RequestOpts{OkCodes: []int{202}})
	return err
}

// unsetMaintenance is gophercloud v2's nodes.UnsetMaintenance: DELETE .../maintenance, 202.
func unsetMaintenance(client *gophercloud.ServiceClient, uuid string) error {
	_, err := client.Delete(client.ServiceURL("nodes", uuid, "maintenance"), &gophercloud.RequestOpts{OkCodes: []int{202}})
	return err
}
