package dbusapi

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/poold/poold/internal/bustest"
	"github.com/poold/poold/internal/procfs"
)

func TestAuthorizerPermits(t *testing.T) {
	const pooldGID = 998
	a := &CredentialAuthorizer{
		own: 1000, group: "poold",
		lookupGroup: func(name string) (uint32, bool) { return pooldGID, name == "poold" },
		userGroups: func(uid uint32) []uint32 {
			if uid == 2001 {
				return []uint32{100, pooldGID}
			}
			return []uint32{100}
		},
	}
	tests := []struct {
		name     string
		uid      uint32
		gids     []uint32
		haveGIDs bool
		want     bool
	}{
		{"root", 0, nil, true, true},
		{"the pool's owner", 1000, []uint32{1000}, true, true},
		{"another user", 2000, []uint32{2000, 100}, true, false},
		{"a process in the group", 2000, []uint32{2000, pooldGID}, true, true},
		// The process's groups win over the user database's: it may have
		// dropped the group.
		{"a member's process without the group", 2001, []uint32{2001}, true, false},
		{"a member, groups unknown", 2001, nil, false, true},
		{"another user, groups unknown", 2000, nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := a.permits(tt.uid, tt.gids, tt.haveGIDs); got != tt.want {
				t.Errorf("permits = %v, want %v", got, tt.want)
			}
		})
	}
	noGroup := *a
	noGroup.group = "no-such-group"
	if noGroup.permits(2000, []uint32{pooldGID}, true) {
		t.Error("a missing group has members")
	}
}

// On a bus that lets anything through, the Authorizer still refuses nobody
// and lets root, the pool's owner and members of the group change the pool.
func TestAuthorizerOnBus(t *testing.T) {
	bustest.RequireRoot(t)
	group := fmt.Sprintf("pooldauth%d", os.Getpid())
	// nobody is a member in /etc/group, but only processes that have the
	// group count: the bus gives the caller's groups (UnixGroupIDs).
	gid := bustest.TempGroup(t, group, "nobody")
	addr := bustest.StartOpenBus(t)
	authConn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer authConn.Close()
	var mu sync.Mutex
	var last Caller // the caller of the last Check
	serve := func(name string, ownUID int) {
		auth := NewAuthorizer(authConn, ownUID, group)
		bustest.ServeFakePool(t, addr, BusName(name), func(sender string) error {
			c, err := auth.Check(context.Background(), sender)
			if err != nil && !errors.Is(err, ErrNotPermitted) {
				t.Errorf("Check: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			last = c
			return err
		})
	}
	nobody := bustest.Nobody(t)
	serve("app", 4242)
	serve("nobodys", int(nobody.UID))
	member := bustest.Nobody(t, gid)
	other := bustest.User{UID: 1, GID: 1}

	for _, tt := range []struct {
		who  string
		as   *bustest.User
		pool string
		want bool
	}{
		{"root", nil, "app", true},
		{"nobody", &nobody, "app", false},
		{"a group member", &member, "app", true},
		{"the pool's owner", &nobody, "nobodys", true},
		{"another user on the owner's pool", &other, "nobodys", false},
	} {
		t.Run(tt.who, func(t *testing.T) {
			out, err := bustest.Send(t, addr, tt.as, BusName(tt.pool), string(ManagerPath),
				ManagerInterface+".Scale", "int32:2", "uint64:0")
			if got := err == nil; got != tt.want {
				t.Fatalf("allowed = %v, want %v: %v", got, tt.want, err)
			}
			if !tt.want && !strings.Contains(out, ErrorNotPermitted) {
				t.Errorf("refused without %s: %s", ErrorNotPermitted, out)
			}
			mu.Lock()
			c := last
			mu.Unlock()
			uid := uint32(0)
			if tt.as != nil {
				uid = tt.as.UID
			}
			// dbus-send runs in the test's cgroup, so in its unit.
			if !c.HasUID || c.UID != uid || c.PID == 0 || c.Command != "dbus-send" || c.Unit != procfs.Unit(os.Getpid()) {
				t.Errorf("caller %+v, want uid %d, dbus-send's pid and the test's unit %q", c, uid, procfs.Unit(os.Getpid()))
			}
		})
	}
}
