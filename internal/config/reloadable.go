package config

import (
	"fmt"
	"reflect"
	"strings"
)

// reloadable are the settings a reload applies, by field path: what a
// worker is made from (a new generation's spec), the worker count (a
// scale) and the supervisor's options that apply from their next use (the
// ready timeout, max-unavailable, the restart delays, the recycling
// thresholds but the watchdog's and memory's, which workers get too).
// Every other setting shapes poold itself (its sockets, bus, directories,
// logs, its drain) or the running workers, and needs a restart.
var reloadable = map[string]bool{
	"Command": true, "Env": true, "EnvFiles": true, "NodePreload": true, "NodeDrain": true,
	"WorkerMemoryMax": true, "Workers": true, "Version": true,
	"ReadyTimeout": true, "MaxUnavailable": true, "Backoff": true,
	"Health.MemoryFor": true, "Health.LoopDelay": true, "Health.LoopDelayFor": true, "Health.Requests": true, "Health.Age": true,
}

// settingNames are the flags of Config's fields, by field path, where the
// flag is not the field's name in lower case.
var settingNames = map[string]string{
	"Workers": "workers", "MaxWorkers": "max-workers", "WorkerMemory": "worker-memory", "MinReady": "min-ready",
	"ReadyDelay": "ready-delay", "ReadyTimeout": "ready-timeout", "StopTimeout": "stop-timeout",
	"Backoff.Initial": "restart-delay", "Backoff.Max": "restart-delay-max", "Backoff.StableAfter": "stable-after",
	"LogLevel": "log-level", "WorkerLogs": "worker-logs", "Health.Watchdog": "worker-watchdog",
	"Health.Memory": "recycle-memory", "Health.MemoryFor": "recycle-memory-for", "Health.LoopDelay": "recycle-loop-delay",
	"Health.LoopDelayFor": "recycle-loop-delay-for", "Health.Requests": "recycle-requests", "Health.Age": "recycle-age",
	"WorkerCgroups": "worker-cgroups", "WorkerMemoryMax": "worker-memory-max", "MetricsListen": "metrics-listen",
	"WorkerConfig": "worker-config", "RuntimeDir": "runtime-dir", "MaxUnavailable": "max-unavailable",
	"UpgradeOnInstall": "upgrade-on-install", "NodePreload": "node-preload", "NodeDrain": "node-drain",
	"EnvFiles": "env-file",
}

// Changed is a setting whose value differs between two configurations.
type Changed struct {
	Setting  string // its flag's name, e.g. "listen"
	From, To string
}

func (c Changed) String() string {
	return fmt.Sprintf("%s changed from %s to %s", c.Setting, c.From, c.To)
}

// NeedRestart lists the settings that differ from old to new and that a
// reload cannot apply, in Config's order: a reload that would need them
// changed must be refused, naming them, rather than ignore them.
func NeedRestart(old, new Config) []Changed {
	var out []Changed
	diffFields(reflect.ValueOf(old), reflect.ValueOf(new), "", &out)
	return out
}

func diffFields(old, new reflect.Value, prefix string, out *[]Changed) {
	t := old.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		path := prefix + f.Name
		if reloadable[path] {
			continue
		}
		a, b := old.Field(i), new.Field(i)
		if f.Type.Kind() == reflect.Struct && !hasString(f.Type) {
			diffFields(a, b, path+".", out)
			continue
		}
		if reflect.DeepEqual(a.Interface(), b.Interface()) {
			continue
		}
		name := settingName(path)
		*out = append(*out, Changed{Setting: name, From: showValue(name, a), To: showValue(name, b)})
	}
}

func hasString(t reflect.Type) bool {
	_, ok := t.MethodByName("String")
	return ok
}

func settingName(path string) string {
	if n, ok := settingNames[path]; ok {
		return n
	}
	return strings.ToLower(path)
}

// sizes are the settings whose values are sizes in bytes.
var sizes = map[string]bool{"recycle-memory": true, "worker-memory": true, "worker-memory-max": true}

// showValue is a setting's value as a person writes it.
func showValue(setting string, v reflect.Value) string {
	if sizes[setting] && v.CanConvert(reflect.TypeFor[int64]()) {
		return sizeOrNone(v.Convert(reflect.TypeFor[int64]()).Int())
	}
	if v.Kind() == reflect.Slice {
		if v.Len() == 0 {
			return "none"
		}
		parts := make([]string, v.Len())
		for i := range v.Len() {
			parts[i] = fmt.Sprint(v.Index(i).Interface())
		}
		return strings.Join(parts, " ")
	}
	s := fmt.Sprint(v.Interface())
	if s == "" {
		return `""`
	}
	return s
}
