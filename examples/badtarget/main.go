// Command badtarget is a scrape target that misbehaves on purpose, for the daemon's
// end-to-end tests: each path prefix below answers /debug/pprof/* in one bad way,
// while the program's own /debug/pprof/ stays healthy. A well-behaved scraper
// must report each failure, store nothing from it, and keep every other target on
// schedule.
//
//	/hang/...    accepts the request and never answers
//	/slow/...    answers a real heap profile after -slow (default 3s)
//	/html/...    200 with an HTML error page (as a proxy or login wall sends)
//	/html500/... 500 with an HTML error page
//	/json/...    200 with a JSON error document
//	/big/...     200 with an endless gzip-looking body
//	/text/...    200 with plain text that is no profile
//	/trunc/...   a real heap profile cut in half
package main

import (
	"bytes"
	"flag"
	"net/http"
	"runtime/pprof"
	"time"

	"heapwatch/examples/internal/harness"
)

var slow = flag.Duration("slow", 3*time.Second, "delay of the /slow/ answers")

func heapProfile() []byte {
	var b bytes.Buffer
	_ = pprof.Lookup("heap").WriteTo(&b, 0)
	return b.Bytes()
}

func register() {
	http.HandleFunc("/hang/", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	http.HandleFunc("/slow/", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(*slow):
			w.Write(heapProfile())
		case <-r.Context().Done():
		}
	})
	http.HandleFunc("/html/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please sign in</body></html>\n"))
	})
	http.HandleFunc("/html500/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("<html><body><h1>500 Internal Server Error</h1></body></html>\n"))
	})
	http.HandleFunc("/json/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"error": "profiling disabled"}` + "\n"))
	})
	http.HandleFunc("/text/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("404 page not found\n"))
	})
	http.HandleFunc("/big/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		chunk := make([]byte, 64<<10)
		chunk[0], chunk[1] = 0x1f, 0x8b
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	http.HandleFunc("/trunc/", func(w http.ResponseWriter, r *http.Request) {
		p := heapProfile()
		w.Write(p[:len(p)/2])
	})
}

func main() {
	h := harness.Init(0, "unused")
	register()
	h.Listen()
	h.Run(nil)
}
