// Package dbusapi is poold's D-Bus API: the names, paths and errors
// (names.go, errors.go), the introspection XML, the server that exports a
// pool (the Manager object, an object per worker, their properties and
// signals), the access checks and the audit of changing calls, and the
// typed client poolctl uses. It knows the supervisor only through Backend.
//
// Which bus a pool is served on, the private dbus-daemon poold starts when
// there is no other, and where poolctl finds pools are not the API's:
// they are internal/controlbus's, and the runtime directories that hold
// private buses are internal/rundir's.
//
// # Invariants
//
//   - Every method handler runs in godbus's goroutine for the call: it only
//     converts arguments, checks the caller, calls the Backend with a
//     bounded context and maps errors to named D-Bus errors.
//   - A changing call is checked by the Authorizer (poold's:
//     CredentialAuthorizer, root, the pool's user or the poold group,
//     whatever the bus policy says) and recorded by the Auditor, allowed
//     or refused.
package dbusapi
