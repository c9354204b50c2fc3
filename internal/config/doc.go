// Package config turns poold's command line, its config file (--config)
// and its environment into one validated Config. Every problem is reported
// at once (errors.Join), before any socket is bound or worker started, a
// problem of the config file as FILE:LINE; nothing reads flags later by
// name. The command line wins over the file, the file over the environment.
package config
