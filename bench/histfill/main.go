// Command histfill pre-fills a heapwatch data directory with an hour (or -span) of
// scrapes for many targets, so bench_serve.sh can measure the daemon with its full
// retained history in memory without waiting an hour. Every scrape file is its own
// copy of one real profile, as the daemon would have written it: hard links would
// make retention's work look cheaper than it is (dropping a link frees no inode,
// and the daemon never recycles a file that has other links). Each series gets the index
// log heapwatch itself writes (profile/history.h: "v1 id size flags ntotals
// totals... delta0 delta1 crc32"), so the daemon loads it as its own history.
package main

import (
	"flag"
	"fmt"
	"hash/crc32"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	data := flag.String("data", "", "data directory")
	profile := flag.String("profile", "", "a real gzipped heap profile to link")
	targets := flag.String("targets", "", "file with one target name per line")
	types := flag.String("types", "heap,allocs,goroutine", "profile types")
	span := flag.Duration("span", time.Hour, "history to fill, ending now")
	every := flag.Duration("interval", 15*time.Second, "scrape interval")
	flag.Parse()
	st, err := os.Stat(*profile)
	if err != nil {
		log.Fatal(err)
	}
	names, err := os.ReadFile(*targets)
	if err != nil {
		log.Fatal(err)
	}
	end := time.Now().Add(-*every)
	n := int(*span / *every)
	for _, name := range strings.Fields(string(names)) {
		// Names are plain ("t0001"), so heapwatch's directory is the name itself.
		dir := filepath.Join(*data, name)
		for _, typ := range strings.Split(*types, ",") {
			fill(dir, typ, *profile, st.Size(), end, n, *every)
		}
	}
}

func fill(dir, typ, profile string, size int64, end time.Time, n int, every time.Duration) {
	tdir := filepath.Join(dir, typ)
	if err := os.MkdirAll(tdir, 0o755); err != nil {
		log.Fatal(err)
	}
	var index strings.Builder
	for i := n; i > 0; i-- {
		t := end.Add(-time.Duration(i) * every).UTC()
		id := t.UnixMilli()
		file := filepath.Join(tdir, t.Format("20060102T150405.000Z")+".pb.gz")
		file = strings.Replace(file, ".000Z", fmt.Sprintf(".%03dZ", id%1000), 1)
		if err := os.WriteFile(file, body(profile), 0o644); err != nil {
			log.Fatal(err)
		}
		line := fmt.Sprintf("v1 %d %d 0 4 100 1000 10 100 0 0", id, size)
		fmt.Fprintf(&index, "%s %08x\n", line, crc32.ChecksumIEEE([]byte(line)))
	}
	if err := os.WriteFile(filepath.Join(tdir, "index"), []byte(index.String()), 0o644); err != nil {
		log.Fatal(err)
	}
}

var cached []byte

// body is the profile's bytes, read once.
func body(profile string) []byte {
	if cached == nil {
		b, err := os.ReadFile(profile)
		if err != nil {
			log.Fatal(err)
		}
		cached = b
	}
	return cached
}
