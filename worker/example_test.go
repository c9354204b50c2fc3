package worker_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/poold/poold/worker"
)

// A worker of any pool: poold --listen 127.0.0.1:8080 -- ./app. Without
// poold it serves 127.0.0.1:8080 alone.
func ExampleServe() {
	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "hello from slot %s\n", os.Getenv("POOLD_SLOT"))
	})}
	if err := worker.Serve(srv); err != nil {
		log.Fatal(err)
	}
}

// An app with a public and an admin socket, chosen by name:
// poold --listen http=:8080 --listen admin=unix:/run/app/admin.sock -- ./app.
func ExampleListeners() {
	ls, err := worker.Listeners()
	if err != nil {
		log.Fatal(err)
	}
	var public, admin []net.Listener
	for _, l := range ls {
		if l.Name == "admin" {
			admin = append(admin, l)
		} else {
			public = append(public, l)
		}
	}
	ctx := context.Background()
	go worker.ServeListeners(ctx, &http.Server{Handler: adminHandler}, admin...)
	if err := worker.ServeListeners(ctx, &http.Server{Handler: appHandler}, public...); err != nil {
		log.Fatal(err)
	}
}

var adminHandler, appHandler http.Handler = http.NotFoundHandler(), http.NotFoundHandler()
