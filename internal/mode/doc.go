// Package mode holds the enumerated settings of a pool (--ready,
// --distribution, --node-preload, --worker-cgroups, --worker-logs, --bus):
// their values, names and parsing. It is a leaf, so that package config
// can check a configuration without depending on the packages that act
// on it; those keep their own names for these types as aliases.
package mode
