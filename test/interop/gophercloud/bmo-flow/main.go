// bmo-flow plays Metal3 baremetal-operator's sequence of Ironic calls,
// through gophercloud (Debian's golang-github-gophercloud-gophercloud-dev),
// against an Ironic-compatible endpoint: discovery, enrolment, lookups,
// ports, PATCHes, the provision verbs with their wait loops, power,
// maintenance, undeploy and delete. Each step prints one JSON line; the
// first failure prints its reason and exits 1.
//
// Usage: bmo-flow -endpoint http://127.0.0.1:6385/v1/ [-auth basic -user U]
// (the password comes from IRONIC_PASSWORD, as BMO reads it from a file,
// never from its command line).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/gophercloud/gophercloud"
	"github.com/gophercloud/gophercloud/openstack/baremetal/httpbasic"
	"github.com/gophercloud/gophercloud/openstack/baremetal/noauth"
)

// baseline is the microversion BMO discovers with and refuses to run below.
const baseline = 89

type options struct {
	endpoint string
	auth     string
	user     string
	password string
	name     string
	mac      string
}

func main() {
	var o options
	flag.StringVar(&o.endpoint, "endpoint", "", "the Ironic API endpoint, ending in /v1/")
	flag.StringVar(&o.auth, "auth", "none", "none or basic")
	flag.StringVar(&o.user, "user", "", "the basic-auth user")
	flag.StringVar(&o.name, "name", "metal3~host-0", "the node name, <namespace>~<host> as BMO names it")
	flag.StringVar(&o.mac, "mac", "52:54:00:6b:00:01", "the boot MAC address")
	flag.Parse()
	o.password = os.Getenv("IRONIC_PASSWORD")

	client, err := newClient(o, o.password)
	if err != nil {
		fail("client", err)
	}
	runFlow(client, o)
}

// newClient builds the ServiceClient as BMO's clients.IronicClient does.
func newClient(o options, password string) (*gophercloud.ServiceClient, error) {
	var client *gophercloud.ServiceClient
	var err error
	switch o.auth {
	case "none":
		client, err = noauth.NewBareMetalNoAuth(noauth.EndpointOpts{IronicEndpoint: o.endpoint})
	case "basic":
		client, err = httpbasic.NewBareMetalHTTPBasic(httpbasic.EndpointOpts{
			IronicEndpoint:     o.endpoint,
			IronicUser:         o.user,
			IronicUserPassword: password,
		})
	default:
		err = fmt.Errorf("unknown auth type %q", o.auth)
	}
	if err != nil {
		return nil, err
	}
	client.Microversion = fmt.Sprintf("1.%d", baseline)
	return client, nil
}

// report prints one step's outcome as a JSON line.
func report(step string, details map[string]interface{}) {
	line := map[string]interface{}{"step": step, "ok": true}
	for k, v := range details {
		line[k] = v
	}
	emit(line)
}

// fail prints the failed step and its reason, and ends the run.
func fail(step string, err error) {
	emit(map[string]interface{}{"step": step, "ok": false, "error": reason(err)})
	os.Exit(1)
}

// reason spells out an unexpected HTTP answer (some of gophercloud's own
// messages, such as "Authentication failed", name neither request nor body).
func reason(err error) string {
	var r *gophercloud.ErrUnexpectedResponseCode
	switch e := err.(type) {
	case gophercloud.ErrDefault400:
		r = &e.ErrUnexpectedResponseCode
	case gophercloud.ErrDefault401:
		r = &e.ErrUnexpectedResponseCode
	case gophercloud.ErrDefault403:
		r = &e.ErrUnexpectedResponseCode
	case gophercloud.ErrDefault404:
		r = &e.ErrUnexpectedResponseCode
	case gophercloud.ErrDefault405:
		r = &e.ErrUnexpectedResponseCode
	case gophercloud.ErrDefault409:
		r = &e.ErrUnexpectedResponseCode
	case gophercloud.ErrDefault500:
		r = &e.ErrUnexpectedResponseCode
	case gophercloud.ErrDefault503:
		r = &e.ErrUnexpectedResponseCode
	case gophercloud.ErrUnexpectedResponseCode:
		r = &e
	}
	if r == nil {
		return err.Error()
	}
	return fmt.Sprintf("%s %s: HTTP %d (expected %v): %s", r.Method, r.URL, r.Actual, r.Expected, r.Body)
}

func emit(line map[string]interface{}) {
	b, err := json.Marshal(line)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"step":%q,"ok":false,"error":"unprintable result"}`, line["step"]))
	}
	fmt.Println(string(b))
}
