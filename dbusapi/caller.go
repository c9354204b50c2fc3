package dbusapi

import (
	"context"
	"fmt"
	"log/slog"
	"os/user"
	"strconv"

	"github.com/godbus/dbus/v5"

	"github.com/poold/poold/internal/procfs"
)

// Caller is who made a D-Bus call: the credentials the bus daemon took from
// the kernel when the caller connected, and what /proc says of its
// process. Fields it could not learn are zero.
type Caller struct {
	Sender string // the connection's unique name, e.g. ":1.42"
	// UID is the caller's user, when HasUID; User is its name.
	UID    uint32
	HasUID bool
	User   string
	PID    uint32 // its process
	// Command is the process's name (comm), Unit the systemd unit its
	// cgroup belongs to, as sd_pid_get_unit(3) finds it: session-3.scope
	// for a login shell, poold@web.service for ExecReload=.
	Command string
	Unit    string
	// SSH: an sshd is among its ancestors, as for poolctl -H.
	SSH bool

	gids     []uint32 // the process's groups, when haveGIDs
	haveGIDs bool
}

// identify asks the bus daemon who sender is, then /proc about its process.
func identify(ctx context.Context, conn *dbus.Conn, sender string) (Caller, error) {
	c := Caller{Sender: sender}
	var creds map[string]dbus.Variant
	err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetConnectionCredentials", 0, sender).Store(&creds)
	if err != nil {
		return c, fmt.Errorf("credentials of %s: %w", sender, err)
	}
	c.UID, c.HasUID = creds["UnixUserID"].Value().(uint32)
	if !c.HasUID {
		return c, fmt.Errorf("credentials of %s: no UnixUserID", sender)
	}
	c.User = userName(c.UID)
	c.gids, c.haveGIDs = creds["UnixGroupIDs"].Value().([]uint32)
	if pid, ok := creds["ProcessID"].Value().(uint32); ok && pid > 0 {
		c.PID = pid
		c.Command, c.Unit, c.SSH = procfs.Comm(int(pid)), procfs.Unit(int(pid)), procfs.HasAncestor(int(pid), "sshd")
	}
	return c, nil
}

func userName(uid uint32) string {
	u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10))
	if err != nil {
		return ""
	}
	return u.Username
}

// LogAttr is the caller as a log attribute group, "caller", with what is
// known of it.
func (c Caller) LogAttr() slog.Attr {
	var attrs []any
	if c.HasUID {
		attrs = append(attrs, slog.Uint64("uid", uint64(c.UID)))
	}
	if c.User != "" {
		attrs = append(attrs, slog.String("user", c.User))
	}
	if c.PID != 0 {
		attrs = append(attrs, slog.Uint64("pid", uint64(c.PID)))
	}
	if c.Command != "" {
		attrs = append(attrs, slog.String("comm", c.Command))
	}
	if c.Unit != "" {
		attrs = append(attrs, slog.String("unit", c.Unit))
	}
	if c.SSH {
		attrs = append(attrs, slog.Bool("ssh", true))
	}
	attrs = append(attrs, slog.String("sender", c.Sender))
	return slog.Group("caller", attrs...)
}
