// Command fleet stands in for many Go services at once, for the daemon's scale
// benchmark: it serves net/http/pprof on -targets listeners (one port each, as a
// fleet of separate programs would be scraped), with a real heap that keeps
// changing (a slow leak plus churn), so every scrape is a real, fresh profile.
// After listening it writes the addresses, one per line, to -addrs, then prints
// the usual "listening on" line with the first one.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"strings"

	"heapwatch/examples/internal/harness"
)

var (
	targets = flag.Int("targets", 1000, "number of listeners")
	addrs   = flag.String("addrs", "", "file to write the listeners' addresses to")
	kept    = map[int][]byte{}
	served  int
)

//go:noinline
func grow(i int) { kept[i] = make([]byte, 512) }

//go:noinline
func churn(i int) byte {
	b := make([]byte, 4096+i%1024)
	b[i%len(b)] = byte(i)
	return b[0]
}

func step() {
	served++
	grow(served)
	churn(served)
}

func main() {
	h := harness.Init(200, "requests per second (each keeps 512 B and drops 4 KiB)")
	var list []string
	for i := 0; i < *targets; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			harness.Fatalf("listener %d: %v", i, err)
		}
		list = append(list, ln.Addr().String())
		go func() { _ = http.Serve(ln, nil) }()
	}
	if *addrs != "" {
		if err := os.WriteFile(*addrs, []byte(strings.Join(list, "\n")+"\n"), 0o644); err != nil {
			harness.Fatalf("%v", err)
		}
	}
	fmt.Printf("listening on %s\n", list[0])
	h.Run(step)
}
