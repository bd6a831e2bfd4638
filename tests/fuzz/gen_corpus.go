// gen_corpus writes the Go-made seeds of tests/fuzz/corpus: tiny heap, allocs,
// goroutine, mutex and block profiles, as gzipped protobuf (what net/http/pprof
// serves), as plain protobuf, and in the legacy text format (debug=1). Run it from
// the repository root whenever the seeds should follow a newer Go:
//
//	go run tests/fuzz/gen_corpus.go tests/fuzz/corpus
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

var keep [][]byte

//go:noinline
func small(n int) { keep = append(keep, make([]byte, n)) }

//go:noinline
func big(n int) { keep = append(keep, make([]byte, n<<10)) }

//go:noinline
func nested(n int) {
	if n > 0 {
		nested(n - 1)
		return
	}
	small(48)
}

func contend() {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				mu.Lock()
				time.Sleep(50 * time.Microsecond)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func write(path string, data []byte) {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func gunzip(b []byte) []byte {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		panic(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		panic(err)
	}
	return out
}

// dump writes profile name as DIR/gzip_pprof/NAME.pb.gz, DIR/pprof/NAME.pb and,
// when text is set, DIR/legacy/NAME.txt.
func dump(dir, name string, text bool) {
	var gz, txt bytes.Buffer
	if err := pprof.Lookup(name).WriteTo(&gz, 0); err != nil {
		panic(err)
	}
	write(filepath.Join(dir, "gzip_pprof", name+".pb.gz"), gz.Bytes())
	write(filepath.Join(dir, "pprof", name+".pb"), gunzip(gz.Bytes()))
	if text {
		if err := pprof.Lookup(name).WriteTo(&txt, 1); err != nil {
			panic(err)
		}
		write(filepath.Join(dir, "legacy", name+".txt"), shorten(txt.Bytes()))
	}
}

// shorten keeps the header and first few records of a text profile, and the first
// lines of a heap profile's MemStats trailer: with MemProfileRate=1 the whole text
// runs to hundreds of records, which only slows the fuzzer down.
func shorten(b []byte) []byte {
	const records, stats = 6, 12
	parts := bytes.Split(b, []byte("\n\n"))
	var out [][]byte
	for i, p := range parts {
		if bytes.HasPrefix(p, []byte("\n# runtime.MemStats")) || bytes.HasPrefix(p, []byte("# runtime.MemStats")) {
			lines := bytes.SplitN(p, []byte("\n"), stats+1)
			if len(lines) > stats {
				lines = lines[:stats]
			}
			out = append(out, bytes.Join(lines, []byte("\n")))
			break
		}
		if i < records {
			out = append(out, p)
		}
	}
	return append(bytes.Join(out, []byte("\n\n")), '\n')
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run gen_corpus.go CORPUS_DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	for _, sub := range []string{"gzip_pprof", "pprof", "legacy"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			panic(err)
		}
	}
	runtime.MemProfileRate = 1
	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(1)
	for i := 0; i < 3; i++ {
		small(16 + i)
		big(i + 1)
		nested(3)
	}
	contend()
	runtime.GC() // the heap profile shows the state as of the last GC
	dump(dir, "heap", true)
	dump(dir, "allocs", false)
	dump(dir, "goroutine", true)
	dump(dir, "mutex", true)
	dump(dir, "block", false)
}
