// Command go-worker is a Go web app that runs under poold, written with
// poold's worker package: it serves the pool's socket, says READY=1, sends
// heartbeats when poold asks for them, and drains on SIGTERM, so that
// reloads fail no request. Without poold it serves 127.0.0.1:8080 alone.
//
//	go build -o bin/go-worker ./examples/go-worker
//	bin/poold --listen 127.0.0.1:8080 --workers 4 -- bin/go-worker
//	curl -s 127.0.0.1:8080/
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/poold/poold/worker"
)

func main() {
	me := map[string]any{"pid": os.Getpid(), "slot": os.Getenv("POOLD_SLOT"), "generation": os.Getenv("POOLD_GENERATION")}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(me)
	})
	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := worker.Serve(srv); err != nil {
		log.Fatal(err)
	}
}
