package dbusapi

import (
	"fmt"
	"strings"

	"github.com/godbus/dbus/v5"
)

// properties implements org.freedesktop.DBus.Properties for the Manager and
// every worker path beneath it. Values are read from the pool at call time,
// and a worker's memory and CPU figures sampled then.
type properties struct{ s *Server }

func (p *properties) Get(msg dbus.Message, iface, name string) (dbus.Variant, *dbus.Error) {
	all, derr := p.GetAll(msg, iface)
	if derr != nil {
		return dbus.Variant{}, derr
	}
	v, ok := all[name]
	if !ok {
		return dbus.Variant{}, dbus.NewError(errorUnknownProperty, []any{fmt.Sprintf("no property %s on %s", name, iface)})
	}
	return v, nil
}

func (p *properties) GetAll(msg dbus.Message, iface string) (map[string]dbus.Variant, *dbus.Error) {
	path := msgPath(msg)
	st, err := p.s.statusWithUsage(p.s.ctx)
	if err != nil {
		return nil, toDBusError(err)
	}
	switch {
	case path == ManagerPath && iface == ManagerInterface:
		return encodeProps(st.Pool), nil
	case iface == WorkerInterface:
		if w, ok := findWorker(st, path); ok {
			return workerProps(w), nil
		}
		e := dbus.MakeNoObjectError(path)
		return nil, &e
	}
	e := dbus.MakeUnknownInterfaceError(iface)
	return nil, &e
}

func (p *properties) Set(msg dbus.Message, iface, name string, _ dbus.Variant) *dbus.Error {
	return dbus.NewError(errorPropertyReadOnly, []any{fmt.Sprintf("property %s of %s is read-only", name, iface)})
}

// workerProps is a worker's properties: WorkerInfo without its path.
func workerProps(w WorkerInfo) map[string]dbus.Variant {
	props := encodeProps(w)
	delete(props, "Path")
	return props
}

func findWorker(st Status, path dbus.ObjectPath) (WorkerInfo, bool) {
	for _, w := range st.Workers {
		if w.Path == path {
			return w, true
		}
	}
	return WorkerInfo{}, false
}

func msgPath(msg dbus.Message) dbus.ObjectPath {
	path, _ := msg.Headers[dbus.FieldPath].Value().(dbus.ObjectPath)
	return path
}

// introspectable describes the Manager, the worker directory and each
// worker; paths above the Manager get godbus's default node listing.
type introspectable struct{ s *Server }

func (in *introspectable) Introspect(msg dbus.Message) (string, *dbus.Error) {
	path := msgPath(msg)
	switch {
	case path == ManagerPath:
		return managerXML, nil
	case path+"/" == workerPathPrefix:
		st, err := in.s.status(in.s.ctx)
		if err != nil {
			return "", toDBusError(err)
		}
		var b strings.Builder
		b.WriteString(introspectHeader + "<node>\n")
		for _, w := range st.Workers {
			fmt.Fprintf(&b, " <node name=\"%d\"/>\n", w.ID)
		}
		b.WriteString("</node>\n")
		return b.String(), nil
	}
	st, err := in.s.status(in.s.ctx)
	if err != nil {
		return "", toDBusError(err)
	}
	if _, ok := findWorker(st, path); ok {
		return workerXML, nil
	}
	e := dbus.MakeNoObjectError(path)
	return "", &e
}
