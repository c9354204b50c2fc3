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

// Check says who the connection with the unique name sender is, as far as
// it could tell, and returns an error unless it may change the pool: one
// matching ErrNotPermitted when it may not, or another when its
// credentials could not be read. Either refuses the call.
func (a *CredentialAuthorizer) Check(ctx context.Context, sender string) (Caller, error) {
	if sender == "" {
		return Caller{}, fmt.Errorf("%w: the caller is unknown", ErrNotPermitted)
	}
	c, err := identify(ctx, a.conn, sender)
	if err != nil {
		return c, err
	}
	if a.permits(c.UID, c.gids, c.haveGIDs) {
		return c, nil
	}
	return c, fmt.Errorf("%w: uid %d is not root, the pool's owner or in group %s", ErrNotPermitted, c.UID, a.group)
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
