package config

import (
	"fmt"
	"strconv"
)

// switchFlag is a bool flag that also reads systemd's spellings (on, off,
// yes, no), so that "upgrade-on-install = off" in a config file means what
// it says. Alone on the command line (--upgrade-on-install) it is true.
type switchFlag struct{ on *bool }

func (s switchFlag) IsBoolFlag() bool { return true }

func (s switchFlag) String() string {
	if s.on == nil {
		return "false"
	}
	return strconv.FormatBool(*s.on)
}

func (s switchFlag) Set(v string) error {
	switch v {
	case "true", "on", "yes", "1":
		*s.on = true
	case "false", "off", "no", "0":
		*s.on = false
	default:
		return fmt.Errorf("want true or false (on or off)")
	}
	return nil
}
