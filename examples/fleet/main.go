// Command fleet stands in for many Go services at once, for the daemon's scale
// benchmark: it serves net/http/pprof on -targets listeners (one port each, as a
// fleet of separate programs would be scraped), with a real heap that keeps
// changing (a slow leak plus churn), so every scrape is a real, fresh profile.
// After listening it writes the addresses, one per line, to -addrs, then prints
// the usual "listening on" line with the first one.
//
// The goroutine profile is the one place where one process is a poor stand-in for
// a thousand: Go collects it with the world stopped, at a cost that grows with
// every goroutine in the process, and here that is a thousand listeners plus one
// goroutine per keep-alive connection. Collected per request, 67 of them a second
// would keep this program's CPU busy and the scrapes would time out on its account,
// not heapwatch's. So /debug/pprof/goroutine answers with a real profile collected at
// most every -goroutine_every, shared by all listeners.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"heapwatch/examples/internal/harness"
)

var (
	targets = flag.Int("targets", 1000, "number of listeners")
	addrs   = flag.String("addrs", "", "file to write the listeners' addresses to")
	every   = flag.Duration("goroutine_every", time.Second, "how long one goroutine profile is served")
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

var goroutines struct {
	sync.Mutex
	at   time.Time
	body []byte
}

// serveGoroutines answers with the shared goroutine profile, collecting a new one
// when the last is older than -goroutine_every.
func serveGoroutines(w http.ResponseWriter, r *http.Request) {
	goroutines.Lock()
	if time.Since(goroutines.at) >= *every {
		var b bytes.Buffer
		if err := pprof.Lookup("goroutine").WriteTo(&b, 0); err != nil {
			goroutines.Unlock()
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		goroutines.at, goroutines.body = time.Now(), b.Bytes()
	}
	body := goroutines.body
	goroutines.Unlock()
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(body)
}

func main() {
	h := harness.Init(200, "requests per second (each keeps 512 B and drops 4 KiB)")
	http.HandleFunc("/debug/pprof/goroutine", serveGoroutines)
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
