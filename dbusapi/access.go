package dbusapi

import (
	"context"
	"fmt"
	"os/user"
	"slices"
	"strconv"

	"github.com/godbus/dbus/v5"
)

// CredentialAuthorizer is the Authorizer of poold: a caller may change the
// pool if it runs as root, as the pool's own user or with the pool group
// among its groups. It asks the bus daemon for the caller's credentials
// (GetConnectionCredentials), which the daemon took from the kernel when the
// caller connected; so it holds on any bus, whatever the bus policy says.
type CredentialAuthorizer struct {
	conn  *dbus.Conn
	own   uint32
	group string

	// Seams for tests, os/user by default.
	lookupGroup func(name string) (gid uint32, ok bool)
	userGroups  func(uid uint32) []uint32
}

var _ Authorizer = (*CredentialAuthorizer)(nil)

// NewAuthorizer checks callers on conn; ownUID is poold's uid, group the
// group whose members may change the pool ("poold"). A group that does not
// exist has no members.
func NewAuthorizer(conn *dbus.Conn, ownUID int, group string) *CredentialAuthorizer {
	return &CredentialAuthorizer{
		conn: conn, own: uint32(ownUID), group: group,
		lookupGroup: lookupGroup, userGroups: userGroups,
	}
}

// Check returns nil if the connection with the unique name sender may change
// the pool, else an error: one matching ErrNotPermitted when it may not, or
// another when its credentials could not be read. Either refuses the call.
func (a *CredentialAuthorizer) Check(ctx context.Context, sender string) error {
	if sender == "" {
		return fmt.Errorf("%w: the caller is unknown", ErrNotPermitted)
	}
	var creds map[string]dbus.Variant
	err := a.conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetConnectionCredentials", 0, sender).Store(&creds)
	if err != nil {
		return fmt.Errorf("credentials of %s: %w", sender, err)
	}
	uid, ok := creds["UnixUserID"].Value().(uint32)
	if !ok {
		return fmt.Errorf("credentials of %s: no UnixUserID", sender)
	}
	gids, haveGIDs := creds["UnixGroupIDs"].Value().([]uint32)
	if a.permits(uid, gids, haveGIDs) {
		return nil
	}
	return fmt.Errorf("%w: uid %d is not root, the pool's owner or in group %s", ErrNotPermitted, uid, a.group)
}

// permits decides from the caller's uid and, when the bus gave them, the
// groups of the calling process (dbus-daemon 1.14 on Linux 4.13 or later
// does); else from the groups the user database gives the uid.
func (a *CredentialAuthorizer) permits(uid uint32, gids []uint32, haveGIDs bool) bool {
	if uid == 0 || uid == a.own {
		return true
	}
	gid, ok := a.lookupGroup(a.group)
	if !ok {
		return false
	}
	if !haveGIDs {
		gids = a.userGroups(uid)
	}
	return slices.Contains(gids, gid)
}

func lookupGroup(name string) (uint32, bool) {
	g, err := user.LookupGroup(name)
	if err != nil { // unknown, or an unreadable database: no members either way
		return 0, false
	}
	gid, err := strconv.ParseUint(g.Gid, 10, 32)
	return uint32(gid), err == nil
}

func userGroups(uid uint32) []uint32 {
	u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10))
	if err != nil {
		return nil
	}
	ids, err := u.GroupIds()
	if err != nil {
		return nil
	}
	var gids []uint32
	for _, id := range ids {
		if g, err := strconv.ParseUint(id, 10, 32); err == nil {
			gids = append(gids, uint32(g))
		}
	}
	return gids
}
