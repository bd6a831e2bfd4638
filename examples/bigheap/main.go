// Command bigheap builds one large, static heap for benchmarks. Run it with
// -memprofilerate=1 so every allocation is recorded. For each i < -stacks it
// descends -depth levels through four functions (alpha, bravo, charlie, delta),
// choosing each level's function from two bits of i, so different i give
// different call stacks; at the bottom, main.leaf allocates -sizes objects of
// distinct size classes. The runtime keys heap-profile buckets by stack and
// size, so the profile has about stacks*sizes samples over about stacks
// distinct stacks. Everything allocated stays live. Its -snapshot writes only
// PREFIX.pb.gz unless -snapshot-text is given: with -memprofilerate=1 the
// defaults give about 300k samples, and their legacy text is about 500 MB. The heap is built before
// the "listening on" line, so a profile fetched after that line is complete.
package main

import (
	"flag"
	"time"

	"heapwatch/examples/internal/harness"
)

// classes are Go size classes (runtime/sizeclasses.go), so a requested size
// is recorded unrounded and every class gives its own bucket.
var classes = [...]int{16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208,
	224, 240, 256, 288, 320, 352, 384, 416, 448, 480, 512}

var (
	live  [][]byte
	nsize int
	level [4]func(i, n uint32, d int)
)

func init() {
	level = [4]func(i, n uint32, d int){alpha, bravo, charlie, delta}
}

// descend picks the next level's function from the low two bits of n.
func descend(i, n uint32, d int) {
	if d == 0 {
		leaf(i)
		return
	}
	level[n&3](i, n>>2, d-1)
}

//go:noinline
func alpha(i, n uint32, d int) { descend(i, n, d) }

//go:noinline
func bravo(i, n uint32, d int) { descend(i, n, d) }

//go:noinline
func charlie(i, n uint32, d int) { descend(i, n, d) }

//go:noinline
func delta(i, n uint32, d int) { descend(i, n, d) }

// leaf allocates nsize objects of distinct size classes, chosen from i so
// neighbouring stacks use different sets.
//
//go:noinline
func leaf(i uint32) {
	for k := 0; k < nsize; k++ {
		size := classes[(int(i)+k*7)%len(classes)]
		live = append(live, make([]byte, size))
	}
}

func main() {
	stacks := flag.Int("stacks", 100000, "distinct call stacks to allocate from (at most 4^depth)")
	sizes := flag.Int("sizes", 3, "objects of distinct sizes per stack (1-25)")
	depth := flag.Int("depth", 9, "levels of alpha/bravo/charlie/delta per stack (1-12)")
	text := flag.Bool("snapshot-text", false, "also write PREFIX.txt (about 500 MB with the defaults)")
	h := harness.Init(0, "stacks built per second while building the heap (0: as fast as possible)")
	if *depth < 1 || *depth > 12 || *stacks < 1 || *stacks > 1<<(2*uint(*depth)) {
		harness.Usagef("need 1 <= -depth <= 12 and 1 <= -stacks <= 4^depth")
	}
	if *sizes < 1 || *sizes > len(classes) {
		harness.Usagef("need 1 <= -sizes <= %d", len(classes))
	}
	h.SnapshotText = *text
	nsize = *sizes
	live = make([][]byte, 0, *stacks**sizes)
	build(uint32(*stacks), *depth, h.Rate)
	h.Listen()
	h.Run(nil)
}

// build allocates from every stack; with rate > 0 it spreads that over time.
//
//go:noinline
func build(stacks uint32, depth int, rate float64) {
	start := time.Now()
	for i := uint32(0); i < stacks; i++ {
		if rate > 0 {
			if ahead := time.Duration(float64(i)/rate*float64(time.Second)) - time.Since(start); ahead > 0 {
				time.Sleep(ahead)
			}
		}
		descend(i, i, depth)
	}
}
