package policy_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/dbusapi/policy"
	"github.com/poold/poold/internal/bustest"
)

const accessDenied = "org.freedesktop.DBus.Error.AccessDenied"

func TestNamesMatchTheAPI(t *testing.T) {
	if policy.NamePrefix != dbusapi.BusNamePrefix {
		t.Errorf("policy.NamePrefix = %q, dbusapi.BusNamePrefix = %q", policy.NamePrefix, dbusapi.BusNamePrefix)
	}
	if bustest.FakePoolInterface != dbusapi.ManagerInterface || bustest.FakePoolPath != dbusapi.ManagerPath {
		t.Errorf("the fake pool's names are not the API's")
	}
}

// On a bus configured like the system bus with the shipped policy, anyone
// may read a pool, root and the group may also change it, and nobody else
// may change it or take a pool's name.
func TestSystemBusPolicy(t *testing.T) {
	bustest.RequireRoot(t)
	group := fmt.Sprintf("pooldtest%d", os.Getpid())
	gid := bustest.TempGroup(t, group)
	addr := bustest.StartSystemBus(t, bustest.WithPolicyGroup(group))
	name := dbusapi.BusName("app")
	conn := bustest.ServeFakePool(t, addr, name, nil)
	unique := conn.Names()[0]

	nobody := bustest.Nobody(t)
	member := bustest.Nobody(t, gid)
	path := string(dbusapi.ManagerPath)
	mgr := dbusapi.ManagerInterface
	props := "org.freedesktop.DBus.Properties"
	reads := [][]string{
		{mgr + ".ListWorkers"},
		{props + ".Get", "string:" + mgr, "string:Workers"},
		{props + ".GetAll", "string:" + mgr},
		{"org.freedesktop.DBus.Introspectable.Introspect"},
		{"org.freedesktop.DBus.Peer.Ping"},
	}
	changes := [][]string{
		{mgr + ".Scale", "int32:3", "uint64:0"},
		{mgr + ".Reload", "uint64:0"},
		{mgr + ".Upgrade", "uint64:0"},
		{props + ".Set", "string:" + mgr, "string:Workers", "variant:uint32:3"},
	}
	for _, tt := range []struct {
		who        string
		as         *bustest.User
		mayChange  bool
		mayOwnName bool
	}{
		{"root", nil, true, true},
		{"group member", &member, true, true},
		{"nobody", &nobody, false, false},
	} {
		t.Run(tt.who, func(t *testing.T) {
			for _, dest := range []string{name, unique} {
				for _, call := range reads {
					if _, err := bustest.Send(t, addr, tt.as, dest, path, call[0], call[1:]...); err != nil {
						t.Errorf("read to %s refused: %v", dest, err)
					}
				}
				for _, call := range changes {
					out, err := bustest.Send(t, addr, tt.as, dest, path, call[0], call[1:]...)
					denied := err != nil && strings.Contains(out, accessDenied)
					if denied == tt.mayChange {
						t.Errorf("%s to %s: denied by the bus = %v, want %v (%v)", call[0], dest, denied, !tt.mayChange, err)
					}
				}
			}
			out, err := bustest.Send(t, addr, tt.as, "org.freedesktop.DBus", "/org/freedesktop/DBus",
				"org.freedesktop.DBus.RequestName", "string:"+dbusapi.BusName("other"), "uint32:0")
			if owned := err == nil; owned != tt.mayOwnName {
				t.Errorf("RequestName: got %v, want allowed=%v: %s", err, tt.mayOwnName, out)
			}
		})
	}
}
