package dbusapi

import (
	"fmt"
	"reflect"

	"github.com/godbus/dbus/v5"
)

// decodeProps stores each property into the field of the same name of the
// struct dst points to; properties without a field are ignored, so that an
// older client reads a newer server.
func decodeProps(props map[string]dbus.Variant, dst any) error {
	v := reflect.ValueOf(dst).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		val, ok := props[t.Field(i).Name]
		if !ok {
			continue
		}
		if err := dbus.Store([]any{val.Value()}, v.Field(i).Addr().Interface()); err != nil {
			return fmt.Errorf("property %s: %w", t.Field(i).Name, err)
		}
	}
	return nil
}

// encodeProps is the inverse of decodeProps: every field of the struct src
// as a property.
func encodeProps(src any) map[string]dbus.Variant {
	v := reflect.ValueOf(src)
	t := v.Type()
	props := make(map[string]dbus.Variant, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		props[t.Field(i).Name] = dbus.MakeVariant(v.Field(i).Interface())
	}
	return props
}
