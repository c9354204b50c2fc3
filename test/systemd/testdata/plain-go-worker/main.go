// Command plain-go-worker is examples/go-worker without poold's worker
// package: net/http on the pool's socket (fd 3) and nothing for SIGTERM,
// which ends a Go program at once. The real-systemd tests reload it to
// show what the package spares.
package main

import (
	"encoding/json"
	"log"
	"net"
	"net/http"
	"os"
)

func main() {
	l, err := net.FileListener(os.NewFile(3, "pool"))
	if err != nil {
		log.Fatalf("no pool socket on fd 3: %v", err)
	}
	me := map[string]any{"pid": os.Getpid(), "slot": os.Getenv("POOLD_SLOT")}
	log.Fatal(http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(me)
	})))
}
