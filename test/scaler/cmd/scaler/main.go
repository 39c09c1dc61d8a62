// Command scaler runs test/scaler's KEDA external scaler: gRPC on -listen, and an HTTP
// `PUT /value` on -http whose body (a number) sets the metric's value, pushed at once to
// every StreamIsActive. The README's External example drives it with curl.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/fluxscale/fluxscale/test/scaler"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:9090", "gRPC address (KEDA's external scaler protocol)")
	httpAddr := flag.String("http", "127.0.0.1:8080", "HTTP address for PUT /value")
	metric := flag.String("metric", "backlog", "metric name")
	target := flag.Float64("target", 1, "metric value per replica (KEDA's targetSize)")
	value := flag.Float64("value", 0, "initial metric value")
	flag.Parse()

	s := scaler.New(*metric, *target, *value)
	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	defer s.Serve(lis)()
	http.HandleFunc("PUT /value", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 64))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(string(body)), 64)
		if err != nil {
			http.Error(w, fmt.Sprintf("body %q is not a number: send the metric's value, e.g. 12", body), http.StatusBadRequest)
			return
		}
		s.Set(v)
		fmt.Fprintf(w, "%s = %g\n", *metric, v)
	})
	log.Printf("external scaler on %s (metric %s, target %g); PUT /value on %s", lis.Addr(), *metric, *target, *httpAddr)
	return http.ListenAndServe(*httpAddr, nil)
}
