// Package config turns poold's command line and environment into one
// validated Config. Every problem is reported at once (errors.Join), before
// any socket is bound or worker started; nothing reads flags later by name.
package config
