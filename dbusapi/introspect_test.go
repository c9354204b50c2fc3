package dbusapi

import (
	"encoding/xml"
	"reflect"
	"testing"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
)

func parseNode(t *testing.T, data string) introspect.Node {
	t.Helper()
	var n introspect.Node
	if err := xml.Unmarshal([]byte(data), &n); err != nil {
		t.Fatalf("introspection XML does not parse: %v", err)
	}
	return n
}

func findInterface(t *testing.T, n introspect.Node, name string) introspect.Interface {
	t.Helper()
	for _, i := range n.Interfaces {
		if i.Name == name {
			return i
		}
	}
	t.Fatalf("interface %s missing", name)
	return introspect.Interface{}
}

// checkProperties fails unless the interface declares exactly the struct's
// fields (minus skip) as read-only properties of the fields' D-Bus types.
func checkProperties(t *testing.T, iface introspect.Interface, v any, skip ...string) {
	t.Helper()
	declared := map[string]string{}
	for _, p := range iface.Properties {
		declared[p.Name] = p.Type
		if p.Access != "read" {
			t.Errorf("%s.%s: access %q, want read", iface.Name, p.Name, p.Access)
		}
	}
	typ := reflect.TypeOf(v)
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if contains(skip, f.Name) {
			continue
		}
		want := dbus.SignatureOfType(f.Type).String()
		got, ok := declared[f.Name]
		switch {
		case !ok:
			t.Errorf("%s: field %s has no property", iface.Name, f.Name)
		case got != want:
			t.Errorf("%s.%s: type %q, want %q", iface.Name, f.Name, got, want)
		}
		delete(declared, f.Name)
	}
	for name := range declared {
		t.Errorf("%s: property %s has no field in %T", iface.Name, name, v)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestManagerXMLMatchesPoolInfo(t *testing.T) {
	iface := findInterface(t, parseNode(t, managerXML), ManagerInterface)
	checkProperties(t, iface, PoolInfo{})
}

func TestWorkerXMLMatchesWorkerInfo(t *testing.T) {
	iface := findInterface(t, parseNode(t, workerXML), WorkerInterface)
	checkProperties(t, iface, WorkerInfo{}, "Path")
}

// TestManagerXMLMatchesMethods compares each declared method with the Go
// handler godbus will call: same names, argument types in order, every
// argument named.
func TestManagerXMLMatchesMethods(t *testing.T) {
	iface := findInterface(t, parseNode(t, managerXML), ManagerInterface)
	handler := reflect.TypeOf(&manager{})
	senderType := reflect.TypeOf(dbus.Sender(""))
	errType := reflect.TypeOf(&dbus.Error{})
	if len(iface.Methods) != handler.NumMethod() {
		t.Errorf("XML declares %d methods, the handler has %d", len(iface.Methods), handler.NumMethod())
	}
	for _, m := range iface.Methods {
		gm, ok := handler.MethodByName(m.Name)
		if !ok {
			t.Errorf("method %s declared but not implemented", m.Name)
			continue
		}
		var in, out []string
		for i := 1; i < gm.Type.NumIn(); i++ { // 0 is the receiver
			if gm.Type.In(i) != senderType {
				in = append(in, dbus.SignatureOfType(gm.Type.In(i)).String())
			}
		}
		for i := 0; i < gm.Type.NumOut(); i++ {
			if gm.Type.Out(i) != errType {
				out = append(out, dbus.SignatureOfType(gm.Type.Out(i)).String())
			}
		}
		var xin, xout []string
		for _, a := range m.Args {
			if a.Name == "" {
				t.Errorf("%s: an argument has no name", m.Name)
			}
			if a.Direction == "out" {
				xout = append(xout, a.Type)
			} else {
				xin = append(xin, a.Type)
			}
		}
		if !reflect.DeepEqual(in, xin) || !reflect.DeepEqual(out, xout) {
			t.Errorf("%s: XML (in %v, out %v), Go (in %v, out %v)", m.Name, xin, xout, in, out)
		}
	}
}

func TestSignalsAreNamed(t *testing.T) {
	iface := findInterface(t, parseNode(t, managerXML), ManagerInterface)
	want := map[string]bool{SignalWorkerNew: true, SignalWorkerRemoved: true}
	for _, s := range iface.Signals {
		delete(want, s.Name)
		for _, a := range s.Args {
			if a.Name == "" {
				t.Errorf("signal %s: an argument has no name", s.Name)
			}
		}
	}
	for name := range want {
		t.Errorf("signal %s not declared", name)
	}
}
