// Package distribute gives each worker slot its own listening socket and
// decides, in the kernel, which slot a new connection goes to.
//
// In the balanced and sticky modes every TCP pool socket becomes a
// SO_REUSEPORT group: the pool socket itself serves slot 0 and poold adds one
// socket per further slot, bound to the same address, held open for the
// life of the slot so that nothing queued on it is lost when its worker
// crashes or is replaced. A classic BPF program attached to the group
// returns the index of the socket, hence of the slot, for each new
// connection. No process of poold's is on the data path.
//
// Invariants:
//   - socket i of a group's array is slot i's: sockets are added in slot
//     order and only the highest slot's are closed;
//   - the program only picks slots whose worker has been ready, so a new
//     slot gets connections once it can answer them;
//   - in sticky mode a slot keeps its addresses while it exists: the hash
//     depends only on the client address and the number of slots;
//   - a group handed over by an upgrade in place (HandOver) keeps its
//     sockets and its program, which stays attached until the new poold's
//     first view.
//   - under systemd, slot i's sockets are in the fd store, named
//     activation.SlotStoreName(i), while the slot exists: a poold started
//     again after a crash takes back slots 1, 2... in order (Keep), so
//     socket i stays slot i's, and drops the rest before it opens any.
package distribute
