// Command bare is the reference for the wrk figures in BENCHMARKS.md: a
// gorilla/mux handler that writes the same bytes the server would, with
// nothing else — what a Go handler on net/http can answer on the machine
// at the time of the measurement.
//
//	curl -s -H 'Accept: application/activity+json' http://127.0.0.1:8080/records/openstreetmap > /tmp/actor.json
//	go run ./cmd/commonsd/internal/bare -listen 127.0.0.1:8081 /tmp/actor.json &
//	wrk -t2 -c64 -d10s http://127.0.0.1:8081/records/openstreetmap
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"

	"github.com/gorilla/mux"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8081", "address to listen on")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: bare [-listen ADDR] FILE")
		os.Exit(2)
	}
	body, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	r := mux.NewRouter()
	r.HandleFunc("/records/{slug}", func(w http.ResponseWriter, r *http.Request) {
		_ = mux.Vars(r)["slug"]
		w.Header().Set("Content-Type", "application/activity+json")
		w.Write(body) //nolint:errcheck // a benchmark reference
	})
	if err := http.ListenAndServe(*listen, r); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
