// Package harness is what every example program shares: the common flags, the
// net/http/pprof server, a loop that paces the workload at -rate steps per second,
// and the snapshot written at the end. Keeping it here means each example is only
// its workload, so the allocation sites a test looks for stay easy to read.
package harness

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/* on http.DefaultServeMux
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"
)

// H holds the parsed common flags.
type H struct {
	Addr           string
	Duration       time.Duration
	MemProfileRate int
	Rate           float64
	Snapshot       string
	// SnapshotText says whether the snapshot includes PREFIX.txt; Init sets it,
	// and a program whose text profile would be huge may clear it.
	SnapshotText bool

	sigs chan os.Signal
}

// Init registers the common flags (plus any the caller registered on
// flag.CommandLine before calling), parses them and applies -memprofilerate.
// rateHelp says what one unit of -rate is for this program.
func Init(defaultRate float64, rateHelp string) *H {
	h := &H{SnapshotText: true}
	flag.StringVar(&h.Addr, "addr", "127.0.0.1:0", "listen address for net/http/pprof (port 0 picks a free one)")
	flag.DurationVar(&h.Duration, "duration", 0, "run this long, then exit 0 (0: until SIGTERM/SIGINT)")
	flag.IntVar(&h.MemProfileRate, "memprofilerate", 512*1024, "runtime.MemProfileRate (1 records every allocation)")
	flag.Float64Var(&h.Rate, "rate", defaultRate, rateHelp)
	flag.StringVar(&h.Snapshot, "snapshot", "", "at the end write PREFIX.pb.gz and PREFIX.txt describing one heap state")
	flag.Parse()
	if flag.NArg() > 0 {
		Usagef("unexpected argument %q", flag.Arg(0))
	}
	if h.Duration < 0 || h.Rate < 0 || h.MemProfileRate < 0 {
		Usagef("-duration, -rate and -memprofilerate must not be negative")
	}
	// Set as early as possible: allocations sampled before this use the old rate.
	runtime.MemProfileRate = h.MemProfileRate
	// Signals are caught from the start so that a SIGTERM arriving during a long
	// set-up still ends the program with status 0.
	h.sigs = make(chan os.Signal, 1)
	signal.Notify(h.sigs, syscall.SIGTERM, syscall.SIGINT)
	return h
}

// Usagef reports a bad command line and exits 2, as flag does.
func Usagef(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "%s: %s\n", filepath.Base(os.Args[0]), fmt.Sprintf(format, args...))
	flag.Usage()
	os.Exit(2)
}

// Fatalf reports a run-time failure and exits 1.
func Fatalf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "%s: %s\n", filepath.Base(os.Args[0]), fmt.Sprintf(format, args...))
	os.Exit(1)
}

// Listen starts the pprof server and prints the one line tests wait for,
// "listening on HOST:PORT", with the real port when -addr asked for port 0.
func (h *H) Listen() {
	ln, err := net.Listen("tcp", h.Addr)
	if err != nil {
		Fatalf("%v", err)
	}
	// os.Stdout is unbuffered in Go, so the line is out before Serve starts.
	fmt.Printf("listening on %s\n", ln.Addr())
	go func() {
		if err := http.Serve(ln, nil); err != nil {
			Fatalf("serve: %v", err)
		}
	}()
}

// Run calls step about Rate times per second until -duration has passed or a
// SIGTERM/SIGINT arrives, then writes the snapshot if one was asked for and
// exits 0. A nil step or -rate=0 just waits. Run never returns.
func (h *H) Run(step func()) {
	var deadline <-chan time.Time
	if h.Duration > 0 {
		deadline = time.After(h.Duration)
	}
	const tick = 10 * time.Millisecond
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	start := time.Now()
	var done int64
	for {
		select {
		case <-h.sigs:
			h.finish()
		case <-deadline:
			h.finish()
		case now := <-ticker.C:
			if step == nil || h.Rate == 0 {
				continue
			}
			due := int64(h.Rate*now.Sub(start).Seconds()) - done
			// After a stall, drop the backlog beyond 100 ms rather than burst.
			if limit := int64(h.Rate/10) + 1; due > limit {
				done += due - limit
				due = limit
			}
			for i := int64(0); i < due; i++ {
				step()
			}
			done += due
		}
	}
}

func (h *H) finish() {
	if h.Snapshot != "" {
		if err := WriteSnapshot(h.Snapshot, h.SnapshotText); err != nil {
			Fatalf("snapshot: %v", err)
		}
	}
	os.Exit(0)
}

// WriteSnapshot writes PREFIX.pb.gz (gzipped proto) and, if text is set,
// PREFIX.txt (legacy text, debug=1) of the heap profile. The heap profile only changes when a GC
// cycle completes, so GC is switched off first and then one full cycle is
// forced: runtime.GC publishes the profile, and with GC off no later cycle can
// publish another before both files are written. Switching GC off before the
// forced cycle, rather than after it, also keeps a background cycle from
// finishing in between.
func WriteSnapshot(prefix string, text bool) error {
	debug.SetGCPercent(-1)
	runtime.GC()
	if err := writeProfile(prefix+".pb.gz", 0); err != nil {
		return err
	}
	if !text {
		return nil
	}
	return writeProfile(prefix+".txt", 1)
}

func writeProfile(path string, debugLevel int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, debugLevel); err != nil {
		f.Close()
		return fmt.Errorf("%s: %v", path, err)
	}
	return f.Close()
}
